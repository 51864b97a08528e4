import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { isStatusError } from "../machinery/errors.js";
import { HollowNodes, hollowAddresses } from "./hollow_nodes.js";
import type { PodObject } from "./types.js";

const NODES = 50;
const PODS = 500;

async function waitFor(what: string, cond: () => boolean, maxMs = 60_000, progress?: () => string): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${progress ? ` (${progress()})` : ""}`);
    // Each check clones every pod in the fake store: poll gently so the agents under test get the CPU.
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Retries a request that failed on the connection (a keep-alive socket closed under load), not on an API error. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (isStatusError(err) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

describe("hollow nodes", () => {
  it("gives each node its own addresses and pod range", () => {
    assert.deepEqual(hollowAddresses(0), { address: "10.64.0.1", podCIDR: "10.244.1.0/24" });
    assert.deepEqual(hollowAddresses(255), { address: "10.64.1.0", podCIDR: "10.245.0.0/24" });
    assert.deepEqual(hollowAddresses(3070), { address: "10.64.11.255", podCIDR: "10.255.255.0/24" });
    // Past 10.255.255.0 the ranges continue in 10.128.0.0/10, so 5,000 and more nodes stay valid and distinct.
    assert.deepEqual(hollowAddresses(3071).podCIDR, "10.128.0.0/24");
    assert.deepEqual(hollowAddresses(4999).podCIDR, "10.135.136.0/24");
    const all = new Set(Array.from({ length: 6000 }, (_, i) => hollowAddresses(i).podCIDR));
    assert.equal(all.size, 6000);
  });

  it(`${NODES} nodes share one pod watch and bring ${PODS} bound pods to Running and Ready`, async () => {
    const server = await startFakeApiServer();
    const client = createClient({ server: server.url });
    const sim = new HollowNodes({ client, count: NODES, capacity: { cpu: "16", pods: "110" } });
    const ac = new AbortController();
    const done = sim.run(ac.signal);
    try {
      await waitFor("nodes registered", () => server.store.list(resources.nodes, "").length === NODES);
      const nodes = server.store.list(resources.nodes, "") as Node[];
      assert.equal(new Set(nodes.map((n) => n.status?.addresses?.[0]?.address)).size, NODES, "distinct InternalIPs");
      assert.ok(nodes.every((n) => n.status?.capacity?.cpu === "16" && n.metadata?.labels?.["k8ts.io/hollow"] === "true"));
      const pods = client.resource<PodObject>(resources.pods);
      for (let i = 0; i < PODS; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, k) =>
            retrying(() => pods.create("default", { metadata: { name: `p-${i + k}` }, spec: { nodeName: `hollow-node-${(i + k) % NODES}`, containers: [{ name: "c", image: "nginx:1.27" }] } })),
          ),
        );
      const ready = (p: Pod): boolean => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
      const listPods = (): Pod[] => server.store.list(resources.pods, "default") as Pod[];
      await waitFor("all pods Running and Ready", () => listPods().filter(ready).length === PODS, 300_000, () => {
        const notReady = listPods().filter((p) => !ready(p));
        const sample = notReady[0];
        const k = sim.kubelets.find((x) => x.name === `kubelet@${sample?.spec?.nodeName}`);
        const st = k?.syncer.states.get(sample?.metadata?.uid ?? "");
        const agent = JSON.stringify({ queue: k?.queue.metrics(), admitted: st?.admitted, written: Boolean(st?.lastWritten) });
        return `${PODS - notReady.length}/${PODS} ready; e.g. ${sample?.metadata?.name} on ${sample?.spec?.nodeName}: ${JSON.stringify(sample?.status ?? {}).slice(0, 300)}; agent ${agent}`;
      });
      const all = server.store.list(resources.pods, "default") as Pod[];
      assert.equal(new Set(all.map((p) => p.status?.podIP)).size, PODS, "distinct pod IPs");
      assert.equal(sim.podCount(), PODS);
      const podWatches = server.requests.filter((r) => r.path === "/api/v1/pods" && r.query.includes("watch=true")).length;
      assert.equal(podWatches, 1, "one shared pod watch");
      const nodeWatches = server.requests.filter((r) => r.path === "/api/v1/nodes" && r.query.includes("watch=true")).length;
      assert.equal(nodeWatches, 1, "one shared node watch");
      // Containers' service env comes from one service list the nodes share (a few seconds old at most), not one
      // list per node.
      const serviceLists = server.requests.filter((r) => r.method === "GET" && r.path === "/api/v1/namespaces/default/services").length;
      assert.ok(serviceLists >= 1 && serviceLists <= 20, `service lists: ${serviceLists} for ${PODS} pods on ${NODES} nodes`);
      assert.equal(sim.client.stats().droppedEvents, 0);
      assert.equal(server.store.list(resources.leases, "kube-node-lease").length, NODES);
    } finally {
      ac.abort();
      await done;
      client.close();
      await server.close();
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { HollowNodes, hollowAddresses } from "./hollow_nodes.js";
import type { PodObject } from "./types.js";

const NODES = 50;
const PODS = 500;

async function waitFor(what: string, cond: () => boolean, maxMs = 60_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("hollow nodes", () => {
  it("gives each node its own addresses and pod range", () => {
    assert.deepEqual(hollowAddresses(0), { address: "10.64.0.1", podCIDR: "10.244.1.0/24" });
    assert.deepEqual(hollowAddresses(255), { address: "10.64.1.0", podCIDR: "10.245.0.0/24" });
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
            pods.create("default", { metadata: { name: `p-${i + k}` }, spec: { nodeName: `hollow-node-${(i + k) % NODES}`, containers: [{ name: "c", image: "nginx:1.27" }] } }),
          ),
        );
      const ready = (p: Pod): boolean => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
      await waitFor("all pods Running and Ready", () => (server.store.list(resources.pods, "default") as Pod[]).filter(ready).length === PODS, 120_000);
      const all = server.store.list(resources.pods, "default") as Pod[];
      assert.equal(new Set(all.map((p) => p.status?.podIP)).size, PODS, "distinct pod IPs");
      assert.equal(sim.podCount(), PODS);
      const podWatches = server.requests.filter((r) => r.path === "/api/v1/pods" && r.query.includes("watch=true")).length;
      assert.equal(podWatches, 1, "one shared pod watch");
      assert.equal(server.store.list(resources.leases, "kube-node-lease").length, NODES);
    } finally {
      ac.abort();
      await done;
      client.close();
      await server.close();
    }
  });
});

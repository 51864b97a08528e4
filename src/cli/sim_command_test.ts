// Hollow nodes against the real API server (SQLite, in-process, real HTTP): registration, leases, pods bound by
// spec.nodeName reaching Running and Ready, a Job-style pod completing, and graceful deletion through the server.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startServer, type RunningServer } from "../daemons/server.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";
import { isNotFound, isStatusError } from "../machinery/errors.js";
import { simCommand } from "./sim_command.js";

type PodObject = Pod & KubeObject;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, maxMs = 90_000): Promise<T> {
  const end = Date.now() + maxMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
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

describe("hollow nodes against the real API server", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;
  let sim: HollowNodes;
  const ac = new AbortController();
  let running: Promise<void>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-sim-"));
    server = await startServer({ dataDir: dir, port: 0, logger: { debug() {}, info() {}, warn() {}, error() {}, with() { return this; } } });
    client = createClient({ server: server.url });
    sim = new HollowNodes({ client, count: 3, capacity: { cpu: "8", memory: "16Gi", pods: "50" } });
    running = sim.run(ac.signal);
  });

  after(async () => {
    ac.abort();
    await running;
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const pods = (): ReturnType<Client["resource"]> => client.resource<PodObject>(resources.pods);
  const getPod = async (name: string): Promise<Pod> => (await pods().get("default", name)) as Pod;
  const ready = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

  it("registers every node with Ready status and a lease", async () => {
    const nodes = await waitFor("3 ready nodes", async () => {
      const list = (await client.resource(resources.nodes).list(undefined)).items as Node[];
      return list.length === 3 && list.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) && list;
    });
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), ["hollow-node-0", "hollow-node-1", "hollow-node-2"]);
    assert.equal(nodes[0]!.status!.capacity!.pods, "50");
    assert.equal(nodes[0]!.status!.nodeInfo!.kubeletVersion, "v1.31.0-k8ts");
    const lease = await waitFor("lease", async () => (await client.resource(resources.leases).get("kube-node-lease", "hollow-node-1")) as Lease);
    assert.equal(lease.spec!.holderIdentity, "hollow-node-1");
    assert.ok(lease.spec!.renewTime);
  });

  it("runs bound pods to Running and Ready, and completes a pod that exits 0", async () => {
    for (let i = 0; i < 6; i++)
      await retrying(() => pods().create("default", { metadata: { name: `web-${i}` }, spec: { nodeName: `hollow-node-${i % 3}`, containers: [{ name: "web", image: "nginx:1.27" }] } }));
    await retrying(() => pods().create("default", {
      metadata: { name: "job", annotations: { "sim.k8ts.io/exit-after-work": "200ms" } },
      spec: { nodeName: "hollow-node-0", restartPolicy: "Never", containers: [{ name: "work", image: "busybox:1.36" }] },
    }));
    for (let i = 0; i < 6; i++) {
      const p = await waitFor(`web-${i} ready`, async () => {
        const p = await getPod(`web-${i}`);
        return p.status?.phase === "Running" && ready(p) && p;
      });
      assert.match(p.status!.podIP!, /^10\.244\.\d+\.\d+$/);
      assert.equal(p.status!.containerStatuses![0]!.ready, true);
    }
    const job = await waitFor("job Succeeded", async () => {
      const p = await getPod("job");
      return p.status?.phase === "Succeeded" && p;
    });
    assert.equal(job.status!.containerStatuses![0]!.state!.terminated!.reason, "Completed");
  });

  it("deletes a pod gracefully: the agent stops it and removes it from the API", async () => {
    await retrying(() => pods().delete("default", "web-0", { gracePeriodSeconds: 5 }));
    await waitFor("web-0 gone", async () => {
      try {
        await getPod("web-0");
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    // hollow-node-0 keeps the sandboxes of web-3 and of the finished job.
    await waitFor("sandbox removed", async () => sim.runtimes[0]!.counts().sandboxes === 2);
  });

  it("the sim command refuses to start without --nodes", async () => {
    const code = await simCommand(["--server", server.url]);
    assert.equal(code, 2);
  });
});

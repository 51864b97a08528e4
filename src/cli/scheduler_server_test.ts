// The scheduler against the real API server (SQLite store, real HTTP): pods bound through POST pods/{name}/binding,
// failures written as PodScheduled=False with Kubernetes' message and FailedScheduling events, preemption of a
// lower-priority pod named by a PriorityClass, and the kube-system/kube-scheduler Lease.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startServer, type RunningServer } from "../daemons/server.js";
import type { Node, Pod } from "../scheduler/framework/api_types.js";
import { priorityClassesRef } from "../scheduler/informers.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { forCreate, makeNode, makePod } from "../scheduler/testing/builders.js";
import { waitFor } from "../scheduler/testing/wait.js";
import { silentLogger } from "../util/log.js";

let dir: string;
let server: RunningServer;
let client: Client;
let stop: AbortController;
let done: Promise<void>;

const pods = () => client.resource<Pod>(resources.pods);
const nodes = () => client.resource<Node>(resources.nodes);
const getPod = (name: string, ns = "sched") => pods().get(ns, name);

async function createNode(n: Node): Promise<void> {
  const created = await nodes().create(undefined, forCreate(n));
  // Status may be dropped on create; write it through the status subresource as a kubelet does.
  if (!created.status?.allocatable) await nodes().updateStatus(undefined, { ...created, status: n.status });
}

async function createPod(p: Pod, extra: Partial<NonNullable<Pod["spec"]>> = {}): Promise<void> {
  const body = forCreate(p);
  body.metadata = { ...body.metadata, namespace: "sched" };
  body.spec = { ...body.spec!, ...extra };
  await pods().create("sched", body);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "k8ts-sched-"));
  // The in-process scheduler stays off: this test runs its own, to observe it.
  server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false });
  client = createClient({ server: server.url });
  await client.resource(resources.namespaces).create(undefined, { metadata: { name: "sched" } });
  await client.resource(priorityClassesRef).create(undefined, { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "critical" }, value: 100000 } as KubeObject);
  stop = new AbortController();
  done = new Scheduler({ client, identity: "it-scheduler", retryPeriodMs: 200 }).run(stop.signal);
});

after(async () => {
  stop.abort();
  await done;
  client.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("scheduler against the real API server", () => {
  it("holds the kube-system/kube-scheduler Lease", async () => {
    const lease = await waitFor("lease", async () => {
      try {
        return (await client.resource(resources.leases).get("kube-system", "kube-scheduler")) as KubeObject & { spec?: { holderIdentity?: string } };
      } catch {
        return undefined;
      }
    });
    assert.equal(lease.spec?.holderIdentity, "it-scheduler");
  });

  it("binds pods through pods/binding with PodScheduled=True and a Scheduled event", async () => {
    await createNode(makeNode("worker-1", { cpu: "2", memory: "4Gi" }));
    await createNode(makeNode("worker-2", { cpu: "2", memory: "4Gi" }));
    await createPod(makePod("hello", { cpu: "500m" }));
    const node = await waitFor("hello bound", async () => (await getPod("hello")).spec?.nodeName);
    assert.ok(node === "worker-1" || node === "worker-2");
    const pod = await getPod("hello");
    assert.equal(pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.status, "True");
    const ev = await waitFor("Scheduled event", async () => {
      const list = await client.resource(resources.events).list("sched");
      return list.items.find((e) => (e as { reason?: string }).reason === "Scheduled");
    });
    assert.equal((ev as { message?: string }).message, `Successfully assigned sched/hello to ${node}`);
  });

  it("reports an unschedulable pod on the pod and in a FailedScheduling event", async () => {
    await createPod(makePod("huge", { cpu: "64" }));
    const cond = await waitFor("PodScheduled=False", async () => (await getPod("huge")).status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False"));
    assert.equal(cond.reason, "Unschedulable");
    assert.equal(cond.message, "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
    // This pod's event: an earlier pod may have failed once too (seen before the scheduler saw any node).
    type Ev = { reason?: string; involvedObject?: { name?: string } };
    const ev = await waitFor("FailedScheduling", async () => (await client.resource(resources.events).list("sched")).items.find((e) => (e as Ev).reason === "FailedScheduling" && (e as Ev).involvedObject?.name === "huge"));
    assert.equal((ev as { message?: string }).message, cond.message);
    await pods().delete("sched", "huge", { gracePeriodSeconds: 0 });
  });

  it("preempts a lower-priority pod for a pod of a higher PriorityClass", async () => {
    await createNode(makeNode("tiny", { cpu: "1", labels: { pool: "tiny" } }));
    await createPod(makePod("victim", { cpu: "1", priority: 0, nodeSelector: { pool: "tiny" } }), { terminationGracePeriodSeconds: 0 });
    await waitFor("victim bound", async () => (await getPod("victim")).spec?.nodeName);
    await createPod(makePod("vip", { cpu: "1", nodeSelector: { pool: "tiny" } }), { priorityClassName: "critical" });
    const node = await waitFor("vip bound", async () => (await getPod("vip")).spec?.nodeName, 60_000);
    assert.equal(node, "tiny");
    await assert.rejects(getPod("victim"), /not found/);
    assert.equal((await getPod("vip")).status?.nominatedNodeName, "tiny");
  });
});

// The whole scheduler against the fake API server: nodes and pods created as API objects, pods bound through
// pods/binding, failures written to the pod and to events, preemption, profiles and leader election.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import type { Node, Pod } from "./framework/api_types.js";
import { Scheduler } from "./scheduler.js";
import { forCreate, makeNode, makePod } from "./testing/builders.js";
import { startFakeCluster, type FakeCluster } from "./testing/fake_cluster.js";
import { waitFor } from "./testing/wait.js";
import { priorityClassesRef } from "./informers.js";
import { parseConfig } from "./config/load.js";
import { registryResolveOptions } from "./scheduler.js";

let cluster: FakeCluster;
let stop: AbortController;
let done: Promise<void> | undefined;

const ref = (resource: string) => cluster.server.store.find("", resource)!;
const store = () => cluster.server.store;
const podObj = (name: string, ns = "default") => store().get(ref("pods"), ns, name) as StoredObject & Pod;
const events = () => store().list(ref("events"), "") as Array<StoredObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>;

function addNode(n: Node): void {
  store().create(ref("nodes"), "", forCreate(n));
}
function addPod(p: Pod): void {
  store().create(ref("pods"), p.metadata?.namespace ?? "default", forCreate(p));
}
function start(s: Scheduler): void {
  done = s.run(stop.signal);
}

beforeEach(async () => {
  cluster = await startFakeCluster();
  stop = new AbortController();
  done = undefined;
});

afterEach(async () => {
  stop.abort();
  await done;
  await cluster.close();
});

describe("scheduler against the fake API server", () => {
  it("binds pending pods through pods/binding and records Scheduled events", async () => {
    for (const n of ["node-a", "node-b", "node-c"]) addNode(makeNode(n, { cpu: "2", memory: "4Gi" }));
    for (let i = 0; i < 6; i++) addPod(makePod(`web-${i}`, { cpu: "500m", memory: "256Mi" }));
    start(new Scheduler({ client: cluster.client, leaderElect: false, random: () => 0 }));
    const bound = await waitFor("all pods bound", () => {
      const pods = store().list(ref("pods"), "default") as Array<StoredObject & Pod>;
      return pods.every((p) => p.spec?.nodeName) && pods;
    });
    const perNode = new Map<string, number>();
    for (const p of bound) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [2, 2, 2], "LeastAllocated spreads the pods evenly");
    assert.equal(cluster.bindings(), 6);
    const cond = bound[0]!.status?.conditions?.find((c) => c.type === "PodScheduled");
    assert.equal(cond?.status, "True");
    const ev = await waitFor("Scheduled events", () => {
      const e = events().filter((x) => x.reason === "Scheduled");
      return e.length === 6 && e;
    });
    const web0 = ev.find((e) => e.involvedObject?.name === "web-0")!;
    assert.equal(web0.message, `Successfully assigned default/web-0 to ${podObj("web-0").spec?.nodeName}`);
  });

  it("leaves a pod that fits nowhere Pending with Kubernetes' message, then schedules it when a node arrives", async () => {
    addNode(makeNode("cp", { cpu: "4", taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] }));
    addNode(makeNode("w1", { cpu: "1" }));
    addNode(makeNode("w2", { cpu: "1" }));
    addPod(makePod("fill-1", { cpu: "1", nodeName: "w1" }));
    addPod(makePod("fill-2", { cpu: "1", nodeName: "w2" }));
    addPod(makePod("big", { cpu: "500m" }));
    start(new Scheduler({ client: cluster.client, leaderElect: false }));
    const want =
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. " +
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
    const cond = await waitFor("PodScheduled=False", () => podObj("big").status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False"));
    assert.equal(cond.reason, "Unschedulable");
    assert.equal(cond.message, want);
    assert.equal(podObj("big").spec?.nodeName, undefined);
    const ev = await waitFor("FailedScheduling event", () => events().find((e) => e.reason === "FailedScheduling"));
    assert.equal(ev.message, want);
    assert.equal((ev as { type?: string }).type, "Warning");
    addNode(makeNode("w3", { cpu: "1" }));
    const placed = await waitFor("pod bound after a node was added", () => podObj("big").spec?.nodeName);
    assert.equal(placed, "w3");
  });

  it("preempts lower-priority pods for a pod whose PriorityClass is higher", async () => {
    store().create(priorityClassesRef, "", { metadata: { name: "high" }, value: 1000 } as never);
    addNode(makeNode("only", { cpu: "2" }));
    addPod(makePod("low-1", { cpu: "1", nodeName: "only", priority: 10 }));
    addPod(makePod("low-2", { cpu: "1", nodeName: "only", priority: 20 }));
    start(new Scheduler({ client: cluster.client, leaderElect: false }));
    await waitFor("low pods in the cache", () => true);
    addPod(makePod("vip", { cpu: "1", priorityClassName: "high" }));
    const node = await waitFor("vip bound", () => podObj("vip").spec?.nodeName);
    assert.equal(node, "only");
    const left = (store().list(ref("pods"), "default") as Array<StoredObject & Pod>).map((p) => p.metadata.name).sort();
    assert.deepEqual(left, ["low-2", "vip"], "only the lowest-priority pod was evicted");
    assert.equal(podObj("vip").status?.nominatedNodeName, "only");
    await waitFor("Preempted event", () => events().find((e) => e.reason === "Preempted" && e.involvedObject?.name === "low-1"));
  });

  it("takes only pods whose schedulerName matches one of its profiles", async () => {
    const config = parseConfig(
      "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: default-scheduler\n- schedulerName: packer\n  plugins:\n    score:\n      disabled: [{name: NodeResourcesBalancedAllocation}]\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n",
      registryResolveOptions(),
    );
    addNode(makeNode("n1", { cpu: "4" }));
    addNode(makeNode("n2", { cpu: "4" }));
    addPod(makePod("mine", { cpu: "100m" }));
    addPod(makePod("packed-1", { cpu: "1", schedulerName: "packer" }));
    addPod(makePod("theirs", { cpu: "100m", schedulerName: "someone-else" }));
    start(new Scheduler({ client: cluster.client, leaderElect: false, config }));
    await waitFor("mine and packed-1 bound", () => podObj("mine").spec?.nodeName && podObj("packed-1").spec?.nodeName);
    addPod(makePod("packed-2", { cpu: "1", schedulerName: "packer" }));
    await waitFor("packed-2 bound", () => podObj("packed-2").spec?.nodeName);
    assert.equal(podObj("packed-2").spec?.nodeName, podObj("packed-1").spec?.nodeName, "MostAllocated packs onto the fuller node");
    assert.equal(podObj("theirs").spec?.nodeName, undefined, "a pod for another scheduler is left alone");
    assert.equal(podObj("theirs").status?.conditions, undefined);
  });

  it("keeps a pod with scheduling gates Pending (SchedulingGated) until its gates are removed", async () => {
    addNode(makeNode("n1"));
    const gated = makePod("gated");
    gated.spec!.schedulingGates = [{ name: "example.com/wait" }];
    addPod(gated);
    start(new Scheduler({ client: cluster.client, leaderElect: false }));
    const cond = await waitFor("SchedulingGated", () => podObj("gated").status?.conditions?.find((c) => c.type === "PodScheduled"));
    assert.deepEqual([cond.status, cond.reason, cond.message], ["False", "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates"]);
    const cur = podObj("gated");
    store().update(ref("pods"), "default", "gated", { ...cur, spec: { ...cur.spec!, schedulingGates: [] } });
    assert.equal(await waitFor("bound once ungated", () => podObj("gated").spec?.nodeName), "n1");
  });

  it("schedules only while holding the kube-system/kube-scheduler Lease", async () => {
    addNode(makeNode("n1"));
    addPod(makePod("p"));
    const s = new Scheduler({ client: cluster.client, identity: "sched-1", retryPeriodMs: 100 });
    start(s);
    await waitFor("pod bound", () => podObj("p").spec?.nodeName);
    const leases = cluster.server.store.find("coordination.k8s.io", "leases")!;
    const holder = () => (store().get(leases, "kube-system", "kube-scheduler") as StoredObject & { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
    assert.equal(holder(), "sched-1");
    // A second candidate waits; when the leader stops it hands the lease over and the other one schedules.
    const standbyStop = new AbortController();
    const standby = new Scheduler({ client: cluster.client, identity: "sched-2", retryPeriodMs: 100 });
    const standbyDone = standby.run(standbyStop.signal);
    try {
      stop.abort();
      await done;
      await waitFor("sched-2 leads", () => holder() === "sched-2");
      addPod(makePod("after-handover"));
      assert.equal(await waitFor("pod bound by the new leader", () => podObj("after-handover").spec?.nodeName), "n1");
    } finally {
      standbyStop.abort();
      await standbyDone;
    }
  });
});

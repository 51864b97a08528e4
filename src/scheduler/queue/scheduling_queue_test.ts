import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../../client/clock.js";
import type { Pod } from "../framework/api_types.js";
import type { ClusterEvent, QueuedPodInfo } from "../framework/types.js";
import { newPrioritySort } from "../plugins/queue_sort/priority_sort.js";
import { makePod } from "../testing/builders.js";
import { SchedulingQueue } from "./scheduling_queue.js";

const sort = newPrioritySort();
const events = new Map<string, ClusterEvent[]>([
  ["NodeResourcesFit", [{ resource: "AssignedPod", action: "Delete" }, { resource: "Node", action: "Add" }, { resource: "Node", action: "UpdateNodeAllocatable" }]],
  ["TaintToleration", [{ resource: "Node", action: "UpdateNodeTaint" }]],
]);

function newQueue(clock = new FakeClock()) {
  const q = new SchedulingQueue({ clock, less: (a, b) => sort.less(a, b), eventsByPlugin: events });
  return { q, clock };
}

async function popName(q: SchedulingQueue): Promise<string> {
  return (await q.pop())!.pod.metadata!.name!;
}

/** Pops the pod and fails its attempt, rejected by the given plugins (none: an error). */
async function fail(q: SchedulingQueue, plugins: string[] = []): Promise<QueuedPodInfo> {
  const qpi = (await q.pop())!;
  const cycle = q.cycleOf(qpi.pod);
  qpi.unschedulablePlugins = new Set(plugins);
  q.addUnschedulable(qpi, cycle);
  return qpi;
}

describe("SchedulingQueue", () => {
  it("pops by priority, then by enqueue time", async () => {
    const { q, clock } = newQueue();
    q.add(makePod("low-early", { priority: 1 }));
    clock.advance(10);
    q.add(makePod("high", { priority: 100 }));
    clock.advance(10);
    q.add(makePod("low-late", { priority: 1 }));
    q.add(makePod("none"));
    assert.deepEqual([await popName(q), await popName(q), await popName(q), await popName(q)], ["high", "low-early", "low-late", "none"]);
  });

  it("backs failed pods off 1 s, doubling per attempt, at most 10 s", async () => {
    const { q, clock } = newQueue();
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => q.backoffDuration(n)), [1000, 2000, 4000, 8000, 10000, 10000]);
    q.run();
    q.add(makePod("p"));
    await fail(q);
    assert.deepEqual(q.pendingPods().backoff, ["default/p"]);
    clock.advance(999);
    assert.deepEqual(q.pendingPods().active, []);
    clock.advance(1);
    assert.deepEqual(q.pendingPods().active, ["default/p"]);
    const second = await fail(q);
    assert.equal(second.attempts, 2);
    clock.advance(1000);
    assert.deepEqual(q.pendingPods().backoff, ["default/p"], "second attempt backs off 2 s");
    clock.advance(1000);
    assert.deepEqual(q.pendingPods().active, ["default/p"]);
    q.close();
  });

  it("keeps unschedulable pods until an event their rejecting plugins registered for", async () => {
    const { q, clock } = newQueue();
    q.add(makePod("needs-cpu"));
    q.add(makePod("needs-toleration"));
    await fail(q, ["NodeResourcesFit"]);
    await fail(q, ["TaintToleration"]);
    assert.deepEqual(q.pendingPods().unschedulable, ["default/needs-cpu", "default/needs-toleration"]);
    clock.advance(20_000);
    q.moveAllToActiveOrBackoff({ resource: "Node", action: "UpdateNodeLabel" });
    assert.deepEqual(q.pendingPods().unschedulable.length, 2, "a label change helps neither");
    q.moveAllToActiveOrBackoff({ resource: "AssignedPod", action: "Delete" });
    assert.deepEqual(q.pendingPods(), { active: ["default/needs-cpu"], backoff: [], unschedulable: ["default/needs-toleration"] });
    q.moveAllToActiveOrBackoff({ resource: "Node", action: "UpdateNodeTaint" });
    assert.deepEqual(q.pendingPods().active, ["default/needs-cpu", "default/needs-toleration"]);
  });

  it("moves a pod still backing off to backoffQ instead of activeQ", async () => {
    const { q } = newQueue();
    q.add(makePod("p"));
    await fail(q, ["NodeResourcesFit"]);
    q.moveAllToActiveOrBackoff({ resource: "Node", action: "Add" });
    assert.deepEqual(q.pendingPods().backoff, ["default/p"]);
  });

  it("sends a pod to backoffQ when an event arrived during its attempt", async () => {
    const { q } = newQueue();
    q.add(makePod("p"));
    const qpi = (await q.pop())!;
    const cycle = q.cycleOf(qpi.pod);
    q.moveAllToActiveOrBackoff({ resource: "Node", action: "Add" });
    qpi.unschedulablePlugins = new Set(["NodeResourcesFit"]);
    q.addUnschedulable(qpi, cycle);
    assert.deepEqual(q.pendingPods().backoff, ["default/p"]);
  });

  it("retries unschedulable pods after 5 minutes whatever happened", async () => {
    const { q, clock } = newQueue();
    q.run();
    q.add(makePod("p"));
    await fail(q, ["TaintToleration"]);
    clock.advance(4 * 60_000);
    assert.deepEqual(q.pendingPods().unschedulable, ["default/p"]);
    clock.advance(60_000 + 30_000);
    assert.deepEqual(q.pendingPods().active, ["default/p"]);
    q.close();
  });

  it("requeues an unschedulable pod whose spec changed, and forgets deleted pods", async () => {
    const { q } = newQueue();
    const p = makePod("p");
    q.add(p);
    await fail(q, ["TaintToleration"]);
    const changed: Pod = { ...p, spec: { ...p.spec!, tolerations: [{ operator: "Exists" }] } };
    q.update(changed, true);
    assert.deepEqual(q.pendingPods().backoff, ["default/p"]);
    q.delete(changed);
    assert.equal(q.size(), 0);
  });

  it("holds pods with scheduling gates until the last gate is removed", async () => {
    const gatedSeen: string[] = [];
    const q = new SchedulingQueue({ clock: new FakeClock(), less: (a, b) => sort.less(a, b), onGated: (p) => gatedSeen.push(p.metadata!.name!) });
    const p = makePod("gated");
    p.spec!.schedulingGates = [{ name: "example.com/quota" }, { name: "example.com/volume" }];
    q.add(p);
    assert.deepEqual(q.gatedPods(), ["default/gated"]);
    assert.deepEqual(gatedSeen, ["gated"]);
    assert.equal(q.counts().active, 0);
    q.update({ ...p, spec: { ...p.spec!, schedulingGates: [{ name: "example.com/volume" }] } });
    assert.deepEqual(q.gatedPods(), ["default/gated"]);
    q.update({ ...p, spec: { ...p.spec!, schedulingGates: [] } });
    assert.deepEqual(q.gatedPods(), []);
    assert.equal(await popName(q), "gated");
  });

  it("pop waits for a pod and close releases waiters", async () => {
    const { q } = newQueue();
    const waiting = q.pop();
    q.add(makePod("late"));
    assert.equal((await waiting)?.pod.metadata?.name, "late");
    const never = q.pop();
    q.close();
    assert.equal(await never, undefined);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectorFromSet } from "../../../machinery/labels.js";
import { Status } from "../../framework/status.js";
import type { NodeToStatus, PostFilterPlugin } from "../../framework/types.js";
import { Harness } from "../../testing/harness.js";
import { makeNode, makePod } from "../../testing/builders.js";
import { newDefaultPreemption } from "./default_preemption.js";
import { pickCandidate, selectVictimsOnNode } from "./victims.js";

function statuses(h: Harness, pod: ReturnType<typeof makePod>): NodeToStatus {
  const st = h.state();
  h.framework.runPreFilterPlugins(st, pod);
  const m: NodeToStatus = new Map();
  for (const n of h.snapshot.list()) {
    const s = h.framework.runFilterPlugins(st, pod, n);
    if (!s.isSuccess()) m.set(n.name, s);
  }
  return m;
}

async function preempt(h: Harness, pod: ReturnType<typeof makePod>) {
  const pl: PostFilterPlugin = newDefaultPreemption({}, h.handle);
  const st = h.state();
  h.framework.runPreFilterPlugins(st, pod);
  return pl.postFilter(st, pod, statuses(h, pod));
}

describe("DefaultPreemption", () => {
  it("keeps as many lower-priority pods as possible, evicting the least important", () => {
    const h = new Harness([makeNode("n", { cpu: "3" })], [makePod("p10", { cpu: "1", priority: 10, nodeName: "n" }), makePod("p20", { cpu: "1", priority: 20, nodeName: "n" }), makePod("p30", { cpu: "1", priority: 30, nodeName: "n" })]);
    const pod = makePod("vip", { cpu: "1", priority: 100 });
    const { victims, status } = selectVictimsOnNode(h.handle, { state: h.state(), pod, node: h.node("n") });
    assert.ok(status.isSuccess());
    assert.deepEqual(victims.map((v) => v.metadata?.name), ["p10"]);
  });

  it("never evicts pods of equal or higher priority", async () => {
    const h = new Harness([makeNode("n", { cpu: "1" })], [makePod("same", { cpu: "1", priority: 100, nodeName: "n" })]);
    const r = await preempt(h, makePod("vip", { cpu: "1", priority: 100 }));
    assert.equal(r.status.code, "Unschedulable");
    assert.equal(r.status.message(), "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
  });

  it("nominates the node whose victims matter least", async () => {
    const h = new Harness(
      [makeNode("n1", { cpu: "1" }), makeNode("n2", { cpu: "1" })],
      [makePod("mid", { cpu: "1", priority: 50, nodeName: "n1" }), makePod("low", { cpu: "1", priority: 5, nodeName: "n2" })],
    );
    const r = await preempt(h, makePod("vip", { cpu: "1", priority: 100 }));
    assert.ok(r.status.isSuccess());
    assert.equal(r.result?.nominatedNodeName, "n2");
  });

  it("says preemption cannot help on nodes that reject the pod for unresolvable reasons", async () => {
    const h = new Harness([makeNode("tainted", { taints: [{ key: "k", effect: "NoSchedule" }] }), makeNode("small", { cpu: "1" })], [makePod("low", { cpu: "1", priority: 1, nodeName: "small" })]);
    const r = await preempt(h, makePod("vip", { cpu: "2", priority: 100 }));
    assert.equal(r.status.message(), "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  });

  it("respects preemptionPolicy Never", async () => {
    const h = new Harness([makeNode("n", { cpu: "1" })], [makePod("low", { cpu: "1", priority: 1, nodeName: "n" })]);
    const r = await preempt(h, makePod("polite", { cpu: "1", priority: 100, preemptionPolicy: "Never" }));
    assert.equal(r.status.message(), "preemption: not eligible due to preemptionPolicy=Never.");
  });

  it("dry-runs only as many nodes as minCandidateNodes asks, from a random start", async () => {
    const names = ["n0", "n1", "n2", "n3"];
    const h = new Harness(names.map((n) => makeNode(n, { cpu: "1" })), names.map((n) => makePod(`low-${n}`, { cpu: "1", priority: 1, nodeName: n })));
    const pl = newDefaultPreemption({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1, random: () => 0.5 }, h.handle);
    const pod = makePod("vip", { cpu: "1", priority: 100 });
    const st = h.state();
    h.framework.runPreFilterPlugins(st, pod);
    const r = await pl.postFilter(st, pod, statuses(h, pod));
    assert.equal(r.result?.nominatedNodeName, "n2");
    assert.equal(r.result?.victims, 1);
  });

  it("prefers victims and nodes that break no PodDisruptionBudget", async () => {
    const protectedLabels = { app: "db" };
    const budgets = [{ namespace: "default", selector: selectorFromSet(protectedLabels), disruptionsAllowed: 0 }];
    // Same priorities everywhere: only the budget tells the nodes apart.
    const h = new Harness(
      [makeNode("n1", { cpu: "1" }), makeNode("n2", { cpu: "1" })],
      [makePod("db-0", { cpu: "1", priority: 1, nodeName: "n1", labels: protectedLabels }), makePod("batch-0", { cpu: "1", priority: 1, nodeName: "n2" })],
      { disruptionBudgets: budgets },
    );
    const r = await preempt(h, makePod("vip", { cpu: "1", priority: 100 }));
    assert.equal(r.result?.nominatedNodeName, "n2");
    // On one node, the protected pod is kept when evicting the other makes room.
    const h2 = new Harness([makeNode("n", { cpu: "2" })], [makePod("db-1", { cpu: "1", priority: 1, nodeName: "n", labels: protectedLabels }), makePod("batch-1", { cpu: "1", priority: 5, nodeName: "n" })], { disruptionBudgets: budgets });
    const sel = selectVictimsOnNode(h2.handle, { state: h2.state(), pod: makePod("vip", { cpu: "1", priority: 100 }), node: h2.node("n") });
    assert.deepEqual(sel.victims.map((v) => v.metadata?.name), ["batch-1"]);
    assert.equal(sel.pdbViolations, 0);
  });

  it("picks candidates by highest victim priority, then priority sum, then count", () => {
    const p = (prio: number) => makePod(`p${prio}`, { priority: prio });
    assert.equal(pickCandidate([{ nodeName: "a", victims: [p(10)] }, { nodeName: "b", victims: [p(5), p(5)] }])?.nodeName, "b");
    assert.equal(pickCandidate([{ nodeName: "a", victims: [p(5), p(5)] }, { nodeName: "b", victims: [p(5)] }])?.nodeName, "b");
    assert.equal(pickCandidate([]), undefined);
    assert.ok(Status.success().isSuccess());
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../client/clock.js";
import { silentLogger } from "../util/log.js";
import { SchedulerCache } from "./cache/cache.js";
import { Snapshot } from "./cache/snapshot.js";
import { CycleState } from "./framework/cycle_state.js";
import { FitError } from "./framework/fit_error.js";
import { Framework } from "./framework/framework.js";
import { SchedulerMetrics } from "./metrics.js";
import { IN_TREE_REGISTRY } from "./plugins/registry.js";
import { SchedulingQueue } from "./queue/scheduling_queue.js";
import { Algorithm, numFeasibleNodesToFind } from "./schedule_one.js";
import { defaultConfig } from "./scheduler.js";
import { makeNode, makePod } from "./testing/builders.js";

describe("percentageOfNodesToScore", () => {
  it("checks every node below 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(undefined, 99), 99);
    assert.equal(numFeasibleNodesToFind(10, 50), 50);
  });
  it("adapts by default: 50% minus 1% per 125 nodes, at least 5%, at least 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(undefined, 100), 100);
    assert.equal(numFeasibleNodesToFind(undefined, 1000), 420);
    assert.equal(numFeasibleNodesToFind(undefined, 5000), 500);
    assert.equal(numFeasibleNodesToFind(undefined, 6000), 300);
    assert.equal(numFeasibleNodesToFind(0, 250), 120);
  });
  it("honours a configured percentage, still at least 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(10, 5000), 500);
    assert.equal(numFeasibleNodesToFind(1, 5000), 100);
    assert.equal(numFeasibleNodesToFind(100, 5000), 5000);
  });
});

describe("the scheduling algorithm on an in-memory cluster", () => {
  const setup = (nodes: number, percentage?: number) => {
    const clock = new FakeClock();
    const cache = new SchedulerCache({ clock });
    for (let i = 0; i < nodes; i++) cache.addNode(makeNode(`n${String(i).padStart(3, "0")}`, { cpu: "4" }));
    const snapshot = new Snapshot();
    const fwk = new Framework(defaultConfig().profiles[0]!, IN_TREE_REGISTRY, {
      log: silentLogger,
      clock,
      namespaceLabels: () => undefined,
      priorityClassValue: () => undefined,
      defaultSpreadSelectors: () => [],
      nominatedPodsForNode: () => [],
      snapshot: () => snapshot,
    });
    const algo = new Algorithm({
      cache,
      queue: new SchedulingQueue({ clock, less: () => false }),
      snapshot,
      metrics: new SchedulerMetrics(),
      clock,
      log: silentLogger,
      percentageOfNodesToScore: percentage,
      random: () => 0.999,
      onFailure: async () => {},
      onBound: () => {},
      bindings: new Set(),
    });
    return { cache, snapshot, fwk, algo };
  };

  it("stops filtering once enough feasible nodes are found, and the next pod starts where it stopped", () => {
    const { snapshot, fwk, algo } = setup(400, 25);
    const first = algo.schedulePod(fwk, new CycleState(snapshot), makePod("a"));
    assert.equal(first.feasibleNodes, 100);
    const second = algo.schedulePod(fwk, new CycleState(snapshot), makePod("b"));
    assert.equal(second.feasibleNodes, 100);
    // Equal scores; a random() near 1 keeps the first of each window: windows are [0,100) then [100,200).
    assert.equal(first.host, "n000");
    assert.equal(second.host, "n100");
  });

  it("fails with a FitError naming every node's reason, and with no nodes at all", () => {
    const { snapshot, fwk, algo } = setup(3);
    assert.throws(() => algo.schedulePod(fwk, new CycleState(snapshot), makePod("big", { cpu: "3", nodeSelector: { disk: "ssd" } })), (err: unknown) => {
      assert.ok(err instanceof FitError);
      assert.equal(err.describe(), "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
      assert.deepEqual([...err.diagnosis.unschedulablePlugins], ["NodeAffinity"]);
      return true;
    });
    const empty = setup(0);
    assert.throws(() => empty.algo.schedulePod(empty.fwk, new CycleState(empty.snapshot), makePod("p")), /no nodes available to schedule pods/);
  });

  it("picks the single best-scored node and breaks ties at random", () => {
    const { algo } = setup(1);
    assert.equal(algo.selectHost([{ name: "a", total: 10 }, { name: "b", total: 30 }, { name: "c", total: 20 }]), "b");
    const picks = new Set<string>();
    for (const r of [0, 0.99]) {
      const s = setup(1, undefined);
      (s.algo as unknown as { ctx: { random: () => number } }).ctx.random = () => r;
      picks.add(s.algo.selectHost([{ name: "x", total: 5 }, { name: "y", total: 5 }]));
    }
    assert.deepEqual([...picks].sort(), ["x", "y"]);
  });
});

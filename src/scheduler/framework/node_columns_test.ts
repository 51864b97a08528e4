import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../../client/clock.js";
import { silentLogger } from "../../util/log.js";
import { SchedulerCache } from "../cache/cache.js";
import { Snapshot } from "../cache/snapshot.js";
import { IN_TREE_REGISTRY } from "../plugins/registry.js";
import { defaultConfig } from "../scheduler.js";
import { makeNode, makePod, type NodeSpec, type PodSpecInput } from "../testing/builders.js";
import type { Node, Pod } from "./api_types.js";
import { CycleState } from "./cycle_state.js";
import { Framework } from "./framework.js";
import { NODE_HARD_TAINTS, NODE_IMAGES, NODE_UNSCHEDULABLE } from "./node_columns.js";

const MB = 1024 * 1024;

/** A cluster where every default plugin has something to say: taints of each effect, cordons, labels, images, extended resources, small pod capacities. */
function nodeSpec(i: number, images: boolean): NodeSpec {
  // Without images, no PreferNoSchedule taints either (until a node update adds one): the constant-score paths.
  const taints = [];
  if (i % 7 === 0) taints.push({ key: "dedicated", value: "gpu", effect: "NoSchedule" as const });
  if (i % 13 === 0) taints.push({ key: "evicting", effect: "NoExecute" as const });
  if (images && i % 5 === 0) taints.push({ key: "spot", value: "true", effect: "PreferNoSchedule" as const });
  if (images && i % 10 === 0) taints.push({ key: "old", value: "yes", effect: "PreferNoSchedule" as const });
  return {
    cpu: ["2", "4", "8"][i % 3],
    memory: ["4Gi", "8Gi", "16Gi", "0"][i % 4],
    pods: i % 9 === 0 ? 3 : 110,
    ephemeralStorage: i % 2 === 0 ? "20Gi" : undefined,
    extra: i % 8 === 0 ? { "example.com/gpu": "2" } : undefined,
    labels: { zone: `zone-${i % 3}`, rank: String(i % 7), ...(i % 3 === 0 ? { disk: "ssd" } : {}) },
    taints,
    unschedulable: i % 11 === 0,
    images: images && i % 6 === 0 ? [{ names: ["nginx:1.25"], sizeBytes: 500 * MB }] : undefined,
  };
}

const SHAPES: PodSpecInput[] = [
  { cpu: "100m", memory: "100Mi" },
  { cpu: "3", memory: "1Gi" },
  {},
  { cpu: "500m", tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }, { key: "spot", operator: "Exists", effect: "PreferNoSchedule" }] },
  { cpu: "200m", tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] },
  { cpu: "100m", tolerations: [{ operator: "Exists" }] },
  { memory: "3Gi", nodeSelector: { disk: "ssd" } },
  { cpu: "100m", affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["zone-1"] }] } }] } } },
  { cpu: "100m", requests: { "example.com/gpu": "1" } },
  { cpu: "100m", hostPorts: [8080] },
  { cpu: "100m", image: "nginx:1.25" },
  { cpu: "100m", requests: { "ephemeral-storage": "15Gi" } },
  { cpu: "100m", nodeName: "node-4" },
  { cpu: "1500m", memory: "2Gi", image: "nginx:1.25", tolerations: [{ key: "old", operator: "Exists" }] },
  { cpu: "100m", nodeSelector: { zone: "zone-2", disk: "ssd" } },
  { cpu: "100m", nodeSelector: { zone: "nowhere" } },
  { cpu: "100m", affinity: required([{ matchExpressions: [{ key: "zone", operator: "In", values: ["zone-0", "zone-1"] }] }]) },
  { cpu: "100m", affinity: required([{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["zone-0"] }, { key: "disk", operator: "DoesNotExist" }] }, { matchExpressions: [{ key: "disk", operator: "Exists" }] }]) },
  { cpu: "100m", affinity: required([{ matchExpressions: [] }, { matchExpressions: [{ key: "disk", operator: "NotIn", values: ["ssd"] }] }]) },
  { cpu: "100m", affinity: required([]) },
  { cpu: "100m", affinity: required([{ matchExpressions: [{ key: "rank", operator: "Gt", values: ["3"] }] }]) },
  { cpu: "100m", affinity: required([{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["node-1"] }] }]) },
  { cpu: "100m", labels: { color: "green" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: "green" } }, topologyKey: "kubernetes.io/hostname" }] } } },
  { cpu: "100m", labels: { color: "blue" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: "blue" } }, topologyKey: "zone" }] } } },
  { cpu: "100m", labels: { color: "green" } },
  { cpu: "100m", labels: { color: "red" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: "green" } }, topologyKey: "zone" }] } } },
];

function required(nodeSelectorTerms: NonNullable<NonNullable<NonNullable<PodSpecInput["affinity"]>["nodeAffinity"]>["requiredDuringSchedulingIgnoredDuringExecution"]>["nodeSelectorTerms"]): PodSpecInput["affinity"] {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } };
}

function setup(): { cache: SchedulerCache; snapshot: Snapshot; fwk: Framework } {
  const cache = new SchedulerCache({ clock: new FakeClock() });
  const snapshot = new Snapshot();
  const fwk = new Framework(defaultConfig().profiles[0]!, IN_TREE_REGISTRY, {
    log: silentLogger,
    clock: new FakeClock(),
    namespaceLabels: () => undefined,
    priorityClassValue: () => undefined,
    defaultSpreadSelectors: () => [],
    nominatedPodsForNode: () => [],
    hasNominatedPods: () => false,
    snapshot: () => snapshot,
  });
  return { cache, snapshot, fwk };
}

/**
 * Schedules `rounds` pods of varied shapes on a varied cluster that keeps changing between cycles (pods assumed,
 * confirmed, removed; nodes tainted, cordoned, relabelled, added, removed), comparing in every cycle the fast path
 * (filter and score kernels over the snapshot's node columns) with the plain plugin calls on every node.
 */
function compareCycles(images: boolean, rounds: number): { rejectedBy: Set<string>; fastNodes: number; imageSkips: number } {
  const { cache, snapshot, fwk } = setup();
  const nodes = new Map<string, Node>();
  let nodeSeq = 0;
  const addNode = (): void => {
    const i = nodeSeq++;
    const n = makeNode(`node-${i}`, nodeSpec(i, images));
    nodes.set(n.metadata!.name!, n);
    cache.addNode(n);
  };
  for (let i = 0; i < 40; i++) addNode();
  const placed: Pod[] = [];
  const rejectedBy = new Set<string>();
  let fastNodes = 0;
  let imageSkips = 0;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < rounds; round++) {
    // Change the cluster between cycles.
    const change = rand(10);
    if (change === 0 && placed.length) cache.removePod(placed.splice(rand(placed.length), 1)[0]!);
    else if (change === 1 && placed.length) cache.addPod(placed[rand(placed.length)]!);
    else if (change === 2) {
      const name = `node-${rand(nodeSeq)}`;
      const old = nodes.get(name);
      if (old) {
        const flip = rand(3);
        const spec = { ...old.spec };
        if (flip === 0) spec.unschedulable = !spec.unschedulable;
        else if (flip === 1) spec.taints = spec.taints?.length ? [] : [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }, { key: "spot", effect: "PreferNoSchedule" }];
        const labels = { ...old.metadata!.labels };
        if (flip === 2) {
          labels.zone = "zone-1";
          if ("disk" in labels) delete labels.disk;
          else labels.disk = "ssd";
        }
        const updated: Node = { ...old, spec, metadata: { ...old.metadata, labels } };
        nodes.set(name, updated);
        cache.updateNode(updated);
      }
    } else if (change === 3) addNode();
    else if (change === 4 && nodes.size > 20) {
      const name = [...nodes.keys()][rand(nodes.size)]!;
      cache.removeNode(nodes.get(name)!);
      nodes.delete(name);
    }
    cache.updateSnapshot(snapshot);
    const all = snapshot.list();
    const cols = snapshot.columns()!;
    assert.equal(cols.length, all.length);
    for (let i = 0; i < all.length; i++) {
      const ni = all[i]!;
      assert.equal(cols.podCount[i], ni.pods.length);
      assert.equal(cols.reqCpu[i], ni.requested.cpu);
      assert.equal(cols.reqMemory[i], ni.requested.memory);
      assert.equal(cols.nonZeroMemory[i], ni.nonZeroRequested.memory);
      assert.equal(cols.allocMemory[i], ni.allocatable.memory);
      assert.equal((cols.flags[i]! & NODE_UNSCHEDULABLE) !== 0, !!ni.node?.spec?.unschedulable);
      assert.equal((cols.flags[i]! & NODE_IMAGES) !== 0, ni.imageStates.size > 0);
      // Label columns (kept up to date from the round they were first asked for).
      for (const key of ["zone", "disk"]) {
        const labels = ni.node!.metadata!.labels!;
        assert.equal(cols.labelColumn(key)![i], key in labels ? cols.valueId(labels[key]!) : 0, `${key} of ${ni.name}`);
      }
    }
    assert.equal(cols.count(NODE_HARD_TAINTS), all.filter((n) => n.node?.spec?.taints?.some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute")).length);

    const pod = makePod(`p-${round}`, SHAPES[round % SHAPES.length]!);
    const state = new CycleState(snapshot);
    const pre = fwk.runPreFilterPlugins(state, pod);
    if (!pre.status.isSuccess()) continue;
    const plan = fwk.planFilters(state, pod)!;
    const feasible = [];
    const positions: number[] = [];
    for (let i = 0; i < all.length; i++) {
      const n = all[i]!;
      const plain = fwk.runFilterPlugins(state, pod, n);
      const fast = fwk.runFilterPluginsWithPlan(plan, state, pod, n, i);
      assert.deepEqual({ code: fast.code, reasons: fast.reasons, plugin: fast.plugin }, { code: plain.code, reasons: plain.reasons, plugin: plain.plugin }, `pod ${round} on ${n.name}`);
      if (plan.kernels.every((k) => k(i))) fastNodes++;
      if (plain.isSuccess()) {
        feasible.push(n);
        positions.push(i);
      } else rejectedBy.add(plain.plugin);
    }
    if (feasible.length === 0) continue;
    assert.ok(fwk.runPreScorePlugins(state, pod, feasible).isSuccess());
    const skipped = state.skipScorePlugins.has("ImageLocality");
    assert.equal(skipped, !feasible.some((n) => n.imageStates.size > 0));
    if (skipped) imageSkips++;
    const plain = fwk.scoreNodes(state, pod, feasible);
    const fast = fwk.scoreNodes(state, pod, feasible, positions);
    assert.ok(plain.status.isSuccess() && fast.status.isSuccess());
    assert.deepEqual([...fast.totals], [...plain.totals], `scores of pod ${round}`);
    // The public runner answers the same totals (it finds the positions itself).
    assert.deepEqual(fwk.runScorePlugins(state, pod, feasible).scores.map((s) => s.total), [...plain.totals]);
    // Place it on the best node (first of the highest), as assumed.
    let best = 0;
    for (let i = 1; i < plain.totals.length; i++) if (plain.totals[i]! > plain.totals[best]!) best = i;
    const host = feasible[best]!.name;
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    cache.assumePod(assumed, host);
    placed.push(assumed);
  }
  return { rejectedBy, fastNodes, imageSkips };
}

describe("node columns and the filter/score kernels", () => {
  it("give the same statuses and scores as the plugins on every node, on a varied cluster that changes between cycles", () => {
    const { rejectedBy, fastNodes, imageSkips } = compareCycles(true, 400);
    // The comparison covered rejections by every plugin with a kernel and by those without, and fast answers.
    for (const p of ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "InterPodAffinity"]) assert.ok(rejectedBy.has(p), `no node rejected by ${p}`);
    assert.ok(fastNodes > 1000, `only ${fastNodes} nodes passed every kernel`);
    assert.ok(imageSkips > 0);
  });

  it("agree when no node reports an image or has a PreferNoSchedule taint (ImageLocality skipped, TaintToleration's score the same everywhere)", () => {
    const { imageSkips } = compareCycles(false, 150);
    assert.ok(imageSkips > 100);
  });

  it("are not offered for a what-if view (preemption's), which the plugins then answer alone", () => {
    const { cache, snapshot } = setup();
    cache.addNode(makeNode("a"));
    cache.addNode(makeNode("b"));
    cache.updateSnapshot(snapshot);
    assert.ok(snapshot.columns());
    assert.equal(snapshot.withNode(snapshot.get("a")!.clone()).columns(), undefined);
  });
});

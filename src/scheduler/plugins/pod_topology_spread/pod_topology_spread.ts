// PodTopologySpread: DoNotSchedule constraints filter out nodes where placing the pod would make the number of
// matching pods in its topology domain exceed the least-loaded domain by more than maxSkew (with minDomains: too
// few domains count as a minimum of 0); ScheduleAnyway constraints score nodes by how crowded their domains are.
import type { StateData } from "../../framework/cycle_state.js";
import type { Snapshot } from "../../cache/snapshot.js";
import type { Pod } from "../../framework/api_types.js";
import { NODE_PRESENT } from "../../framework/node_columns.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { Status } from "../../framework/status.js";
import {
  MAX_NODE_SCORE,
  type ClusterEvent,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from "../../framework/types.js";
import { buildConstraints, HOSTNAME_LABEL, MatchCounts, nodeIncluded, type Constraint, type PodTopologySpreadArgs } from "./constraints.js";

export const NAME = "PodTopologySpread";
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)";
const PREFILTER_KEY = "PreFilter" + NAME;
const PRESCORE_KEY = "PreScore" + NAME;

class FilterState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: topology value -> matching pods. */
    readonly counts: Map<string, number>[],
    readonly minMatch: number[],
    /** Per constraint: 1 when the incoming pod matches its own selector (it would count in the domain it joins). */
    readonly selfMatch: number[],
  ) {}
  clone(): StateData {
    return this;
  }
}

class ScoreState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: a node's matching pods (MatchCounts), for per-node domains counted in score(). */
    readonly counters: ((n: NodeInfo) => number)[],
    readonly counts: Map<string, number>[],
    readonly weights: number[],
    readonly ignored: Set<string>,
  ) {}
  clone(): StateData {
    return this;
  }
}

const hasAllKeys = (n: NodeInfo, cs: Constraint[]): boolean => cs.every((c) => c.topologyKey in (n.node?.metadata?.labels ?? {}));

/**
 * PreFilter's counts (per constraint: topology value -> matching pods) over the snapshot's label columns: a node's
 * labels and inclusion are read from the columns (the node itself only when the constraint honours node affinity
 * the pod has, or taints), its pods only when it has some. undefined without columns (the caller counts plainly)
 * or for a topology key an object inherits (`in` would see it).
 */
function countWithColumns(snapshot: Snapshot, pod: Pod, constraints: Constraint[], counters: ((n: NodeInfo) => number)[]): Map<string, number>[] | undefined {
  const cols = snapshot.columns();
  if (!cols || constraints.some((c) => c.topologyKey in Object.prototype)) return undefined;
  const keyCols: Int32Array[] = [];
  for (const c of constraints) {
    const col = cols.labelColumn(c.topologyKey);
    if (!col) return undefined;
    keyCols.push(col);
  }
  const nodeConstrained = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0 || !!pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const needsNode = constraints.map((c) => c.honorNodeTaints || (c.honorNodeAffinity && nodeConstrained));
  // Per constraint, by label value id: 1 + the domain's count once a node of the domain was seen (0: not seen), and
  // the ids in the order first seen (the order of the answer's maps, as counting node by node gives).
  const sums = constraints.map(() => new Int32Array(cols.valueCount));
  const seen = constraints.map((): number[] => []);
  const nodes = snapshot.list();
  const { flags, podCount } = cols;
  const k = constraints.length;
  for (let i = 0; i < nodes.length; i++) {
    if ((flags[i]! & NODE_PRESENT) === 0) continue;
    let all = true;
    for (let c = 0; c < k; c++) if (keyCols[c]![i] === 0) all = false;
    if (!all) continue;
    for (let c = 0; c < k; c++) {
      const con = constraints[c]!;
      if (needsNode[c] && !nodeIncluded(pod, nodes[i]!.node!, con)) continue;
      const id = keyCols[c]![i]!;
      const sum = sums[c]!;
      if (sum[id] === 0) {
        sum[id] = 1;
        seen[c]!.push(id);
      }
      if (podCount[i] !== 0) sum[id] += counters[c]!(nodes[i]!);
    }
  }
  return seen.map((ids, c) => {
    const out = new Map<string, number>();
    for (const id of ids) out.set(cols.valueOf(id), sums[c]![id]! - 1);
    return out;
  });
}

export function newPodTopologySpread(rawArgs: unknown, handle: Handle): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as PodTopologySpreadArgs;
  for (const c of args.defaultConstraints ?? []) if (c.maxSkew <= 0) throw new Error(`PodTopologySpread args: defaultConstraints maxSkew: Invalid value: ${c.maxSkew}: must be greater than zero`);
  if (args.defaultingType === "System" && args.defaultConstraints?.length) throw new Error("PodTopologySpread args: defaultConstraints: Invalid value: when .defaultingType is \"System\", .defaultConstraints must be empty");

  const matchCounts = new MatchCounts();
  return {
    name: NAME,
    preFilter(state, pod) {
      const constraints = buildConstraints(pod, "DoNotSchedule", args, handle);
      if (constraints.length === 0) return { status: Status.skip() };
      const ns = pod.metadata?.namespace ?? "";
      const counters = constraints.map((c) => matchCounts.counter(ns, c));
      const fast = countWithColumns(state.snapshot, pod, constraints, counters);
      const counts = fast ?? constraints.map(() => new Map<string, number>());
      if (!fast) for (const n of state.snapshot.list()) {
        if (!n.node || !hasAllKeys(n, constraints)) continue;
        const labels = n.node.metadata?.labels ?? {};
        constraints.forEach((c, i) => {
          if (!nodeIncluded(pod, n.node!, c)) return;
          const v = labels[c.topologyKey]!;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + counters[i]!(n));
        });
      }
      const minMatch = constraints.map((c, i) => {
        const m = counts[i]!;
        if (m.size < c.minDomains) return 0;
        let min = Infinity;
        for (const v of m.values()) min = Math.min(min, v);
        return min === Infinity ? 0 : min;
      });
      const podLabels = pod.metadata?.labels ?? {};
      const selfMatch = constraints.map((c) => (c.selector.matches(podLabels) ? 1 : 0));
      state.write(PREFILTER_KEY, new FilterState(constraints, counts, minMatch, selfMatch));
      return { status: Status.success() };
    },
    filter(state, pod, node) {
      const st = state.read<FilterState>(PREFILTER_KEY);
      if (!st) return Status.success();
      const labels = node.node?.metadata?.labels ?? {};
      const { constraints } = st;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (!(c.topologyKey in labels)) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const skew = (st.counts[i]!.get(labels[c.topologyKey]!) ?? 0) + st.selfMatch[i]! - st.minMatch[i]!;
        if (skew > c.maxSkew) return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return Status.success();
    },
    preScore(state, pod, feasible) {
      const constraints = buildConstraints(pod, "ScheduleAnyway", args, handle);
      if (constraints.length === 0) return Status.skip();
      const ns = pod.metadata?.namespace ?? "";
      const ignored = new Set<string>();
      const domains = constraints.map(() => new Set<string>());
      for (const n of feasible) {
        if (!hasAllKeys(n, constraints)) {
          ignored.add(n.name);
          continue;
        }
        const labels = n.node!.metadata?.labels ?? {};
        constraints.forEach((c, i) => domains[i]!.add(labels[c.topologyKey]!));
      }
      const counters = constraints.map((c) => matchCounts.counter(ns, c));
      const counts = constraints.map(() => new Map<string, number>());
      for (const n of state.snapshot.list()) {
        if (!n.node || !hasAllKeys(n, constraints)) continue;
        const labels = n.node.metadata?.labels ?? {};
        constraints.forEach((c, i) => {
          // Per-node domains are counted in score() directly.
          if (c.topologyKey === HOSTNAME_LABEL || !nodeIncluded(pod, n.node!, c)) return;
          const v = labels[c.topologyKey]!;
          if (!domains[i]!.has(v)) return;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + counters[i]!(n));
        });
      }
      // More domains make each one's count weigh more, so spreading over many small domains still matters.
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME_LABEL ? feasible.length - ignored.size : domains[i]!.size) + 2));
      state.write(PRESCORE_KEY, new ScoreState(constraints, counters, counts, weights, ignored));
      return Status.success();
    },
    score(state, _pod, node) {
      const st = state.read<ScoreState>(PRESCORE_KEY);
      if (!st || st.ignored.has(node.name)) return { score: 0, status: Status.success() };
      const labels = node.node?.metadata?.labels ?? {};
      let score = 0;
      st.constraints.forEach((c, i) => {
        const v = labels[c.topologyKey];
        if (v === undefined) return;
        const cnt = c.topologyKey === HOSTNAME_LABEL ? st.counters[i]!(node) : (st.counts[i]!.get(v) ?? 0);
        score += cnt * st.weights[i]! + (c.maxSkew - 1);
      });
      return { score: Math.round(score), status: Status.success() };
    },
    normalizeScore(state, _pod, scores) {
      const st = state.read<ScoreState>(PRESCORE_KEY);
      if (!st) return Status.success();
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (st.ignored.has(s.name)) continue;
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      for (const s of scores) {
        if (st.ignored.has(s.name)) s.score = 0;
        else if (max === 0) s.score = MAX_NODE_SCORE;
        else s.score = Math.trunc((MAX_NODE_SCORE * (max + min - s.score)) / max);
      }
      return Status.success();
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "AssignedPod", action: "All" },
      { resource: "Node", action: "All" },
    ],
  };
}

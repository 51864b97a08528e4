// InterPodAffinity: required pod affinity (the node's topology domain must already hold a matching pod),
// required anti-affinity (it must not), existing pods' required anti-affinity against the incoming pod, and
// preferred (anti-)affinity scoring. Counts are per topology pair (topologyKey, the node's value for it) and are
// computed once in PreFilter / PreScore.
import type { Pod } from "../../framework/api_types.js";
import type { StateData } from "../../framework/cycle_state.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { termMatches, type AffinityTerm, type PodInfo } from "../../framework/pod_info.js";
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

export const NAME = "InterPodAffinity";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const PREFILTER_KEY = "PreFilter" + NAME;
const PRESCORE_KEY = "PreScore" + NAME;

export interface InterPodAffinityArgs {
  /** Weight of existing pods' required affinity terms when scoring symmetrically (0..100, default 1). */
  hardPodAffinityWeight?: number;
}

const pair = (key: string, value: string): string => `${key}\u0000${value}`;

class FilterState implements StateData {
  constructor(
    readonly info: PodInfo,
    readonly existingAnti: Map<string, number>,
    readonly affinity: Map<string, number>,
    readonly anti: Map<string, number>,
  ) {}
  clone(): StateData {
    return this;
  }
}

class ScoreState implements StateData {
  constructor(readonly scores: Map<string, number>) {}
  clone(): StateData {
    return this;
  }
}

function inc(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

export function newInterPodAffinity(rawArgs: unknown, handle: Handle): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as InterPodAffinityArgs;
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  if (hardWeight < 0 || hardWeight > 100) throw new Error(`InterPodAffinity args: hardPodAffinityWeight: Invalid value: ${hardWeight}: not in valid range [0, 100]`);
  const nsLabels = (ns: string) => handle.namespaceLabels(ns);
  const matches = (t: AffinityTerm, p: Pod): boolean => termMatches(t, p, nsLabels);
  const labelsOf = (n: NodeInfo): Record<string, string> => n.node?.metadata?.labels ?? {};

  return {
    name: NAME,
    preFilter(state, pod) {
      const info = state.podInfo(pod);
      const existingAnti = new Map<string, number>();
      for (const n of state.snapshot.havePodsWithRequiredAntiAffinity()) {
        const labels = labelsOf(n);
        for (const ep of n.podsWithRequiredAntiAffinity) {
          for (const t of ep.requiredAntiAffinity) {
            if (t.topologyKey in labels && matches(t, pod)) inc(existingAnti, pair(t.topologyKey, labels[t.topologyKey]!));
          }
        }
      }
      if (existingAnti.size === 0 && info.requiredAffinity.length === 0 && info.requiredAntiAffinity.length === 0) return { status: Status.skip() };
      const affinity = new Map<string, number>();
      const anti = new Map<string, number>();
      if (info.requiredAffinity.length || info.requiredAntiAffinity.length) {
        const list = state.snapshot.list();
        // Nodes without pods add nothing: the pod counts (when the snapshot has them) spare reading those nodes.
        const podCount = state.snapshot.columns()?.podCount;
        for (let i = 0; i < list.length; i++) {
          if (podCount !== undefined && podCount[i] === 0) continue;
          const n = list[i]!;
          const labels = labelsOf(n);
          for (const ep of n.pods) {
            // Affinity counts a pod only where it matches every term: all terms must hold in one domain.
            if (info.requiredAffinity.length && info.requiredAffinity.every((t) => matches(t, ep.pod))) {
              for (const t of info.requiredAffinity) if (t.topologyKey in labels) inc(affinity, pair(t.topologyKey, labels[t.topologyKey]!));
            }
            for (const t of info.requiredAntiAffinity) if (t.topologyKey in labels && matches(t, ep.pod)) inc(anti, pair(t.topologyKey, labels[t.topologyKey]!));
          }
        }
      }
      state.write(PREFILTER_KEY, new FilterState(info, existingAnti, affinity, anti));
      return { status: Status.success() };
    },
    // Without required affinity, a node fails only where one of its labels is a (key, value) with a positive count in
    // the anti-affinity maps: the kernel checks the node's values for those keys; such nodes go through filter().
    filterKernel(state, _pod, cols) {
      const st = state.read<FilterState>(PREFILTER_KEY);
      if (!st || st.info.requiredAffinity.length) return undefined;
      const groups = new Map<string, Set<number>>();
      const add = (m: Map<string, number>): boolean => {
        for (const [pk, cnt] of m) {
          if (cnt <= 0) continue;
          const at = pk.indexOf("\u0000");
          const key = pk.slice(0, at);
          if (key in Object.prototype) return false;
          let ids = groups.get(key);
          if (!ids) groups.set(key, (ids = new Set()));
          ids.add(cols.valueId(pk.slice(at + 1)));
        }
        return true;
      };
      // The pod's own anti-affinity counts only for its terms' keys (anti holds no other keys).
      if (!add(st.anti) || !add(st.existingAnti)) return undefined;
      if (groups.size === 0) return "all";
      const checks: Array<{ col: Int32Array; ids: Set<number> }> = [];
      for (const [key, ids] of groups) {
        const col = cols.labelColumn(key);
        if (!col) return undefined;
        checks.push({ col, ids });
      }
      return (i) => {
        for (let c = 0; c < checks.length; c++) {
          const { col, ids } = checks[c]!;
          const v = col[i]!;
          if (v !== 0 && ids.has(v)) return false;
        }
        return true;
      };
    },
    filter(state, _pod, node) {
      const st = state.read<FilterState>(PREFILTER_KEY);
      if (!st) return Status.success();
      const labels = labelsOf(node);
      let podsExist = true;
      for (const t of st.info.requiredAffinity) {
        if (!(t.topologyKey in labels)) return Status.unresolvable(ERR_REASON_AFFINITY);
        if ((st.affinity.get(pair(t.topologyKey, labels[t.topologyKey]!)) ?? 0) <= 0) podsExist = false;
      }
      // The first pod of a group with affinity to itself may go anywhere when no matching pod exists yet.
      if (!podsExist && !(st.affinity.size === 0 && st.info.requiredAffinity.every((t) => matches(t, st.info.pod)))) {
        return Status.unresolvable(ERR_REASON_AFFINITY);
      }
      for (const t of st.info.requiredAntiAffinity) {
        if (t.topologyKey in labels && (st.anti.get(pair(t.topologyKey, labels[t.topologyKey]!)) ?? 0) > 0) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
      }
      for (const [k, v] of Object.entries(labels)) {
        if ((st.existingAnti.get(pair(k, v)) ?? 0) > 0) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
      }
      return Status.success();
    },
    preScore(state, pod, nodes) {
      const info = state.podInfo(pod);
      const hasPreferred = info.preferredAffinity.length + info.preferredAntiAffinity.length > 0;
      const candidates = hasPreferred ? state.snapshot.list() : state.snapshot.havePodsWithAffinity();
      if (!hasPreferred && candidates.length === 0) return Status.skip();
      const scores = new Map<string, number>();
      const add = (t: AffinityTerm, labels: Record<string, string>, weight: number): void => {
        if (weight !== 0 && t.topologyKey in labels) inc(scores, pair(t.topologyKey, labels[t.topologyKey]!), weight);
      };
      for (const n of candidates) {
        const labels = labelsOf(n);
        for (const ep of hasPreferred ? n.pods : n.podsWithAffinity) {
          for (const t of info.preferredAffinity) if (matches(t, ep.pod)) add(t, labels, t.weight);
          for (const t of info.preferredAntiAffinity) if (matches(t, ep.pod)) add(t, labels, -t.weight);
          // Symmetry: existing pods' own terms about the incoming pod count too.
          if (hardWeight > 0) for (const t of ep.requiredAffinity) if (matches(t, pod)) add(t, labels, hardWeight);
          for (const t of ep.preferredAffinity) if (matches(t, pod)) add(t, labels, t.weight);
          for (const t of ep.preferredAntiAffinity) if (matches(t, pod)) add(t, labels, -t.weight);
        }
      }
      void nodes;
      if (scores.size === 0) return Status.skip();
      state.write(PRESCORE_KEY, new ScoreState(scores));
      return Status.success();
    },
    score(state, _pod, node) {
      const st = state.read<ScoreState>(PRESCORE_KEY);
      let s = 0;
      if (st) for (const [k, v] of Object.entries(labelsOf(node))) s += st.scores.get(pair(k, v)) ?? 0;
      return { score: s, status: Status.success() };
    },
    normalizeScore(state, _pod, scores) {
      if (!state.read<ScoreState>(PRESCORE_KEY)) return Status.success();
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
      return Status.success();
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "AssignedPod", action: "All" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeLabel" },
    ],
  };
}

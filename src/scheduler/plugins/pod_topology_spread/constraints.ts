// Topology spread constraints as the plugin uses them: the pod's own constraints, or the defaults (configured or
// the system ones) for pods owned by a Service, ReplicationController, ReplicaSet or StatefulSet.
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { everything, nothing, selectorFromLabelSelector } from "../../../machinery/labels.js";
import type { Node, Pod, TopologySpreadConstraint } from "../../framework/api_types.js";
import type { NodeInfo } from "../../framework/node_info.js";
import type { Handle } from "../../framework/types.js";
import { podMatchesNodeSelectorAndAffinity } from "../helper/node_selector.js";
import { findUntoleratedTaint } from "../helper/taints.js";

export type Matcher = { matches(labels?: Record<string, string> | null): boolean };

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Matcher;
  /** Text equal for constraints whose selectors pick the same pods (the pod's labelSelector and the values of its
   *  matchLabelKeys); undefined for the default constraints (selectors of the pod's owners). */
  selectorKey?: string;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

export interface DefaultConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
}

export interface PodTopologySpreadArgs {
  defaultConstraints?: DefaultConstraint[];
  /** "System" (default): Kubernetes' built-in defaults; "List": defaultConstraints as given. */
  defaultingType?: "System" | "List";
}

export const HOSTNAME_LABEL = "kubernetes.io/hostname";
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export const SYSTEM_DEFAULT_CONSTRAINTS: DefaultConstraint[] = [
  { topologyKey: HOSTNAME_LABEL, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 3 },
  { topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 5 },
];

function safeSelector(ls: LabelSelector | undefined): Matcher {
  try {
    return selectorFromLabelSelector(ls);
  } catch {
    return nothing();
  }
}

export function buildConstraints(pod: Pod, when: "DoNotSchedule" | "ScheduleAnyway", args: PodTopologySpreadArgs, handle: Handle): Constraint[] {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  if (own.length > 0) {
    return own.filter((c) => c.whenUnsatisfiable === when).map((c) => fromPodConstraint(pod, c));
  }
  const defaults = args.defaultingType === "List" ? (args.defaultConstraints ?? []) : SYSTEM_DEFAULT_CONSTRAINTS;
  const wanted = defaults.filter((c) => c.whenUnsatisfiable === when);
  if (wanted.length === 0) return [];
  const selectors = handle.defaultSpreadSelectors(pod);
  if (selectors.length === 0) return [];
  const selector: Matcher = { matches: (l) => selectors.every((s) => s.matches(l)) };
  return wanted.map((c) => ({ maxSkew: c.maxSkew, topologyKey: c.topologyKey, selector, minDomains: 1, honorNodeAffinity: true, honorNodeTaints: false }));
}

function fromPodConstraint(pod: Pod, c: TopologySpreadConstraint): Constraint {
  let selector: Matcher = c.labelSelector ? safeSelector(c.labelSelector) : nothing();
  const labels = pod.metadata?.labels ?? {};
  const keys = (c.matchLabelKeys ?? []).filter((k) => k in labels);
  if (keys.length && c.labelSelector) {
    const base = selector;
    selector = { matches: (l) => base.matches(l) && keys.every((k) => (l ?? {})[k] === labels[k]) };
  }
  if (!c.labelSelector && keys.length === 0) selector = nothing();
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    selectorKey: c.labelSelector ? JSON.stringify([c.labelSelector, keys.map((k) => [k, labels[k]])]) : undefined,
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
    honorNodeTaints: (c.nodeTaintsPolicy ?? "Ignore") === "Honor",
  };
}

/** Whether a node takes part in the counting for this pod under the constraint's inclusion policies. */
export function nodeIncluded(pod: Pod, node: Node, c: Constraint): boolean {
  if (c.honorNodeAffinity && !podMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, (t) => t.effect === "NoSchedule" || t.effect === "NoExecute")) return false;
  return true;
}

/** Pods of the incoming pod's namespace, not terminating, that the selector picks. */
export function countMatching(pods: Array<{ pod: Pod }>, ns: string, selector: Matcher): number {
  let n = 0;
  for (const { pod } of pods) {
    if (pod.metadata?.namespace !== ns || pod.metadata?.deletionTimestamp) continue;
    if (selector.matches(pod.metadata?.labels ?? {})) n++;
  }
  return n;
}

/** A node's count for one selector, valid while the node's generation is `generation`. */
interface NodeCount {
  generation: number;
  count: number;
}

/** Selectors remembered at most; past it the memo starts over (a cluster rarely has this many spread groups). */
const MAX_REMEMBERED_SELECTORS = 256;

/**
 * countMatching per node, remembered per selector (namespace and Constraint.selectorKey) while the node's pods stay
 * the same: NodeInfo.generation changes with every pod added to or removed from the node, and an unchanged node
 * keeps its NodeInfo from one snapshot to the next. Spreading pods of one group, each PreFilter then counts again
 * only on the nodes that changed since the group's previous pod instead of over every pod in the cluster; the
 * counts are the same.
 */
export class MatchCounts {
  private readonly bySelector = new Map<string, WeakMap<NodeInfo, NodeCount>>();

  /** The counter for a constraint's selector in a namespace (plain counting when it has no selectorKey). */
  counter(ns: string, c: Constraint): (n: NodeInfo) => number {
    if (c.selectorKey === undefined) return (n) => countMatching(n.pods, ns, c.selector);
    const key = `${ns}\u0000${c.selectorKey}`;
    let memo = this.bySelector.get(key);
    if (!memo) {
      if (this.bySelector.size >= MAX_REMEMBERED_SELECTORS) this.bySelector.clear();
      this.bySelector.set(key, (memo = new WeakMap()));
    }
    const table = memo;
    return (n) => {
      const known = table.get(n);
      if (known !== undefined && known.generation === n.generation) return known.count;
      const count = countMatching(n.pods, ns, c.selector);
      if (known !== undefined) {
        known.generation = n.generation;
        known.count = count;
      } else table.set(n, { generation: n.generation, count });
      return count;
    };
  }
}

export const anySelector = everything;

// Which nodes a DaemonSet's pod belongs on. A node qualifies when the pod template's nodeSelector and required
// node affinity match it and its NoSchedule/NoExecute taints are tolerated, counting the tolerations every daemon
// pod gets (not-ready and unreachable for NoExecute; disk, memory and pid pressure and unschedulable for
// NoSchedule; network-unavailable too for host-network pods), so daemons keep running on troubled nodes.
// A pod already on a node may stay while only NoSchedule taints are untolerated; an untolerated NoExecute taint
// (or a selector no longer matching) means it must go.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration } from "kubernetes-types/core/v1.js";

export const DEFAULT_DAEMON_TOLERATIONS: Toleration[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];

export const NETWORK_UNAVAILABLE_TOLERATION: Toleration = { key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" };

/** The pod's tolerations plus the daemon defaults it does not already have (same key, operator and effect). */
export function withDaemonTolerations(spec: PodSpec): Toleration[] {
  const out = [...(spec.tolerations ?? [])];
  const defaults = spec.hostNetwork ? [...DEFAULT_DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE_TOLERATION] : DEFAULT_DAEMON_TOLERATIONS;
  for (const d of defaults) if (!out.some((t) => t.key === d.key && t.effect === d.effect && (t.operator ?? "Equal") === d.operator)) out.push({ ...d });
  return out;
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === "Exists") return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1 || !/^-?\d+$/.test(values[0]!)) return false;
      return req.operator === "Gt" ? BigInt(value) > BigInt(values[0]!) : BigInt(value) < BigInt(values[0]!);
    }
    default:
      return false;
  }
}

/** One required node-affinity term: all its expressions and fields must match; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  return (
    exprs.every((r) => requirementMatches(r, labels[r.key])) &&
    fields.every((r) => r.key === "metadata.name" && requirementMatches(r, node.metadata?.name))
  );
}

/** nodeSelector and required node affinity (any term) of a pod spec against a node. */
export function selectorsMatch(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, node))) return false;
  return true;
}

export interface Eligibility {
  /** A daemon pod should be created on the node (if missing). */
  shouldRun: boolean;
  /** A daemon pod already there may stay. */
  shouldContinueRunning: boolean;
}

export function nodeEligibility(spec: PodSpec, node: Node): Eligibility {
  if (!selectorsMatch(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(spec);
  const untolerated = (node.spec?.taints ?? []).filter((taint) => taint.effect !== "PreferNoSchedule" && !tolerations.some((t) => tolerates(t, taint)));
  return {
    shouldRun: untolerated.length === 0,
    shouldContinueRunning: !untolerated.some((t) => t.effect === "NoExecute"),
  };
}

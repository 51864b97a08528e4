// Which surplus pods go first when a ReplicaSet scales down, in Kubernetes' order (ActivePodsWithRanks): the pods
// whose loss hurts least come first:
//   unassigned before assigned; Pending before Unknown before Running; not ready before ready; lower
//   controller.kubernetes.io/pod-deletion-cost first; pods doubled up on a node with more related pods first;
//   ready for a shorter time first; more container restarts first; newer first.
import type { Pod } from "kubernetes-types/core/v1.js";
import { isPodReady, podReadyCondition, timeMs } from "./pod_utils.js";

export const POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";

// A pod with no phase yet has just been created: it ranks with Pending, as the map lookup's zero value does.
const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ""] ?? 0;
}

function deletionCost(pod: Pod): number {
  const v = Number.parseInt(pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION] ?? "", 10);
  return Number.isFinite(v) ? v : 0;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

interface Ranked {
  pod: Pod;
  /** Related active pods on the same node: a higher rank means the node is crowded by this workload. */
  rank: number;
}

/** Negative when a should be deleted before b. */
function compare(a: Ranked, b: Ranked): number {
  const pa = a.pod;
  const pb = b.pod;
  const assignedA = pa.spec?.nodeName ? 1 : 0;
  const assignedB = pb.spec?.nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  if (phaseOrdinal(pa) !== phaseOrdinal(pb)) return phaseOrdinal(pa) - phaseOrdinal(pb);
  const readyA = isPodReady(pa) ? 1 : 0;
  const readyB = isPodReady(pb) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  if (deletionCost(pa) !== deletionCost(pb)) return deletionCost(pa) - deletionCost(pb);
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (readyA && readyB) {
    const ta = timeMs(podReadyCondition(pa)?.lastTransitionTime);
    const tb = timeMs(podReadyCondition(pb)?.lastTransitionTime);
    if (ta !== tb) return tb - ta;
  }
  if (maxRestarts(pa) !== maxRestarts(pb)) return maxRestarts(pb) - maxRestarts(pa);
  return timeMs(pb.metadata?.creationTimestamp) - timeMs(pa.metadata?.creationTimestamp);
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods of this workload and its siblings
 * (the other ReplicaSets of the same Deployment): pods sharing a node with many of them are preferred victims.
 */
export function podsToDelete<P extends Pod>(pods: P[], related: Pod[], count: number): P[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName ?? "";
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: perNode.get(pod.spec?.nodeName ?? "") ?? 0 }));
  ranked.sort(compare);
  return ranked.slice(0, count).map((r) => r.pod);
}

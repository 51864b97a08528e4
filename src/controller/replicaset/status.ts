// The status a ReplicaSet or ReplicationController reports, recomputed from its active pods on every sync:
// replicas, fullyLabeledReplicas (pods carrying every template label), readyReplicas, availableReplicas (ready for
// minReadySeconds), and a ReplicaFailure condition while creating or deleting pods fails.
import { selectorFromSet } from "../../machinery/labels.js";
import { isPodAvailable, isPodReady, rfc3339, type PodObject } from "./pod_utils.js";
import type { ReplicaSetLike, WorkloadCondition, WorkloadStatus } from "./workload_kind.js";

export const REPLICA_FAILURE = "ReplicaFailure";

export interface ManageError {
  /** "FailedCreate" or "FailedDelete". */
  reason: string;
  error: Error;
}

export function calculateStatus(rs: ReplicaSetLike, activePods: PodObject[], manageErr: ManageError | undefined, nowMs: number): WorkloadStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let conditions: WorkloadCondition[] = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageErr && !failure) {
    conditions.push({ type: REPLICA_FAILURE, status: "True", reason: manageErr.reason, message: manageErr.error.message, lastTransitionTime: rfc3339(nowMs) });
  } else if (!manageErr && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  const status: WorkloadStatus = {
    replicas: activePods.length,
    fullyLabeledReplicas: activePods.filter((p) => templateLabels.matches(p.metadata?.labels ?? {})).length,
    readyReplicas: activePods.filter(isPodReady).length,
    availableReplicas: activePods.filter((p) => isPodAvailable(p, minReady, nowMs)).length,
    observedGeneration: rs.status?.observedGeneration,
  };
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** True when the stored status already says this (and the generation was observed): no write needed. */
export function statusUpToDate(rs: ReplicaSetLike, next: WorkloadStatus): boolean {
  const cur = rs.status;
  return (
    (cur?.replicas ?? 0) === next.replicas &&
    (cur?.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur?.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur?.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (cur?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 0) &&
    JSON.stringify(cur?.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}

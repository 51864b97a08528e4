// Job conditions as Kubernetes 1.31 writes them. A finishing Job first gets an interim condition (FailureTarget or
// SuccessCriteriaMet) while its remaining pods terminate, then the terminal one (Failed or Complete) with the same
// reason, so `kubectl wait --for=condition=complete` only returns once nothing of the Job is left running.
import type { Job, JobCondition, JobStatus } from "kubernetes-types/batch/v1.js";
import { rfc3339 } from "../replicaset/pod_utils.js";

export type JobConditionType = "Complete" | "Failed" | "SuccessCriteriaMet" | "FailureTarget" | "Suspended";

export const REASON = {
  backoffLimitExceeded: "BackoffLimitExceeded",
  deadlineExceeded: "DeadlineExceeded",
  maxFailedIndexesExceeded: "MaxFailedIndexesExceeded",
  failedIndexes: "FailedIndexes",
  podFailurePolicy: "PodFailurePolicy",
  completionsReached: "CompletionsReached",
  successPolicy: "SuccessPolicy",
  suspended: "JobSuspended",
  resumed: "JobResumed",
} as const;

export const MESSAGE = {
  backoffLimitExceeded: "Job has reached the specified backoff limit",
  deadlineExceeded: "Job was active longer than specified deadline",
  maxFailedIndexesExceeded: "Job has exceeded the specified maximal number of failed indexes",
  failedIndexes: "Job has failed indexes",
  completionsReached: "Reached expected number of succeeded pods",
  suspended: "Job suspended",
  resumed: "Job resumed",
} as const;

export function findCondition(status: JobStatus | undefined, type: JobConditionType): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function isTrue(status: JobStatus | undefined, type: JobConditionType): boolean {
  return findCondition(status, type)?.status === "True";
}

/** The terminal condition (Complete or Failed, True), if the Job has finished. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/**
 * Sets a condition, keeping lastTransitionTime when the status does not change. Returns true when anything
 * changed. The status object is modified in place: callers pass their own clone.
 */
export function setCondition(status: JobStatus, c: { type: JobConditionType; status: "True" | "False"; reason: string; message: string }, nowMs: number): boolean {
  const conditions = [...(status.conditions ?? [])];
  const i = conditions.findIndex((x) => x.type === c.type);
  const now = rfc3339(nowMs);
  const prev = conditions[i];
  if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return false;
  const next: JobCondition = {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastProbeTime: now,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
  };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
  status.conditions = conditions;
  return true;
}

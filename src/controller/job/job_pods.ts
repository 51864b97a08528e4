// Pod facts and pod construction for the Job controller: the labels, finalizer and (for Indexed Jobs) the
// completion index annotation, label, hostname and JOB_COMPLETION_INDEX variable that Kubernetes puts on pods.
import type { Job } from "kubernetes-types/batch/v1.js";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { newControllerRef, type PodObject } from "../replicaset/pod_utils.js";

export type JobObject = Job & KubeObject;

export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
export const COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index";
export const INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";

export const isIndexed = (job: Job): boolean => job.spec?.completionMode === "Indexed";

export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

export const isTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** Not finished and not being deleted: counts toward parallelism. */
export const isActive = (pod: Pod): boolean => !isTerminal(pod) && !pod.metadata?.deletionTimestamp;

/** Being deleted but still running: status.terminating. */
export const isTerminating = (pod: Pod): boolean => !isTerminal(pod) && Boolean(pod.metadata?.deletionTimestamp);

/**
 * Whether a pod's end counts as a failure. Deleted pods that never reached Succeeded count (orphans never get the
 * chance to reach Failed), unless a podFailurePolicy is set: then only the Failed phase does, so its rules see
 * the containers' real exit codes.
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === "Failed") return true;
  if (job.spec?.podFailurePolicy || job.spec?.podReplacementPolicy === "Failed") return false;
  return Boolean(pod.metadata?.deletionTimestamp) && pod.status?.phase !== "Succeeded";
}

/** The completion index of a pod of an Indexed Job (annotation first, then label), undefined when missing/bad. */
export function completionIndex(pod: Pod, completions: number): number | undefined {
  const raw = pod.metadata?.annotations?.[COMPLETION_INDEX_KEY] ?? pod.metadata?.labels?.[COMPLETION_INDEX_KEY];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const i = Number(raw);
  return i < completions ? i : undefined;
}

export function indexFailureCount(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION] ?? "0");
  return Number.isFinite(v) ? v : 0;
}

function withIndexEnv(c: Container): Container {
  const env = (c.env ?? []).filter((e) => e.name !== "JOB_COMPLETION_INDEX");
  env.push({ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } } });
  return { ...c, env };
}

/** The pod the Job creates: template, job labels, tracking finalizer, controller reference; index details. */
export function podForJob(job: JobObject, opts: { index?: number; failureCount?: number } = {}): PodObject {
  const t = structuredClone(job.spec?.template ?? { spec: { containers: [] } });
  const name = job.metadata?.name ?? "";
  const uid = job.metadata?.uid ?? "";
  const labels: Record<string, string> = {
    ...(t.metadata?.labels ?? {}),
    [CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_NAME_LABEL]: name,
  };
  const annotations: Record<string, string> = { ...(t.metadata?.annotations ?? {}) };
  const spec = t.spec ?? { containers: [] };
  let generateName = `${name}-`;
  if (opts.index !== undefined) {
    const idx = String(opts.index);
    annotations[COMPLETION_INDEX_KEY] = idx;
    labels[COMPLETION_INDEX_KEY] = idx;
    if (job.spec?.backoffLimitPerIndex !== undefined) annotations[INDEX_FAILURE_COUNT_ANNOTATION] = String(opts.failureCount ?? 0);
    generateName = `${name}-${idx}-`;
    spec.hostname ??= `${name}-${idx}`;
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName,
      namespace: job.metadata?.namespace,
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      finalizers: [...(t.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, "batch/v1", "Job")],
    },
    spec,
  };
}

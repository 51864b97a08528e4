// The annotations a Deployment keeps on its ReplicaSets: the revision (and the revisions an RS had before a
// rollback reused it), the desired replica count and the maximum (replicas + maxSurge) the Deployment had when it
// last scaled the RS (what proportional scaling and scaling-event detection read), plus the Deployment's own
// annotations (e.g. kubernetes.io/change-cause, shown by `kubectl rollout history`).
import type { KubeObject } from "../../api/object.js";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to";
/** Kubernetes caps revision-history so the annotation cannot grow without bound. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** Annotations that belong to the Deployment or the controller, never copied onto ReplicaSets. */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, DEPRECATED_ROLLBACK_TO]);

type Annotated = { metadata?: { annotations?: Record<string, string> } };

export function annotationsOf(o: Annotated): Record<string, string> {
  return o.metadata?.annotations ?? {};
}

/** The revision number of an object; 0 when absent or not a number. */
export function revisionOf(o: Annotated): number {
  const v = Number.parseInt(annotationsOf(o)[REVISION_ANNOTATION] ?? "", 10);
  return Number.isFinite(v) ? v : 0;
}

export function maxRevision(list: Annotated[]): number {
  return list.reduce((m, o) => Math.max(m, revisionOf(o)), 0);
}

function intAnnotation(o: Annotated, key: string): number | undefined {
  const v = annotationsOf(o)[key];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

export const desiredReplicasOf = (o: Annotated): number | undefined => intAnnotation(o, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasOf = (o: Annotated): number | undefined => intAnnotation(o, MAX_REPLICAS_ANNOTATION);

/** A copy of obj with its annotations replaced (the input, possibly a frozen cache object, is untouched). */
function withAnnotations<T extends KubeObject>(obj: T, annotations: Record<string, string>): T {
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

/** Sets desired-replicas and max-replicas; returns the object unchanged (same reference) when already set. */
export function setReplicasAnnotations<T extends KubeObject>(rs: T, desired: number, max: number): T {
  const a = annotationsOf(rs);
  if (a[DESIRED_REPLICAS_ANNOTATION] === String(desired) && a[MAX_REPLICAS_ANNOTATION] === String(max)) return rs;
  return withAnnotations(rs, { ...a, [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) });
}

export function replicasAnnotationsNeedUpdate(rs: Annotated, desired: number, max: number): boolean {
  const a = annotationsOf(rs);
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

export interface NewReplicaSetAnnotationOptions {
  /** The revision the new RS should carry: one more than the highest old revision. */
  revision: number;
  /** The RS exists already (found by template): a rollback to it records its former revision in the history. */
  exists: boolean;
  desiredReplicas: number;
  maxReplicas: number;
}

/** The new ReplicaSet's annotations (SetNewReplicaSetAnnotations); same reference back when nothing changes. */
export function setNewReplicaSetAnnotations<T extends KubeObject>(d: Annotated, rs: T, o: NewReplicaSetAnnotationOptions): T {
  const before = annotationsOf(rs);
  const a: Record<string, string> = { ...before };
  for (const [k, v] of Object.entries(annotationsOf(d))) if (!NOT_COPIED.has(k)) a[k] = v;
  const oldRevision = before[REVISION_ANNOTATION];
  const oldRevisionNum = Number.parseInt(oldRevision ?? "", 10);
  if (!Number.isFinite(oldRevisionNum) || oldRevisionNum < o.revision) {
    a[REVISION_ANNOTATION] = String(o.revision);
    if (o.exists && oldRevision) {
      const history = a[REVISION_HISTORY_ANNOTATION];
      let next = history ? `${history},${oldRevision}` : oldRevision;
      // Drop the oldest entries rather than let the annotation grow past the cap.
      while (next.length > MAX_REVISION_HISTORY_CHARS && next.includes(",")) next = next.slice(next.indexOf(",") + 1);
      a[REVISION_HISTORY_ANNOTATION] = next;
    }
  }
  if (!o.exists) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(o.desiredReplicas);
    a[MAX_REPLICAS_ANNOTATION] = String(o.maxReplicas);
  }
  return JSON.stringify(a) === JSON.stringify(before) ? rs : withAnnotations(rs, a);
}

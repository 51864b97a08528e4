// Deployment arithmetic shared by the rollout strategies: surge/unavailability fenceposts, replica sums over
// ReplicaSets, which RS is new, orderings, and the completeness / progress / timeout tests behind the
// Progressing condition. Pure functions over API objects.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { KubeObject } from "../../api/object.js";
import { scaledValueFromIntOrPercent } from "../../machinery/intstr.js";
import { rfc3339, timeMs } from "../replicaset/pod_utils.js";
import { desiredReplicasOf } from "./annotations.js";
import { equalIgnoreHash } from "./hash.js";

export type DeploymentObject = Deployment & KubeObject;
export type ReplicaSetObject = ReplicaSet & KubeObject;

/** apps/v1 defaults, applied when an API server has not (fake servers, old objects). */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
const DEFAULT_SURGE = "25%";
const DEFAULT_UNAVAILABLE = "25%";

export const replicasOf = (d: DeploymentObject): number => d.spec?.replicas ?? 1;
export const specReplicas = (rs: ReplicaSetObject | undefined): number => rs?.spec?.replicas ?? 0;

export function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";
}

/**
 * maxSurge rounded up and maxUnavailable rounded down against the desired replicas; both zero would deadlock a
 * rollout, so unavailability becomes 1 then (ResolveFenceposts).
 */
export function resolveFenceposts(d: DeploymentObject): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = replicasOf(d);
  const surge = scaledValueFromIntOrPercent(ru?.maxSurge ?? DEFAULT_SURGE, desired, true);
  let unavailable = scaledValueFromIntOrPercent(ru?.maxUnavailable ?? DEFAULT_UNAVAILABLE, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: DeploymentObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: DeploymentObject): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicasOf(d));
}

export const sumSpec = (list: ReplicaSetObject[]): number => list.reduce((n, rs) => n + specReplicas(rs), 0);
export const sumStatus = (list: ReplicaSetObject[], field: "replicas" | "readyReplicas" | "availableReplicas"): number =>
  list.reduce((n, rs) => n + (rs.status?.[field] ?? 0), 0);

export const filterActive = (list: ReplicaSetObject[]): ReplicaSetObject[] => list.filter((rs) => specReplicas(rs) > 0);

/** Oldest first; the name breaks ties so the order is total. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const d = timeMs(a.metadata?.creationTimestamp) - timeMs(b.metadata?.creationTimestamp);
  return d || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

/** Largest first; among equals the newer first (where scaling up should go). */
export function bySizeNewer(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** Largest first; among equals the older first (where scaling down should go). */
export function bySizeOlder(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** The oldest ReplicaSet whose template equals the Deployment's (ignoring pod-template-hash). */
export function findNewReplicaSet(d: DeploymentObject, list: ReplicaSetObject[]): ReplicaSetObject | undefined {
  return [...list].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/**
 * How many replicas the new RS should have now (NewRSNewReplicas): under RollingUpdate, up to replicas + maxSurge
 * pods in total across all ReplicaSets, never beyond replicas for the new one; under Recreate, all of them.
 */
export function newRSNewReplicas(d: DeploymentObject, all: ReplicaSetObject[], newRS: ReplicaSetObject): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = sumSpec(all);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** The new RS runs every desired replica and all of them are available. */
export function isSaturated(d: DeploymentObject, rs: ReplicaSetObject | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasOf(rs);
  return desired === replicasOf(d) && specReplicas(rs) === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

export function deploymentComplete(d: DeploymentObject, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Something moved since the last status: more updated, fewer old, more ready or more available pods. */
export function deploymentProgressing(d: DeploymentObject, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export const PROGRESSING = "Progressing";
export const AVAILABLE = "Available";
export const REPLICA_FAILURE = "ReplicaFailure";
export const reasons = {
  newRSCreated: "NewReplicaSetCreated",
  foundNewRS: "FoundNewReplicaSet",
  rsUpdated: "ReplicaSetUpdated",
  newRSAvailable: "NewReplicaSetAvailable",
  timedOut: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  failedRSCreate: "ReplicaSetCreateError",
  minimumAvailable: "MinimumReplicasAvailable",
  minimumUnavailable: "MinimumReplicasUnavailable",
} as const;

export function progressDeadlineSeconds(d: DeploymentObject): number | undefined {
  const v = d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  // math.MaxInt32 means "no deadline", as Kubernetes reads it.
  return v === 2147483647 ? undefined : v;
}

export function deploymentTimedOut(d: DeploymentObject, s: DeploymentStatus, nowMs: number): boolean {
  const deadline = progressDeadlineSeconds(d);
  if (deadline === undefined) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c || c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  return timeMs(c.lastUpdateTime) + deadline * 1000 < nowMs;
}

export function getCondition(s: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: string, reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = rfc3339(nowMs);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/**
 * Sets a condition on a status copy (SetDeploymentCondition): the same status and reason leave it untouched
 * (its lastUpdateTime too); the same status keeps its lastTransitionTime.
 */
export function setCondition(s: DeploymentStatus, c: DeploymentCondition): DeploymentStatus {
  const cur = getCondition(s, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return s;
  const next = cur && cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  return { ...s, conditions: [...(s.conditions ?? []).filter((x) => x.type !== c.type), next] };
}

export function removeCondition(s: DeploymentStatus, type: string): DeploymentStatus {
  if (!getCondition(s, type)) return s;
  const conditions = (s.conditions ?? []).filter((x) => x.type !== type);
  return { ...s, conditions };
}

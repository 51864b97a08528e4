// Pod facts the workload controllers share: which pods still count (active), which are ready and available
// (ready for minReadySeconds), and who controls an object (its controller ownerReference).
import type { Pod, PodCondition } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";

export type PodObject = Pod & KubeObject;

/** A pod that still counts toward replicas: not terminated (Succeeded/Failed) and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === "True";
}

/**
 * Ready for at least minReadySeconds at `nowMs`. With minReadySeconds 0 a ready pod is available at once; otherwise
 * the Ready condition's lastTransitionTime must lie that far in the past (a missing time counts as not yet).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(podReadyCondition(pod)?.lastTransitionTime ?? "");
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** The ownerReference with controller=true, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The ownerReference a controller puts on what it creates: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? "", uid: owner.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
}

/** RFC 3339 without fractions, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/** Milliseconds since the epoch of an RFC 3339 time; 0 when absent or unparsable (sorts as oldest). */
export function timeMs(t: string | undefined): number {
  const v = Date.parse(t ?? "");
  return Number.isFinite(v) ? v : 0;
}

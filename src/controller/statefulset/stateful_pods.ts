// Identity of StatefulSet pods: <set>-<ordinal> names, the pod-name and pod-index labels, hostname and subdomain
// (spec.serviceName) for stable DNS, and the PersistentVolumeClaims <template>-<set>-<ordinal> from
// volumeClaimTemplates that each pod mounts and keeps across rescheduling.
import type { StatefulSet } from "kubernetes-types/apps/v1.js";
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { CONTROLLER_REVISION_HASH_LABEL, type RevisionObject } from "../history/revisions.js";
import { isPodAvailable, isPodReady, newControllerRef, type PodObject } from "../replicaset/pod_utils.js";

export type StatefulSetObject = StatefulSet & KubeObject;
export type ClaimObject = PersistentVolumeClaim & KubeObject;

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name ?? ""}-${ordinal}`;
}

/** The ordinal in a pod's name if the pod is named like a member of the set, else undefined. */
export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${set.metadata?.name ?? ""}-`;
  const name = pod.metadata?.name ?? "";
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(templateName: string, set: StatefulSet, ordinal: number): string {
  return `${templateName}-${set.metadata?.name ?? ""}-${ordinal}`;
}

export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;

export function revisionOf(pod: Pod): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "";
}

export const isTerminating = (pod: Pod): boolean => Boolean(pod.metadata?.deletionTimestamp);
export const isFailed = (pod: Pod): boolean => pod.status?.phase === "Failed";
export const isSucceeded = (pod: Pod): boolean => pod.status?.phase === "Succeeded";
/** The kubelet (or the API server's defaulting) has given it a phase. */
export const isCreated = (pod: Pod): boolean => Boolean(pod.status?.phase);
export const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === "Running" && isPodReady(pod);

export function isHealthy(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod) && isPodAvailable(pod, minReadySeconds, nowMs);
}

/** The revision data of a StatefulSet: its template as the patch `kubectl rollout undo` applies. */
export function statefulSetRevisionData(set: StatefulSet): unknown {
  return { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: "replace" } } };
}

/** The pod template a revision recorded. */
export function templateFromRevision(rev: RevisionObject): PodTemplateSpec {
  const t = structuredClone((rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template ?? {});
  delete t.$patch;
  return t;
}

/** The claims a pod of this ordinal uses, as the set would create them (storage class from the template). */
export function claimsFor(set: StatefulSetObject, ordinal: number): ClaimObject[] {
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(t.metadata?.name ?? "", set, ordinal),
      namespace: set.metadata?.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
      annotations: t.metadata?.annotations,
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/** The pod of one ordinal from a template at a revision. */
export function podForOrdinal(set: StatefulSetObject, template: PodTemplateSpec, ordinal: number, revision: string): PodObject {
  const t = structuredClone(template);
  const name = podName(set, ordinal);
  const spec = t.spec ?? { containers: [] };
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const volumes = (spec.volumes ?? []).filter((v) => !(set.spec?.volumeClaimTemplates ?? []).some((c) => c.metadata?.name === v.name));
  for (const c of set.spec?.volumeClaimTemplates ?? [])
    volumes.push({ name: c.metadata?.name ?? "", persistentVolumeClaim: { claimName: claimName(c.metadata?.name ?? "", set, ordinal) } });
  if (volumes.length) spec.volumes = volumes;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: set.metadata?.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: revision },
      annotations: t.metadata?.annotations,
      finalizers: t.metadata?.finalizers,
      ownerReferences: [newControllerRef(set, "apps/v1", "StatefulSet")],
    },
    spec,
  };
}

/**
 * The ownerReferences a claim should carry under persistentVolumeClaimRetentionPolicy: the pod alone when whenScaled
 * is Delete and the pod's ordinal is being scaled away; else the set when whenDeleted is Delete. Other references
 * are kept.
 */
export function claimOwnerRefs(claim: ClaimObject, set: StatefulSetObject, pod: PodObject | undefined, condemned: boolean): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
  const setUid = set.metadata?.uid;
  const podUid = pod?.metadata?.uid;
  const others = (claim.metadata?.ownerReferences ?? []).filter((r) => r.uid !== setUid && !(r.kind === "Pod" && r.uid === podUid) && !(r.kind === "StatefulSet" && r.name === set.metadata?.name));
  const refs = [...others];
  // A claim scaled away under whenScaled Delete belongs to its pod alone (the garbage collector deletes a dependent
  // only when every owner is gone); otherwise to the set when whenDeleted is Delete.
  if (policy?.whenScaled === "Delete" && condemned && pod && podUid) refs.push({ apiVersion: "v1", kind: "Pod", name: pod.metadata?.name ?? "", uid: podUid, blockOwnerDeletion: true });
  else if (policy?.whenDeleted === "Delete") refs.push(newControllerRef(set, "apps/v1", "StatefulSet"));
  return refs;
}

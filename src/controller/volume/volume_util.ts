// What the PersistentVolume binder and the local-path provisioner share: the well-known annotations, the claim/volume
// types, and the rules of Kubernetes' FindMatchingVolume (which Available volume may serve which claim).
import type { PersistentVolume, PersistentVolumeClaim, ObjectReference } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { KubeObject } from "../../api/object.js";
import { resources } from "../../client/resources.js";
import { selectorFromLabelSelector } from "../../machinery/labels.js";
import { parseQuantity, type Quantity } from "../../machinery/quantity.js";

export type ClaimObject = PersistentVolumeClaim & KubeObject;
export type VolumeObject = PersistentVolume & KubeObject;
export type StorageClassObject = StorageClass & KubeObject;

export const storageClassesRef = resources.storageclasses;

/** Set by the scheduler on a WaitForFirstConsumer claim: the node its first pod goes to. */
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
/** Set by the binder on a claim waiting for dynamic provisioning: which provisioner should act. */
export const ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";
export const ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner";
/** On a claim: the binder finished binding it (a claim that loses its volume afterwards is Lost, not Pending). */
export const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
/** On a claim or volume: the binder (not the user) filled spec.volumeName / spec.claimRef. */
export const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
/** On a volume: the provisioner that made it, and so the one that deletes it. */
export const ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
export const ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";

export const LOCAL_PATH_PROVISIONER = "k8ts.io/local-path";
/** A class with this provisioner has only pre-made volumes (Kubernetes' name). */
export const NO_PROVISIONER = "kubernetes.io/no-provisioner";

export function claimKey(c: { metadata?: { namespace?: string; name?: string } }): string {
  return `${c.metadata?.namespace ?? ""}/${c.metadata?.name ?? ""}`;
}

/** The claim's class; "" (no class) only matches volumes without a class. */
export function claimClass(c: PersistentVolumeClaim): string {
  return c.spec?.storageClassName ?? "";
}

export function volumeClass(v: PersistentVolume): string {
  return v.spec?.storageClassName ?? "";
}

export function requestOf(c: PersistentVolumeClaim): Quantity | undefined {
  const r = c.spec?.resources?.requests?.storage;
  try {
    return r === undefined ? undefined : parseQuantity(String(r));
  } catch {
    return undefined;
  }
}

function capacityOf(v: PersistentVolume): Quantity | undefined {
  const r = v.spec?.capacity?.storage;
  try {
    return r === undefined ? undefined : parseQuantity(String(r));
  } catch {
    return undefined;
  }
}

/** Whether the volume's claimRef names this claim (by namespace and name, and uid when the ref has one). */
export function isPreBoundTo(v: PersistentVolume, c: ClaimObject): boolean {
  const ref = v.spec?.claimRef;
  if (!ref || ref.name !== c.metadata?.name || (ref.namespace ?? "") !== (c.metadata?.namespace ?? "")) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

/** Why the volume cannot serve the claim, or undefined when it can (class, access modes, size, selector, mode). */
export function mismatch(v: PersistentVolume, c: PersistentVolumeClaim): string | undefined {
  if (volumeClass(v) !== claimClass(c)) return "storageClassName differs";
  const have = new Set(v.spec?.accessModes ?? []);
  if (!(c.spec?.accessModes ?? []).every((m) => have.has(m))) return "access modes not offered";
  if ((v.spec?.volumeMode ?? "Filesystem") !== (c.spec?.volumeMode ?? "Filesystem")) return "volumeMode differs";
  const want = requestOf(c);
  const cap = capacityOf(v);
  if (!cap || (want && cap.cmp(want) < 0)) return "capacity too small";
  if (c.spec?.selector) {
    let matches = false;
    try {
      matches = selectorFromLabelSelector(c.spec.selector).matches(v.metadata?.labels ?? {});
    } catch {
      matches = false;
    }
    if (!matches) return "selector does not match";
  }
  return undefined;
}

/**
 * The smallest unclaimed volume that can serve the claim (Kubernetes' FindMatchingVolume without node
 * checks: claims of WaitForFirstConsumer classes are matched by the scheduler, never here).
 */
export function bestMatch(volumes: VolumeObject[], c: ClaimObject): VolumeObject | undefined {
  let best: VolumeObject | undefined;
  for (const v of volumes) {
    // A new volume may not be marked Available yet; Released and Failed ones always keep their claimRef.
    const phase = v.status?.phase ?? "Pending";
    if (v.spec?.claimRef || v.metadata?.deletionTimestamp || (phase !== "Available" && phase !== "Pending")) continue;
    if (mismatch(v, c)) continue;
    if (!best || capacityOf(v)!.cmp(capacityOf(best)!) < 0) best = v;
  }
  return best;
}

export function claimRefOf(c: ClaimObject): ObjectReference {
  return { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: c.metadata?.namespace, name: c.metadata?.name, uid: c.metadata?.uid, resourceVersion: c.metadata?.resourceVersion };
}

export function isDelayedBinding(sc: StorageClass | undefined): boolean {
  return sc?.volumeBindingMode === "WaitForFirstConsumer";
}

export function nowRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

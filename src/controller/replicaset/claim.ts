// Claiming children, as Kubernetes' ControllerRefManager does: a controller owns the objects whose controller
// ownerReference names its uid. Of the candidates it sees it keeps those it owns that still match its selector,
// releases those it owns that no longer match (removes its reference), and adopts orphans that match (adds a
// controller reference) unless it is being deleted. Objects controlled by someone else are never touched.
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { isNotFound } from "../../machinery/errors.js";
import type { Selector } from "../../machinery/labels.js";
import { controllerRefOf } from "./pod_utils.js";

export interface ClaimOptions {
  owner: KubeObject;
  selector: Selector;
  /** The reference to add on adoption. */
  controllerRef: OwnerReference;
  /** Sends a merge patch to one child; may answer the patched object (then it replaces the cached one). */
  patch(child: KubeObject, body: unknown): Promise<KubeObject | void>;
  /**
   * Checked once before the first adoption: a fresh read proving the owner still exists with the same uid and is
   * not being deleted (the cache could be stale, and adopting for a deleted owner would leak the child).
   */
  canAdopt(): Promise<boolean>;
}

export interface ClaimResult<T> {
  claimed: T[];
  errors: Error[];
}

function refsPatch(child: KubeObject, refs: OwnerReference[]): unknown {
  // The uid and resourceVersion make the patch apply only to the object we looked at, as it was.
  return { metadata: { ownerReferences: refs.length ? refs : null, uid: child.metadata?.uid, resourceVersion: child.metadata?.resourceVersion } };
}

export async function claimObjects<T extends KubeObject>(candidates: T[], opts: ClaimOptions): Promise<ClaimResult<T>> {
  const ownerUid = opts.owner.metadata?.uid;
  const ownerDeleting = Boolean(opts.owner.metadata?.deletionTimestamp);
  const claimed: T[] = [];
  const errs: Error[] = [];
  let adoptable: boolean | undefined;
  for (const child of candidates) {
    const ref = controllerRefOf(child);
    const matches = opts.selector.matches(child.metadata?.labels ?? {});
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches) {
        claimed.push(child);
        continue;
      }
      // Ours but no longer selected: let it go, unless we are being deleted (then it goes with us).
      if (ownerDeleting) continue;
      try {
        await opts.patch(child, refsPatch(child, (child.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid)));
      } catch (err) {
        if (!isNotFound(err)) errs.push(err as Error);
      }
      continue;
    }
    if (ownerDeleting || !matches || child.metadata?.deletionTimestamp) continue;
    adoptable ??= await opts.canAdopt();
    if (!adoptable) continue;
    const refs = [...(child.metadata?.ownerReferences ?? []), opts.controllerRef];
    try {
      const patched = await opts.patch(child, refsPatch(child, refs));
      claimed.push(patched ? (patched as T) : { ...child, metadata: { ...child.metadata, ownerReferences: refs } });
    } catch (err) {
      if (!isNotFound(err)) errs.push(err as Error);
    }
  }
  return { claimed, errors: errs };
}

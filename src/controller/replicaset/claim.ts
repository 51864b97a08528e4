// Claiming children, as Kubernetes' ControllerRefManager does: a controller owns the objects whose controller
// ownerReference names its uid. Of the candidates it sees it keeps those it owns that still match its selector,
// releases those it owns that no longer match (removes its reference), and adopts orphans that match (adds a
// controller reference) unless it is being deleted. Objects controlled by someone else are never touched.
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { OWNER_UID_INDEX, type IndexFunc } from "../../client/indexer.js";
import type { Lister } from "../../client/lister.js";
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

/** Objects without a controller reference, by namespace: the orphans a controller may adopt. */
export const ORPHAN_INDEX = "orphanNamespace";
export const orphanIndexFunc: IndexFunc<KubeObject> = (o) => (controllerRefOf(o) ? [] : [o.metadata?.namespace ?? ""]);

/**
 * What claimObjects would act on among every object of the namespace, without walking them all: the objects that
 * reference the owner (its own, including those it must release) and the namespace's orphans (those it may adopt).
 * Objects controlled by anyone else are the rest, and claiming skips them anyway. The lister needs the
 * OWNER_UID_INDEX and ORPHAN_INDEX indexers.
 */
export function claimCandidates<T extends KubeObject>(lister: Lister<T>, namespace: string, ownerUid: string | undefined): T[] {
  const referencing = ownerUid ? lister.byIndex(OWNER_UID_INDEX, ownerUid).filter((o) => o.metadata?.namespace === namespace) : [];
  const orphans = lister.byIndex(ORPHAN_INDEX, namespace);
  if (!referencing.length) return orphans;
  if (!orphans.length) return referencing;
  // An orphan may also reference the owner (not as controller): list it once.
  const seen = new Set(referencing);
  return [...referencing, ...orphans.filter((o) => !seen.has(o))];
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

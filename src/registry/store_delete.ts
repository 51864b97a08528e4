// DELETE, as Kubernetes' Store.Delete: preconditions (uid, resourceVersion), graceful deletion (the object stays
// with deletionTimestamp + deletionGracePeriodSeconds until deleted with grace 0), garbage-collection finalizers
// from the propagation policy, and finalizers (the object stays with deletionTimestamp until they are removed).
import { deepClone, type KubeList, type StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { isStorageError } from "../storage/errors.js";
import { encodeObject, decodeKv } from "./codec.js";
import type { GenericStore } from "./generic_store.js";
import { deleteNamespace, isNamespaceResource } from "./namespace_lifecycle.js";
import { formatTime, writableMeta } from "./object_meta.js";
import type { DeleteParams, DeleteResult, ListParams, RequestContext } from "./rest.js";
import type { ResourceDef } from "./types.js";
import type { StoreOp } from "./store_context.js";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

type Plan = { action: "delete" } | { action: "update"; obj: StoredObject } | { action: "none" };

function checkPreconditions(store: GenericStore, op: { name: string; current: StoredObject; params: DeleteParams }): void {
  const { name, current: cur, params } = op;
  const p = params.preconditions;
  if (p?.uid && p.uid !== cur.metadata.uid) {
    throw errors.conflict(store.gr, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${cur.metadata.uid ?? ""}`);
  }
  if (p?.resourceVersion && p.resourceVersion !== cur.metadata.resourceVersion) {
    throw errors.conflict(store.gr, name, `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ""}`);
  }
}

/** The grace period a deletion gets (0: at once). Only resources with defaultGracePeriodSeconds are graceful. */
function gracePeriod(def: ResourceDef, obj: StoredObject, requested: number | undefined): number {
  if (!def.defaultGracePeriodSeconds) return 0;
  const req = requested === undefined ? undefined : Math.max(0, requested);
  if (def.checkGracefulDelete) return Math.max(0, def.checkGracefulDelete(obj, req));
  // Pod semantics: an object not bound to a node, or already finished, has nothing to shut down.
  const spec = obj.spec as { nodeName?: string } | undefined;
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  if (!spec?.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
  return req ?? Math.max(0, def.defaultGracePeriodSeconds(obj));
}

export function propagationPolicy(params: DeleteParams): DeleteParams["propagationPolicy"] {
  if (params.propagationPolicy) return params.propagationPolicy;
  if (params.orphanDependents === true) return "Orphan";
  if (params.orphanDependents === false) return "Background";
  return undefined;
}

/** The finalizers after applying the propagation policy, as Kubernetes' deletionFinalizersForGarbageCollection. */
export function gcFinalizers(current: string[], policy: DeleteParams["propagationPolicy"]): string[] {
  let out = [...current];
  const add = (f: string) => void (out.includes(f) || out.push(f));
  const remove = (f: string) => void (out = out.filter((x) => x !== f));
  if (policy === "Foreground") {
    add(FOREGROUND_FINALIZER);
    remove(ORPHAN_FINALIZER);
  } else if (policy === "Orphan") {
    add(ORPHAN_FINALIZER);
    remove(FOREGROUND_FINALIZER);
  } else if (policy === "Background") {
    remove(ORPHAN_FINALIZER);
    remove(FOREGROUND_FINALIZER);
  }
  return out;
}

function plan(store: GenericStore, cur: StoredObject, params: DeleteParams): Plan {
  const now = store.now();
  const next = deepClone(cur);
  const m = writableMeta(next);
  let changed = false;
  let graceful = false;
  if (store.def.defaultGracePeriodSeconds) {
    const grace = gracePeriod(store.def, cur, params.gracePeriodSeconds);
    if (m.deletionTimestamp) {
      // Already being deleted gracefully: a shorter grace period shortens it; a longer one changes nothing.
      if (grace < (m.deletionGracePeriodSeconds ?? 0)) {
        m.deletionGracePeriodSeconds = grace;
        m.deletionTimestamp = formatTime(new Date(now.getTime() + grace * 1000));
        changed = true;
      }
      graceful = (m.deletionGracePeriodSeconds ?? 0) > 0;
    } else if (grace > 0) {
      m.deletionTimestamp = formatTime(new Date(now.getTime() + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
      m.generation = (m.generation ?? 0) + 1;
      changed = true;
      graceful = true;
    }
  }
  const finalizers = gcFinalizers(m.finalizers ?? [], propagationPolicy(params) ?? store.def.defaultPropagationPolicy);
  if (JSON.stringify(finalizers) !== JSON.stringify(m.finalizers ?? [])) {
    if (finalizers.length) m.finalizers = finalizers;
    else delete m.finalizers;
    changed = true;
  }
  if ((m.finalizers?.length ?? 0) > 0) {
    if (!m.deletionTimestamp) {
      m.deletionTimestamp = formatTime(now);
      m.deletionGracePeriodSeconds = 0;
      changed = true;
    }
    return changed ? { action: "update", obj: next } : { action: "none" };
  }
  if (graceful) return changed ? { action: "update", obj: next } : { action: "none" };
  return { action: "delete" };
}

export async function deleteObject(store: GenericStore, op: StoreOp & { params: DeleteParams }): Promise<DeleteResult> {
  if (isNamespaceResource(store.def)) return deleteNamespace(store, op);
  return deleteWithPlan(store, { ...op, planner: plan });
}

/** The delete loop: read, check preconditions, plan, then write with compare-and-swap (retried on conflict). */
export async function deleteWithPlan(
  store: GenericStore,
  op: StoreOp & { params: DeleteParams; planner: (store: GenericStore, cur: StoredObject, params: DeleteParams) => Plan },
): Promise<DeleteResult> {
  const { ctx, name, params, planner } = op;
  const { storage } = store.deps;
  const key = store.key(store.ns(ctx), name);
  for (let attempt = 0; attempt < store.deps.tuning.maxRetries; attempt++) {
    try {
      const kv = await storage.get(key);
      if (!kv) throw errors.notFound(store.gr, name);
      const cur = decodeKv(kv);
      checkPreconditions(store, { name, current: cur, params });
      const p = planner(store, cur, params);
      if (p.action === "none") return { object: store.out(cur, ctx), deleted: false };
      if (p.action === "update") {
        if (ctx.dryRun) return { object: store.out(p.obj, ctx), deleted: false };
        const written = await storage.update(key, encodeObject(p.obj), { expectedRevision: kv.modRevision });
        return { object: store.out(decodeKv(written), ctx), deleted: false };
      }
      if (ctx.dryRun) return { object: store.out(cur, ctx), deleted: true };
      const gone = await storage.delete(key, { expectedRevision: kv.modRevision });
      await store.hooks.afterDelete?.(cur);
      return { object: store.out(decodeKv(gone, gone.modRevision), ctx), deleted: true };
    } catch (err) {
      if (isStorageError(err, "Conflict")) continue;
      if (isStorageError(err, "KeyNotFound")) throw errors.notFound(store.gr, name);
      throw store.storageError(err, name);
    }
  }
  throw errors.conflict(store.gr, name, "the object has been modified; please apply your changes to the latest version and try again");
}

export { plan as planDeletion, type Plan as DeletionPlan };

export async function deleteCollection(store: GenericStore, op: { ctx: RequestContext; list: ListParams; params: DeleteParams }): Promise<KubeList<StoredObject>> {
  const { ctx, list, params } = op;
  const listed = await store.list(ctx, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector, resourceVersion: list.resourceVersion });
  const out: StoredObject[] = [];
  for (const item of listed.items) {
    const name = item.metadata.name ?? "";
    try {
      const res = await store.delete({ ...ctx, namespace: item.metadata.namespace ?? ctx.namespace }, name, params);
      out.push(res.object);
    } catch (err) {
      // Deleted by someone else meanwhile: that is what was asked for.
      if ((err as { reason?: string }).reason !== "NotFound") throw err;
    }
  }
  return { ...listed, items: out };
}

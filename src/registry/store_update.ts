// Updates, as Kubernetes' Store.Update/GuaranteedUpdate: read the current object, build the new one, prepare and
// validate it, then compare-and-swap on the read revision, retrying when someone else wrote in between.
// A stale client resourceVersion is a 409 Conflict; a no-op writes nothing; generation counts spec changes; the
// status subresource changes only status and the main resource never does; removing the last finalizer of an
// object being deleted deletes it.
import { deepClone, type StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { isStorageError } from "../storage/errors.js";
import type { GenericStore } from "./generic_store.js";
import { updateManagedFields } from "./managed_fields.js";
import { finalizeNamespace, isNamespaceResource, prepareNamespaceUpdate, shouldDeleteNamespace } from "./namespace_lifecycle.js";
import { writableMeta, prepareUpdateMeta, reconcileNamespace, sameObject, specChanged, validateObjectMetaUpdate } from "./object_meta.js";
import type { RequestContext, Subresource, WriteResult } from "./rest.js";
import { updateScale } from "./store_scale.js";
import { checkUnknownFields, type StoreOp } from "./store_context.js";

/** What a build step returns: the desired object in the storage version (owned by the caller), or a create. */
export interface Built {
  obj: StoredObject;
  /** Create the object (PUT with allowCreateOnUpdate, apply on a missing object). */
  create?: boolean;
  /** managedFields were already computed (server-side apply). */
  managedFieldsDone?: boolean;
  /** A server-side write of its own (binding): subresource rules, defaulting and the strategy's update hooks do not
   *  apply, and it always changes the object (no no-op check). */
  internal?: boolean;
}

export type Build = (current: StoredObject | null) => Promise<Built>;

export const conflictMessage = "the object has been modified; please apply your changes to the latest version and try again";

export function updateObject(store: GenericStore, op: StoreOp & { input: StoredObject; sub?: Subresource }): Promise<WriteResult> {
  const { ctx, name, input, sub } = op;
  if (sub === "scale") return updateScale(store, op);
  if (sub === "finalize") return finalizeNamespace(store, op);
  checkUnknownFields(store.deps, { def: store.def, ctx, obj: input });
  const s = store.def.strategy;
  return writeUpdate(store, { ctx, name, sub, build: async (cur) => {
    const obj = store.codec.toStorage(input, ctx.version);
    if (obj.metadata.name && obj.metadata.name !== name) throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    obj.metadata.name = name;
    if (!cur) {
      if (!s.allowCreateOnUpdate || sub) throw errors.notFound(store.gr, name);
      return { obj, create: true };
    }
    const rv = obj.metadata.resourceVersion;
    if (!rv && !s.allowUnconditionalUpdate) {
      throw errors.invalid(store.def.kind, store.def.group, name, [{ type: "FieldValueInvalid", field: "metadata.resourceVersion", value: "0x0", detail: "must be specified for an update" }]);
    }
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(store.gr, name, conflictMessage);
    checkUidPrecondition(store, { name, uid: obj.metadata.uid, current: cur });
    return { obj };
  } });
}

export function checkUidPrecondition(store: GenericStore, op: { name: string; uid: string | undefined; current: StoredObject }): void {
  const { name, uid, current: cur } = op;
  if (uid && uid !== cur.metadata.uid) {
    throw errors.conflict(store.gr, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${cur.metadata.uid ?? ""}`);
  }
}

/** The update loop. Storage conflicts re-read and rebuild (the build step raises 409 for stale client versions). */
export async function writeUpdate(store: GenericStore, op: StoreOp & { sub?: Subresource; build: Build }): Promise<WriteResult> {
  const { ctx, name, sub, build } = op;
  const { storage } = store.deps;
  const ns = store.ns(ctx);
  const key = store.key(ns, name);
  for (let attempt = 0; attempt < store.deps.tuning.maxRetries; attempt++) {
    // The current object as a consistent read gives it (from the watch cache when it has every acknowledged write:
    // shared and frozen, so nothing below may change it); the compare-and-swap is on its resourceVersion.
    const cur = await store.readFresh(ns, name);
    const built = await build(cur);
    if (built.create || !cur) {
      if (!built.create) throw errors.notFound(store.gr, name);
      try {
        return { object: store.out(await store.createStored(ctx, built.obj, { managedFieldsDone: built.managedFieldsDone }), ctx), created: true };
      } catch (err) {
        if ((err as { reason?: string }).reason === "AlreadyExists") continue; // created meanwhile: update it instead
        throw err;
      }
    }
    const expectedRevision = Number(cur.metadata.resourceVersion);
    const next = prepareUpdate(store, { ctx, built, current: cur, sub });
    const finish = await store.hooks.beforeUpdate?.(next, cur, { dryRun: ctx.dryRun });
    let committed = false;
    try {
      if (!built.internal && sameObject(next, cur)) return { object: store.out(cur, ctx), created: false };
      if (shouldDeleteOnUpdate(store, next)) {
        if (ctx.dryRun) return { object: store.out(next, ctx), created: false };
        const gone = await storage.delete(key, { expectedRevision });
        await store.hooks.afterDelete?.(cur);
        writableMeta(next).resourceVersion = String(gone.modRevision);
        return { object: store.out(next, ctx), created: false };
      }
      if (ctx.dryRun) return { object: store.out(next, ctx), created: false };
      const stored = await store.put(key, next, (value) => storage.update(key, value, { expectedRevision }));
      committed = true;
      return { object: store.out(stored, ctx), created: false };
    } catch (err) {
      if (isStorageError(err, "Conflict") || isStorageError(err, "KeyNotFound")) continue;
      throw store.storageError(err, name);
    } finally {
      await finish?.(committed);
    }
  }
  throw errors.conflict(store.gr, name, conflictMessage);
}

/** An update that leaves a deleting object without finalizers (and no grace period pending) deletes it. */
function shouldDeleteOnUpdate(store: GenericStore, obj: StoredObject): boolean {
  const m = obj.metadata;
  if (!m.deletionTimestamp || (m.finalizers?.length ?? 0) > 0) return false;
  if (isNamespaceResource(store.def)) return shouldDeleteNamespace(obj);
  return (m.deletionGracePeriodSeconds ?? 0) === 0;
}

/** BeforeUpdate: server-owned metadata, what the subresource may change, defaults, generation, validation. */
function prepareUpdate(store: GenericStore, op: { ctx: RequestContext; built: Built; current: StoredObject; sub?: Subresource }): StoredObject {
  const { ctx, built, current: cur, sub } = op;
  const def = store.def;
  const s = def.strategy;
  const now = store.now();
  let obj = built.obj;
  reconcileNamespace(obj, def, store.ns(ctx) ?? cur.metadata.namespace);
  if (def.namespaced && obj.metadata.namespace !== cur.metadata.namespace) throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  if (sub === "status") {
    if (s.prepareForStatusUpdate) {
      prepareUpdateMeta(obj, cur);
      s.prepareForStatusUpdate(obj, cur, { now });
    } else {
      // Everything but status comes from the stored object (ResetObjectMetaForStatus keeps managedFields).
      const next = deepClone(cur);
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      next.metadata.managedFields = obj.metadata.managedFields;
      obj = next;
    }
  } else if (sub === "finalize" || built.internal) {
    prepareUpdateMeta(obj, cur);
  } else {
    prepareUpdateMeta(obj, cur);
    if (def.status) {
      if (cur.status === undefined) delete obj.status;
      else obj.status = deepClone(cur.status);
    }
    if (isNamespaceResource(def)) prepareNamespaceUpdate(obj, cur);
    s.prepareForUpdate?.(obj, cur, { now });
  }
  // Defaults apply to what clients send; an internal write (binding) changes a stored, defaulted object in place of
  // the client, as Kubernetes' BindingREST updates storage without the strategy.
  if (!built.internal) s.defaults?.(obj);
  writableMeta(obj).generation = (cur.metadata.generation ?? 1) + (specChanged(obj, cur) ? 1 : 0);
  const strategyErrs = built.internal ? [] : sub === "status" ? (s.validateStatusUpdate?.(obj, cur) ?? []) : s.validateUpdate(obj, cur);
  const errs = [...validateObjectMetaUpdate(obj, cur, def), ...strategyErrs];
  if (errs.length) throw errors.invalid(def.kind, def.group, obj.metadata.name ?? "", errs);
  if (!built.managedFieldsDone) {
    updateManagedFields(obj, {
      manager: ctx.fieldManager,
      subresource: sub === "status" ? "status" : undefined,
      now,
      old: cur,
      resolver: store.deps.resolver,
      gvk: store.storageGvk(),
      ignoredFields: def.status && sub !== "status" ? ["status"] : undefined,
    });
  }
  writableMeta(obj).resourceVersion = cur.metadata.resourceVersion;
  ctx.warnings.push(...(s.warnings?.(obj, cur) ?? []));
  return obj;
}

// PATCH: read the current object, apply the patch to it in the client's version, then update with
// compare-and-swap, re-reading and re-applying when someone else wrote in between (Kubernetes' patcher).
// A resourceVersion inside the patch is a precondition (409 when stale). Server-side apply on a missing object
// creates it.
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { GenericStore } from "./generic_store.js";
import type { PatchType, RequestContext, Subresource, WriteResult } from "./rest.js";
import { checkUnknownFields, type StoreOp } from "./store_context.js";
import { writableMeta } from "./object_meta.js";
import { getScale, scaleUpdate } from "./store_scale.js";
import { schemaFor } from "./patchers.js";
import { applyConflictError } from "../machinery/apply.js";
import { checkUidPrecondition, conflictMessage, writeUpdate, type Built } from "./store_update.js";

export interface PatchInput {
  type: PatchType;
  body: unknown;
  force?: boolean;
}

function applyPatch(store: GenericStore, doc: StoredObject, opts: { patch: PatchInput; schemaKind: { group: string; version: string; kind: string } }): StoredObject {
  const { patch, schemaKind } = opts;
  const p = store.deps.patchers;
  switch (patch.type) {
    case "json":
      return p.json(doc, patch.body);
    case "merge":
      return p.merge(doc, patch.body);
    case "strategic": {
      const resolver = store.deps.resolver;
      const schema = resolver?.forKind(schemaKind);
      return p.strategic(doc, patch.body, { resolver, schema });
    }
    default:
      throw errors.unsupportedMediaType(`application/${patch.type}-patch`);
  }
}

export async function patchObject(store: GenericStore, op: StoreOp & { patch: PatchInput; sub?: Subresource }): Promise<WriteResult> {
  const { ctx, name, patch, sub } = op;
  if (sub === "scale") return patchScale(store, ctx, name, patch);
  if (sub === "finalize") throw errors.methodNotAllowed("the finalize subresource does not support PATCH");
  if (patch.type === "apply") return applyObject(store, ctx, name, patch, sub);
  return writeUpdate(store, { ctx, name, sub, build: async (cur): Promise<Built> => {
    if (!cur) throw errors.notFound(store.gr, name);
    const served = store.out(cur, ctx);
    const patched = applyPatch(store, served, { patch, schemaKind: { group: store.def.group, version: ctx.version, kind: store.def.kind } });
    await ctx.admitPatched?.("UPDATE", patched, served);
    return { obj: checkPatched(store, ctx, name, patched, cur) };
  } });
}

/** Common checks on a patched served-version object; returns it in the storage version. */
function checkPatched(store: GenericStore, ctx: RequestContext, name: string, patched: StoredObject, cur: StoredObject): StoredObject {
  const rv = patched.metadata.resourceVersion;
  // A patch that names a resourceVersion must name the current one.
  if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(store.gr, name, conflictMessage);
  if (patched.metadata.name !== undefined && patched.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
  }
  checkUidPrecondition(store, { name, uid: patched.metadata.uid, current: cur });
  checkUnknownFields(store.deps, { def: store.def, ctx, obj: patched });
  const obj = store.codec.toStorage(patched, ctx.version);
  obj.metadata.name = name;
  writableMeta(obj).resourceVersion = cur.metadata.resourceVersion;
  return obj;
}

async function applyObject(store: GenericStore, ctx: RequestContext, name: string, patch: PatchInput, sub?: Subresource): Promise<WriteResult> {
  const manager = ctx.fieldManager;
  if (!manager) {
    throw errors.invalid("PatchOptions", "meta.k8s.io", "", [{ type: "FieldValueRequired", field: "fieldManager", detail: "is required for apply patch" }]);
  }
  const applied = patch.body;
  if (typeof applied !== "object" || applied === null || Array.isArray(applied)) throw errors.badRequest("apply patch: the body must be a JSON object");
  const def = store.def;
  const appliedObj = applied as StoredObject;
  checkUnknownFields(store.deps, { def, ctx, obj: appliedObj });
  const { resolver, schema } = schemaFor(store.deps.resolver, { group: def.group, version: ctx.version, kind: def.kind });
  // The main resource does not manage status when status is a subresource of its own, and vice versa.
  const ignoredFields = def.status && sub !== "status" ? ["status"] : undefined;
  return writeUpdate(store, { ctx, name, sub, build: async (cur): Promise<Built> => {
    const live = cur ? store.out(cur, ctx) : undefined;
    const result = store.deps.patchers.apply(live, appliedObj, {
      manager,
      force: patch.force ?? false,
      resolver,
      schema,
      now: store.now(),
      subresource: sub,
      ignoredFields,
    });
    if (result.conflicts.length) throw applyConflictError(result.conflicts);
    await ctx.admitPatched?.(cur ? "UPDATE" : "CREATE", result.object, live ?? null);
    if (!cur) {
      if (sub) throw errors.notFound(store.gr, name);
      const obj = store.codec.toStorage(result.object, ctx.version);
      if (obj.metadata.name && obj.metadata.name !== name) throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
      obj.metadata.name = name;
      return { obj, create: true, managedFieldsDone: true };
    }
    return { obj: checkPatched(store, ctx, name, result.object, cur), managedFieldsDone: true };
  } });
}

/** PATCH .../scale: the patch applies to the autoscaling/v1 Scale view, then spec.replicas is written back. */
async function patchScale(store: GenericStore, ctx: RequestContext, name: string, patch: PatchInput): Promise<WriteResult> {
  if (patch.type === "apply") throw errors.unsupportedMediaType("application/apply-patch+yaml on the scale subresource");
  return scaleUpdate(store, { ctx, name, makeScale: (cur) => {
    const scale = getScale(store, cur);
    const patched = applyPatch(store, scale, { patch, schemaKind: { group: "autoscaling", version: "v1", kind: "Scale" } });
    const rv = patched.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(store.gr, name, conflictMessage);
    return patched;
  } });
}

// Namespace lifecycle, as Kubernetes' namespace storage plus the NamespaceLifecycle admission plugin:
// - a new namespace gets spec.finalizers ["kubernetes"] and status.phase Active;
// - deleting a namespace marks it Terminating (deletionTimestamp) instead of deleting it; the namespace controller
//   deletes its content, then PUTs namespaces/x/finalize with the "kubernetes" finalizer removed, and a
//   Terminating namespace whose spec.finalizers (and metadata.finalizers) are empty is deleted;
// - creating an object in a missing namespace is 404, in a Terminating one 403; default, kube-system and
//   kube-public cannot be deleted.
import { deepClone, type StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { isQualifiedName } from "../machinery/label_validation.js";
import type { GenericStore } from "./generic_store.js";
import { formatTime, writableMeta } from "./object_meta.js";
import type { DeleteParams, DeleteResult, WriteResult } from "./rest.js";
import type { StoreOp } from "./store_context.js";
import { deleteWithPlan, gcFinalizers, propagationPolicy, type DeletionPlan } from "./store_delete.js";
import { conflictMessage, writeUpdate } from "./store_update.js";
import type { ResourceDef } from "./types.js";

export const KUBERNETES_FINALIZER = "kubernetes";
const IMMORTAL = new Set(["default", "kube-system", "kube-public"]);
const NAMESPACES = { group: "", resource: "namespaces" };

interface NamespaceShape {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

const shape = (obj: StoredObject): NamespaceShape => obj as NamespaceShape;

export function isNamespaceResource(def: Pick<ResourceDef, "group" | "resource">): boolean {
  return def.group === "" && def.resource === "namespaces";
}

export function isTerminating(ns: StoredObject): boolean {
  return !!ns.metadata.deletionTimestamp || shape(ns).status?.phase === "Terminating";
}

export function prepareNamespaceCreate(obj: StoredObject): void {
  const ns = shape(obj);
  ns.spec ??= {};
  const fins = ns.spec.finalizers ?? [];
  ns.spec.finalizers = fins.includes(KUBERNETES_FINALIZER) ? fins : [...fins, KUBERNETES_FINALIZER];
  ns.status = { phase: "Active" };
}

/** spec.finalizers change only through finalize, status only through status. */
export function prepareNamespaceUpdate(obj: StoredObject, old: StoredObject): void {
  const ns = shape(obj);
  const oldNs = shape(old);
  ns.spec ??= {};
  if (oldNs.spec?.finalizers) ns.spec.finalizers = [...oldNs.spec.finalizers];
  else delete ns.spec.finalizers;
  if (oldNs.status === undefined) delete ns.status;
  else ns.status = deepClone(oldNs.status);
}

/** A Terminating namespace with no finalizers left is deleted. */
export function shouldDeleteNamespace(obj: StoredObject): boolean {
  return !!obj.metadata.deletionTimestamp && (shape(obj).spec?.finalizers?.length ?? 0) === 0 && (obj.metadata.finalizers?.length ?? 0) === 0;
}

/** NamespaceLifecycle admission for creates of namespaced objects. */
export async function checkNamespaceForCreate(store: GenericStore, obj: StoredObject): Promise<void> {
  if (isNamespaceResource(store.def)) return;
  const namespaces = store.deps.lookup("", "namespaces");
  const name = obj.metadata.namespace;
  if (!namespaces || !name) return;
  // A consistent read (the cache only when it has every acknowledged write): a namespace created or marked
  // Terminating a moment ago must count.
  const ns = await namespaces.readFresh(undefined, name);
  if (!ns) throw errors.notFound(NAMESPACES, name);
  if (isTerminating(ns)) {
    const e = errors.forbidden(store.gr, obj.metadata.name ?? obj.metadata.generateName ?? "", `unable to create new content in namespace ${name} because it is being terminated`);
    e.status.details = { ...e.status.details, causes: [{ reason: "NamespaceTerminating", message: `namespace ${name} is being terminated`, field: "metadata.namespace" }] };
    throw e;
  }
}

function planNamespaceDeletion(store: GenericStore, cur: StoredObject, params: DeleteParams): DeletionPlan {
  const next = deepClone(cur);
  const m = writableMeta(next);
  let changed = false;
  const fins = gcFinalizers(m.finalizers ?? [], propagationPolicy(params));
  if (JSON.stringify(fins) !== JSON.stringify(m.finalizers ?? [])) {
    if (fins.length) m.finalizers = fins;
    else delete m.finalizers;
    changed = true;
  }
  if (!m.deletionTimestamp) {
    m.deletionTimestamp = formatTime(store.now());
    m.deletionGracePeriodSeconds = 0;
    const ns = shape(next);
    ns.status = { ...(ns.status ?? {}), phase: "Terminating" };
    changed = true;
  }
  if (shouldDeleteNamespace(next)) return { action: "delete" };
  return changed ? { action: "update", obj: next } : { action: "none" };
}

export function deleteNamespace(store: GenericStore, op: StoreOp & { params: DeleteParams }): Promise<DeleteResult> {
  const { name } = op;
  if (IMMORTAL.has(name)) throw errors.forbidden(NAMESPACES, name, "this namespace may not be deleted");
  return deleteWithPlan(store, { ...op, planner: planNamespaceDeletion });
}

/** PUT namespaces/x/finalize: replaces spec.finalizers only. */
export function finalizeNamespace(store: GenericStore, op: StoreOp & { input: StoredObject }): Promise<WriteResult> {
  const { ctx, name, input } = op;
  if (!isNamespaceResource(store.def)) throw errors.pathNotFound(`the server could not find the requested resource (${store.def.resource}/finalize)`);
  if (input.metadata?.name && input.metadata.name !== name) throw errors.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
  const finalizers = shape(input).spec?.finalizers ?? [];
  const errs = finalizers.flatMap((f, i) =>
    isQualifiedName(f).map((detail) => ({ type: "FieldValueInvalid" as const, field: `spec.finalizers[${i}]`, value: f, detail })),
  );
  if (errs.length) throw errors.invalid(store.def.kind, "", name, errs);
  return writeUpdate(store, { ctx, name, sub: "finalize", build: async (cur) => {
    if (!cur) throw errors.notFound(store.gr, name);
    const rv = input.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(store.gr, name, conflictMessage);
    const obj = deepClone(cur);
    const ns = shape(obj);
    ns.spec = { ...(ns.spec ?? {}), finalizers: [...finalizers] };
    return { obj };
  } });
}

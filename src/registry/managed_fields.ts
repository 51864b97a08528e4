// managedFields for non-apply writes (operation "Update"): each manager's entry records the fields it set.
// Server-side apply (machinery/apply.ts) maintains its own "Apply" entries; this file only tracks updates.
// Simplification: lists are owned as a whole (no per-element k:/v: keys).
import type { StoredObject } from "../api/object.js";
import type { ManagedFieldsEntry } from "kubernetes-types/meta/v1.js";
import { jsonEqual } from "../machinery/json_patch.js";

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The FieldsV1 set of a value: maps recurse ("." marks a map that is itself a member), everything else is a leaf. */
function fieldsOf(v: unknown): Fields {
  if (!isObject(v)) return {};
  const out: Fields = {};
  for (const [k, child] of Object.entries(v)) {
    out[`f:${k}`] = isObject(child) && Object.keys(child).length > 0 ? { ".": {}, ...fieldsOf(child) } : {};
  }
  return out;
}

/** Fields of `next` that differ from `prev`. */
function changedFields(prev: unknown, next: unknown): Fields {
  if (!isObject(next)) return {};
  const out: Fields = {};
  const p = isObject(prev) ? prev : {};
  for (const [k, child] of Object.entries(next)) {
    if (jsonEqual(p[k], child)) continue;
    out[`f:${k}`] = isObject(child) && isObject(p[k]) ? { ".": {}, ...changedFields(p[k], child) } : isObject(child) ? { ".": {}, ...fieldsOf(child) } : {};
  }
  return out;
}

function mergeFields(a: Fields, b: Fields): Fields {
  const out: Fields = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(out[k]) && isObject(v) ? mergeFields(out[k] as Fields, v as Fields) : v;
  return out;
}

/** The part of an object a manager can own through a write to the main resource or a subresource. */
function ownable(obj: StoredObject | undefined, subresource?: string): Record<string, unknown> {
  if (!obj) return {};
  const { apiVersion: _a, kind: _k, metadata, status, ...rest } = obj;
  const meta: Record<string, unknown> = {};
  for (const f of ["labels", "annotations", "finalizers", "ownerReferences"] as const) if (metadata[f] !== undefined) meta[f] = metadata[f];
  if (subresource === "status") return status === undefined ? {} : { status };
  return { ...(Object.keys(meta).length ? { metadata: meta } : {}), ...rest, ...(status !== undefined ? { status } : {}) };
}

export interface ManagedFieldsOptions {
  manager?: string;
  apiVersion: string;
  subresource?: string;
  now: Date;
  old?: StoredObject;
}

/** Records `manager` as the owner of what this write changed. Without a manager, managedFields are carried over. */
export function updateManagedFields(obj: StoredObject, opts: ManagedFieldsOptions): void {
  const prior = obj.metadata.managedFields ?? opts.old?.metadata.managedFields ?? [];
  if (!opts.manager) {
    if (prior.length) obj.metadata.managedFields = prior;
    return;
  }
  const changed = opts.old ? changedFields(ownable(opts.old, opts.subresource), ownable(obj, opts.subresource)) : fieldsOf(ownable(obj, opts.subresource));
  const entries: ManagedFieldsEntry[] = prior.map((e) => ({ ...e }));
  const idx = entries.findIndex((e) => e.manager === opts.manager && e.operation === "Update" && (e.subresource ?? "") === (opts.subresource ?? ""));
  if (Object.keys(changed).length === 0 && idx >= 0) return void (obj.metadata.managedFields = entries);
  const time = opts.now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const entry: ManagedFieldsEntry = {
    manager: opts.manager,
    operation: "Update",
    apiVersion: opts.apiVersion,
    time,
    fieldsType: "FieldsV1",
    fieldsV1: idx >= 0 ? mergeFields((entries[idx]!.fieldsV1 ?? {}) as Fields, changed) : changed,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  if (idx >= 0) entries[idx] = entry;
  else entries.push(entry);
  obj.metadata.managedFields = entries;
}

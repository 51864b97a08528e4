// managedFields for non-apply writes (operation "Update"): the writer takes ownership of what it added or changed
// (machinery/apply.ts computes it through the kind's OpenAPI schema, or an untyped one when there is none).
// Server-side apply records its own "Apply" entries.
import type { StoredObject } from "../api/object.js";
import { updateManagedFieldsForUpdate } from "../machinery/apply.js";
import type { SchemaResolver } from "../machinery/openapi_schema.js";
import { schemaFor } from "./patchers.js";

export interface ManagedFieldsOptions {
  manager?: string;
  subresource?: string;
  now: Date;
  /** The stored object before the write (absent on create). */
  old?: StoredObject;
  resolver?: SchemaResolver;
  /** The kind and version of the objects compared (the storage version). */
  gvk: { group: string; version: string; kind: string };
  /** Top-level fields this endpoint does not manage. */
  ignoredFields?: string[];
}

/** Records `manager` as the owner of what this write changed. Without a manager, managedFields are carried over. */
export function updateManagedFields(obj: StoredObject, opts: ManagedFieldsOptions): void {
  if (!opts.manager) {
    const prior = obj.metadata.managedFields ?? opts.old?.metadata.managedFields;
    if (prior?.length) obj.metadata.managedFields = prior;
    return;
  }
  const { resolver, schema } = schemaFor(opts.resolver, opts.gvk);
  const out = updateManagedFieldsForUpdate(opts.old, obj, {
    manager: opts.manager,
    resolver,
    schema,
    now: opts.now,
    subresource: opts.subresource,
    ignoredFields: opts.ignoredFields,
  });
  const entries = out.metadata?.managedFields;
  if (entries?.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

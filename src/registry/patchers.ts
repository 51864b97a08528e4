// The patch machinery the generic store applies (src/machinery): JSON patch, merge patch, strategic merge patch
// and server-side apply. Replaceable as a whole (tests substitute fakes).
import type { StoredObject } from "../api/object.js";
import { serverSideApply, type ApplyConflict } from "../machinery/apply.js";
import { errors } from "../machinery/errors.js";
import { applyJsonPatch } from "../machinery/json_patch.js";
import { applyMergePatch } from "../machinery/merge_patch.js";
import { mapResolver, type SchemaResolver } from "../machinery/openapi_schema.js";
import { applyStrategicMergePatch } from "../machinery/strategic_merge_patch.js";

export interface ApplyOptions {
  manager: string;
  force: boolean;
  resolver: SchemaResolver;
  schema: string;
  now: Date;
  subresource?: string;
  /** Top-level fields the endpoint does not manage ("status" on a main resource with a status subresource). */
  ignoredFields?: string[];
}

export interface ApplyResult {
  object: StoredObject;
  /** Fields another manager owns with a different value (empty when the apply may proceed). */
  conflicts: ApplyConflict[];
}

/** live is undefined when the apply creates the object. */
export type ServerSideApply = (live: StoredObject | undefined, applied: StoredObject, opts: ApplyOptions) => ApplyResult;

export interface Patchers {
  json(doc: StoredObject, ops: unknown): StoredObject;
  merge(doc: StoredObject, patch: unknown): StoredObject;
  /** Without a schema (no resolver, or a kind it does not know) strategic merge falls back to merge patch rules. */
  strategic(doc: StoredObject, patch: unknown, opts: { resolver?: SchemaResolver; schema?: string }): StoredObject;
  apply: ServerSideApply;
}

/** For kinds without a published schema: every field is a plain map entry (maps merge, lists are atomic). */
const UNTYPED_SCHEMA = "io.k8ts.Untyped";
export const untypedResolver: SchemaResolver = mapResolver({ [UNTYPED_SCHEMA]: { type: "object", "x-kubernetes-preserve-unknown-fields": true } });

/** The resolver and root schema for a kind, falling back to the untyped schema. */
export function schemaFor(resolver: SchemaResolver | undefined, gvk: { group: string; version: string; kind: string }): { resolver: SchemaResolver; schema: string; typed: boolean } {
  const schema = resolver?.forKind(gvk);
  return resolver && schema ? { resolver, schema, typed: true } : { resolver: untypedResolver, schema: UNTYPED_SCHEMA, typed: false };
}

const asObject = (v: unknown, what: string): StoredObject => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.badRequest(`${what}: the result is not a JSON object`);
  const o = v as StoredObject;
  o.metadata ??= {};
  return o;
};

const requireObject = (patch: unknown, what: string): object => {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw errors.badRequest(`${what}: the patch must be a JSON object`);
  return patch;
};

export const defaultPatchers: Patchers = {
  json: (doc, ops) => asObject(applyJsonPatch(doc, ops), "json patch"),
  merge: (doc, patch) => asObject(applyMergePatch(doc, requireObject(patch, "merge patch")), "merge patch"),
  strategic: (doc, patch, opts) => {
    const p = requireObject(patch, "strategic merge patch");
    if (!opts.resolver || !opts.schema) return asObject(applyMergePatch(doc, p), "strategic merge patch");
    return asObject(applyStrategicMergePatch(doc, p, { resolver: opts.resolver, schema: opts.schema }), "strategic merge patch");
  },
  apply: (live, applied, opts) => {
    const r = serverSideApply(live, applied, opts);
    return { object: asObject(r.object, "apply"), conflicts: r.conflicts };
  },
};

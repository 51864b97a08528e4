// The patch machinery the generic store applies: JSON patch, merge patch, strategic merge patch and server-side
// apply (src/machinery). Server-side apply is loaded lazily so the registry works before and without it.
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { applyJsonPatch } from "../machinery/json_patch.js";
import { applyMergePatch } from "../machinery/merge_patch.js";
import type { SchemaResolver } from "../machinery/openapi_schema.js";
import { applyStrategicMergePatch } from "../machinery/strategic_merge_patch.js";

export interface ApplyOptions {
  manager: string;
  force: boolean;
  resolver?: SchemaResolver;
  schema?: string;
  now: Date;
}

export interface ApplyResult {
  object: StoredObject;
  /** Fields another manager owns with a different value (empty when the apply may proceed). */
  conflicts: unknown[];
}

export type ServerSideApply = (live: StoredObject, applied: StoredObject, opts: ApplyOptions) => ApplyResult;

export interface Patchers {
  json(doc: StoredObject, ops: unknown): StoredObject;
  merge(doc: StoredObject, patch: unknown): StoredObject;
  /** Without a schema (no resolver, or a kind it does not know) strategic merge falls back to merge patch rules. */
  strategic(doc: StoredObject, patch: unknown, opts: { resolver?: SchemaResolver; schema?: string }): StoredObject;
  apply(): Promise<ServerSideApply>;
}

const asObject = (v: unknown, what: string): StoredObject => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.badRequest(`${what}: the result is not a JSON object`);
  const o = v as StoredObject;
  o.metadata ??= {};
  return o;
};

let applyModule: Promise<ServerSideApply> | undefined;

/** Server-side apply from machinery/apply.ts, resolved on first use. */
function loadApply(): Promise<ServerSideApply> {
  // A computed specifier: the module is written in parallel and the registry must build without it.
  const spec = ["..", "machinery", "apply.js"].join("/");
  applyModule ??= import(spec)
    .then((m: { serverSideApply?: ServerSideApply }) => {
      if (!m.serverSideApply) throw new Error("machinery/apply.js has no serverSideApply");
      return m.serverSideApply;
    })
    .catch((err: unknown) => {
      applyModule = undefined;
      throw errors.unsupportedMediaType(`application/apply-patch+yaml (server-side apply unavailable: ${err instanceof Error ? err.message : String(err)})`);
    });
  return applyModule;
}

export const defaultPatchers: Patchers = {
  json: (doc, ops) => asObject(applyJsonPatch(structuredClone(doc), ops), "json patch"),
  merge: (doc, patch) => {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw errors.badRequest("merge patch: the patch must be a JSON object");
    return asObject(applyMergePatch(structuredClone(doc), patch), "merge patch");
  },
  strategic: (doc, patch, opts) => {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw errors.badRequest("strategic merge patch: the patch must be a JSON object");
    if (!opts.resolver || !opts.schema) return asObject(applyMergePatch(structuredClone(doc), patch), "strategic merge patch");
    return asObject(applyStrategicMergePatch(doc, patch, { resolver: opts.resolver, schema: opts.schema }), "strategic merge patch");
  },
  apply: loadApply,
};

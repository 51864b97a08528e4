// What every generic store shares: storage, the watch cache, clock, logger, schemas, patch machinery, tuning, and
// a way to reach other resources' stores (namespaces for lifecycle checks, PodDisruptionBudgets for evictions).
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { SchemaResolver } from "../machinery/openapi_schema.js";
import type { Storage } from "../storage/types.js";
import type { Logger } from "../util/log.js";
import type { Patchers } from "./patchers.js";
import type { RequestContext } from "./rest.js";
import type { ResourceDef } from "./types.js";
import type { WatchCache } from "./watch_cache.js";

export type FindUnknownFields = (obj: unknown, schemaName: string, resolver: SchemaResolver) => string[];

export interface RegistryTuning {
  /** How long a consistent read waits for the cache to catch up before reading storage instead. */
  freshnessTimeoutMs: number;
  /** How long a read or watch at a resourceVersion ahead of the cache waits before 504 "Too large resource version". */
  tooLargeResourceVersionWaitMs: number;
  /** Periodic bookmarks of watches with allowWatchBookmarks (Kubernetes: about once a minute). */
  bookmarkIntervalMs: number;
  /** Events a watch consumer may fall behind before it is dropped. */
  watchBuffer: number;
  /** Optimistic-concurrency retries of one update, patch or delete before giving up with 409. */
  maxRetries: number;
}

export const DEFAULT_TUNING: RegistryTuning = {
  freshnessTimeoutMs: 3000,
  tooLargeResourceVersionWaitMs: 3000,
  bookmarkIntervalMs: 60_000,
  watchBuffer: 10_000,
  maxRetries: 16,
};

/** The request and object name most store operations work on. */
export interface StoreOp {
  ctx: RequestContext;
  name: string;
}

/** The part of another resource's store the lifecycle code needs. */
export interface StoreLookup {
  def: ResourceDef;
  /** Reads through storage (consistent), storage version; null when absent. */
  readStored(namespace: string | undefined, name: string): Promise<StoredObject | null>;
  /** A read as consistent as readStored, from the watch cache when it holds every acknowledged write (then the
   *  object is the cache's: shared and frozen, never mutate); storage otherwise. */
  readFresh(namespace: string | undefined, name: string): Promise<StoredObject | null>;
  /** Cached objects of a namespace (storage version, shared: never mutate). */
  cachedList(namespace?: string): StoredObject[];
  /** Writes a new storage-version object over `current` (compare-and-swap on its resourceVersion). */
  writeStored(obj: StoredObject): Promise<StoredObject>;
}

export interface StoreDeps {
  storage: Storage;
  cache: WatchCache;
  clock: () => Date;
  logger: Logger;
  resolver?: SchemaResolver;
  findUnknownFields?: FindUnknownFields;
  patchers: Patchers;
  tuning: RegistryTuning;
  lookup(group: string, resource: string): StoreLookup | undefined;
}

/** fieldValidation: unknown fields of a served-version object (needs a resolver that knows the kind). Strict
 *  refuses them; Warn and Ignore drop them from the object, as Kubernetes' decoder does, Warn also warning. */
export function checkUnknownFields(deps: StoreDeps, op: { def: ResourceDef; ctx: RequestContext; obj: StoredObject }): void {
  const { def, ctx, obj } = op;
  if (!deps.resolver || !deps.findUnknownFields) return;
  const schema = deps.resolver.forKind({ group: def.group, version: ctx.version, kind: def.kind });
  if (!schema) return;
  const unknown = deps.findUnknownFields(obj, schema, deps.resolver);
  if (unknown.length === 0) return;
  const msgs = unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (ctx.fieldValidation === "Strict") throw errors.badRequest(`strict decoding error: ${msgs.join(", ")}`);
  for (const path of unknown) deleteFieldPath(obj, path);
  if (ctx.fieldValidation === "Ignore") return;
  // An update loop may check the same object again after a conflict: warn once.
  for (const m of msgs) if (!ctx.warnings.includes(m)) ctx.warnings.push(m);
}

/** Deletes the field a path like `spec.containers[0].imagePullPolice` names (the form findUnknownFields reports). */
function deleteFieldPath(obj: unknown, path: string): void {
  const steps = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
  let cur: unknown = obj;
  for (let i = 0; i < steps.length - 1; i++) {
    if (cur === null || typeof cur !== "object") return;
    cur = (cur as Record<string | number, unknown>)[steps[i]!];
  }
  const last = steps.at(-1);
  if (last !== undefined && cur !== null && typeof cur === "object" && !Array.isArray(cur)) delete (cur as Record<string, unknown>)[String(last)];
}

export function parseResourceVersion(rv: string, what = "resourceVersion"): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid ${what}: ${JSON.stringify(rv)}: must be a decimal number`);
  return Number(rv);
}

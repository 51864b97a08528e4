// createRegistry: one generic store per resource over one Storage, and one watch cache shared by all of them.
import type { SchemaResolver } from "../machinery/openapi_schema.js";
import type { Storage } from "../storage/types.js";
import { silentLogger, type Logger } from "../util/log.js";
import { findUnknownFields as defaultFindUnknownFields } from "../api/openapi/unknown_fields.js";
import { GenericStore } from "./generic_store.js";
import { defaultPatchers, type Patchers } from "./patchers.js";
import type { Registry, ResourceStore } from "./rest.js";
import { DEFAULT_TUNING, type FindUnknownFields, type RegistryTuning, type StoreDeps } from "./store_context.js";
import { resourcePrefix } from "./storage_keys.js";
import type { ResourceDef } from "./types.js";
import { WatchCache } from "./watch_cache.js";

export interface RegistryOptions {
  storage: Storage;
  resources: ResourceDef[];
  /** OpenAPI schemas: strategic merge patch, server-side apply and fieldValidation need them. */
  resolver?: SchemaResolver;
  clock?: () => Date;
  logger?: Logger;
  /** Unknown-field detection for fieldValidation=Strict|Warn (default: api/openapi/unknown_fields.ts). */
  findUnknownFields?: FindUnknownFields;
  /** Patch machinery (default: src/machinery); tests may substitute. */
  patchers?: Patchers;
  /** Events kept for resuming watches (default 10,000). */
  watchHistorySize?: number;
  tuning?: Partial<RegistryTuning>;
}

export interface RegistryHandle extends Registry {
  /** The watch cache's revision (tests, metrics). */
  cacheRevision(): number;
}

export function createRegistry(opts: RegistryOptions): RegistryHandle {
  const logger = (opts.logger ?? silentLogger).with({ component: "registry" });
  const cache = new WatchCache({
    storage: opts.storage,
    prefixes: opts.resources.map(resourcePrefix),
    historySize: opts.watchHistorySize,
    logger,
  });
  const stores = new Map<string, GenericStore>();
  const deps: StoreDeps = {
    storage: opts.storage,
    cache,
    clock: opts.clock ?? (() => new Date()),
    logger,
    resolver: opts.resolver,
    findUnknownFields: opts.findUnknownFields ?? defaultFindUnknownFields,
    patchers: opts.patchers ?? defaultPatchers,
    tuning: { ...DEFAULT_TUNING, ...opts.tuning },
    lookup: (group, resource) => stores.get(`${group}/${resource}`),
  };
  for (const def of opts.resources) {
    const id = `${def.group}/${def.resource}`;
    if (stores.has(id)) throw new Error(`createRegistry: resource ${id} is defined twice`);
    stores.set(id, new GenericStore(def, deps));
  }
  let started: Promise<void> | undefined;
  return {
    resources: () => opts.resources,
    store: (group, resource): ResourceStore | undefined => stores.get(`${group}/${resource}`),
    start: () => (started ??= cache.start()),
    stop: async () => cache.stop(),
    cacheRevision: () => cache.revision,
    objectCounts: () => opts.resources.map((def) => ({ resource: def.group ? `${def.resource}.${def.group}` : def.resource, count: cache.objectCount(resourcePrefix(def)) })),
  };
}

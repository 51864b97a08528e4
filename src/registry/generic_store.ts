// The generic store: one implementation of ResourceStore serves every resource, as Kubernetes' generic registry
// does. A resource contributes its ResourceDef and Strategy; this file holds reads (get, list, watch) and create;
// updates, patches, deletes and subresources live in the sibling store_*.ts files.
import type { KubeList, StoredObject } from "../api/object.js";
import { errors, StatusError, type GroupResource, type Status } from "../machinery/errors.js";
import { isStorageError } from "../storage/errors.js";
import type { KeyValue } from "../storage/types.js";
import { CacheWatcher } from "./cache_watcher.js";
import { apiVersionOf, decodeKv, encodeObject, VersionCodec, written } from "./codec.js";
import { checkNamespaceForCreate, isNamespaceResource, prepareNamespaceCreate } from "./namespace_lifecycle.js";
import { prepareCreateMeta, reconcileNamespace, validateObjectMeta } from "./object_meta.js";
import { updateManagedFields } from "./managed_fields.js";
import { createPodSubresource } from "./pod_subresources.js";
import type {
  CreateSubresource,
  DeleteParams,
  DeleteResult,
  ListParams,
  PatchType,
  RequestContext,
  ResourceStore,
  Subresource,
  WatchParams,
  WatchStream,
  WriteResult,
} from "./rest.js";
import { buildFilter } from "./selectors.js";
import { checkUnknownFields, parseResourceVersion, type StoreDeps, type StoreLookup } from "./store_context.js";
import { deleteCollection, deleteObject } from "./store_delete.js";
import { getScale } from "./store_scale.js";
import { listFromStorage } from "./store_list.js";
import { patchObject } from "./store_patch.js";
import { updateObject } from "./store_update.js";
import { listPrefix, objectKey, resourcePrefix } from "./storage_keys.js";
import { translateStorageError } from "./storage_errors.js";
import type { ResourceDef, WriteHooks } from "./types.js";

/** Kubernetes retries a create whose generated name collided this many times (RetryGenerateName). */
const GENERATE_NAME_ATTEMPTS = 8;

export class GenericStore implements ResourceStore, StoreLookup {
  readonly codec: VersionCodec;
  readonly gr: GroupResource;
  readonly bucket: string;
  readonly hooks: WriteHooks;

  constructor(
    readonly def: ResourceDef,
    readonly deps: StoreDeps,
  ) {
    this.codec = new VersionCodec(def);
    this.gr = { group: def.group, resource: def.resource };
    this.bucket = resourcePrefix(def);
    this.hooks = def.writeHooks?.({ storage: deps.storage, cachedList: () => this.cachedList(), read: (ns, name) => this.readStored(ns, name), clock: deps.clock, logger: deps.logger.with({ resource: def.resource }) }) ?? {};
  }

  key(ns: string | undefined, name: string): string {
    return objectKey(this.def, ns, name);
  }

  /** The namespace a request addresses (undefined for cluster-scoped resources). */
  ns(ctx: RequestContext): string | undefined {
    return this.def.namespaced ? ctx.namespace : undefined;
  }

  /** The storage version's group/version/kind (what stored objects are compared as). */
  storageGvk(): { group: string; version: string; kind: string } {
    return { group: this.def.group, version: this.def.storageVersion, kind: this.def.kind };
  }

  now(): Date {
    return this.deps.clock();
  }

  storageError(err: unknown, name?: string): Error {
    return translateStorageError(err, { gr: this.gr, name });
  }

  out(obj: StoredObject, ctx: RequestContext): StoredObject {
    return this.codec.fromStorage(obj, ctx.version);
  }

  // ---- StoreLookup (used by other stores) ----

  async readStored(ns: string | undefined, name: string): Promise<StoredObject | null> {
    try {
      const kv = await this.deps.storage.get(this.key(ns, name));
      return kv ? decodeKv(kv) : null;
    } catch (err) {
      throw this.storageError(err, name);
    }
  }

  async readFresh(ns: string | undefined, name: string): Promise<StoredObject | null> {
    const { cache, storage } = this.deps;
    // Every write acknowledged before this call is in the cache once its revision has reached the store's (the
    // SQLite store feeds the cache before it acknowledges a write, so this is the common case). A miss still reads
    // storage, as Kubernetes' admission does when its informer has not seen an object.
    if (cache.revision >= (await storage.currentRevision())) {
      const cached = cache.get(this.key(ns, name));
      if (cached) return cached;
    }
    return this.readStored(ns, name);
  }

  cachedList(ns?: string): StoredObject[] {
    return this.deps.cache.list(this.bucket, listPrefix(this.def, ns));
  }

  async writeStored(obj: StoredObject): Promise<StoredObject> {
    const name = obj.metadata.name ?? "";
    const expectedRevision = parseResourceVersion(obj.metadata.resourceVersion ?? "0");
    try {
      return await this.put(this.key(obj.metadata.namespace, name), obj, (value, key) => this.deps.storage.update(key, value, { expectedRevision }));
    } catch (err) {
      throw this.storageError(err, name);
    }
  }

  /** Stores `obj` (encodeObject) with `write` and returns it with the write's resourceVersion. The watch cache is
   *  offered `obj` itself for the stored value, sparing it a parse: `obj` is not the caller's to change any more. */
  async put(key: string, obj: StoredObject, write: (value: string, key: string) => Promise<KeyValue>): Promise<StoredObject> {
    const value = encodeObject(obj);
    const release = this.deps.cache.offer(key, value, obj);
    try {
      return written(obj, await write(value, key));
    } finally {
      release();
    }
  }

  // ---- reads ----

  /** 404 for a subresource this resource does not have. */
  checkSubresource(sub: Subresource | undefined): void {
    const has = sub === undefined || (sub === "status" && !!this.def.status) || (sub === "scale" && !!this.def.scale) || (sub === "finalize" && isNamespaceResource(this.def));
    if (!has) throw errors.pathNotFound(`the server could not find the requested resource (${this.def.resource}/${sub})`);
  }

  async get(ctx: RequestContext, name: string, opts: { resourceVersion?: string; subresource?: Subresource } = {}): Promise<StoredObject> {
    this.checkSubresource(opts.subresource);
    const obj = await this.read(ctx, name, opts.resourceVersion ?? "");
    if (opts.subresource === "scale") return getScale(this, obj);
    return this.out(obj, ctx);
  }

  /** Storage-version object: resourceVersion "" reads storage, any other version the cache (not older than it). */
  async read(ctx: RequestContext, name: string, resourceVersion: string): Promise<StoredObject> {
    const ns = this.ns(ctx);
    if (resourceVersion === "") {
      const obj = await this.readStored(ns, name);
      if (!obj) throw errors.notFound(this.gr, name);
      return obj;
    }
    if (resourceVersion !== "0") await this.waitForCache(parseResourceVersion(resourceVersion));
    const obj = this.deps.cache.get(this.key(ns, name));
    if (!obj) throw errors.notFound(this.gr, name);
    return obj;
  }

  async waitForCache(revision: number): Promise<void> {
    const ok = await this.deps.cache.waitFor(revision, this.deps.tuning.tooLargeResourceVersionWaitMs);
    if (!ok) {
      const e = errors.timeout(`Too large resource version: ${revision}, current: ${this.deps.cache.revision}`);
      e.status.details = { ...e.status.details, causes: [{ reason: "ResourceVersionTooLarge", message: `Too large resource version` }] };
      throw e;
    }
  }

  async list(ctx: RequestContext, params: ListParams): Promise<KubeList<StoredObject>> {
    const filter = buildFilter(this.def, { namespace: this.ns(ctx), labelSelector: params.labelSelector, fieldSelector: params.fieldSelector });
    const rv = params.resourceVersion ?? "";
    const exact = params.resourceVersionMatch === "Exact";
    if (exact && (rv === "" || rv === "0")) throw errors.badRequest(`resourceVersionMatch: Invalid value: "Exact": resourceVersionMatch "Exact" is forbidden for resourceVersion "${rv}"`);
    // Continue tokens, exact versions and paged consistent lists are read from storage (as Kubernetes does);
    // everything else from the cache, which for "" first catches up with storage.
    let fromCache = !params.continue && !exact && !(rv === "" && params.limit);
    if (fromCache && rv === "") fromCache = await this.deps.cache.waitFresh(this.deps.tuning.freshnessTimeoutMs);
    else if (fromCache && rv !== "0") await this.waitForCache(parseResourceVersion(rv));
    if (!fromCache) return listFromStorage(this, { ctx, params, filter });
    const revision = this.deps.cache.revision;
    const items = this.cachedList(filter.namespace).filter((o) => filter.matches(o));
    return this.listOf(ctx, items, { resourceVersion: String(revision) });
  }

  listOf(ctx: RequestContext, items: StoredObject[], metadata: KubeList["metadata"]): KubeList<StoredObject> {
    return { apiVersion: apiVersionOf(this.def.group, ctx.version), kind: `${this.def.kind}List`, metadata, items: items.map((o) => this.out(o, ctx)) };
  }

  async watch(ctx: RequestContext, params: WatchParams): Promise<WatchStream> {
    const filter = buildFilter(this.def, { namespace: this.ns(ctx), labelSelector: params.labelSelector, fieldSelector: params.fieldSelector });
    const rv = params.resourceVersion ?? "";
    const initial = params.sendInitialEvents ?? (rv === "" || rv === "0");
    if (rv === "" && initial) await this.deps.cache.waitFresh(this.deps.tuning.freshnessTimeoutMs);
    const from = rv === "" || rv === "0" ? undefined : parseResourceVersion(rv);
    if (from !== undefined) await this.waitForCache(from);
    const { cache, tuning } = this.deps;
    let unsubscribe = (): void => {};
    const watcher = new CacheWatcher({
      codec: this.codec,
      version: ctx.version,
      filter,
      allowBookmarks: params.allowWatchBookmarks ?? false,
      currentRevision: () => cache.revision,
      bookmarkIntervalMs: tuning.bookmarkIntervalMs,
      timeoutMs: params.timeoutSeconds !== undefined && params.timeoutSeconds > 0 ? params.timeoutSeconds * 1000 : undefined,
      maxBuffer: tuning.watchBuffer,
      onStop: () => unsubscribe(),
    });
    // Initial state and subscription happen in one synchronous step: nothing can slip in between.
    if (initial && from === undefined) {
      watcher.addInitial(this.cachedList(filter.namespace), cache.revision, params.sendInitialEvents === true && (params.allowWatchBookmarks ?? false));
      unsubscribe = cache.subscribe(this.bucket, watcher).unsubscribe;
    } else if (initial) {
      // sendInitialEvents with an explicit version: the state at the cache's revision (not older than `from`).
      watcher.addInitial(this.cachedList(filter.namespace), cache.revision, params.allowWatchBookmarks ?? false);
      unsubscribe = cache.subscribe(this.bucket, watcher).unsubscribe;
    } else {
      try {
        unsubscribe = cache.subscribe(this.bucket, watcher, from ?? cache.revision).unsubscribe;
      } catch (err) {
        // Too old for the history window: like Kubernetes' cacher, the watch itself answers with an ERROR event.
        if (!(err instanceof StatusError) || err.code !== 410) throw err;
        watcher.terminate(err);
      }
    }
    ctx.signal?.addEventListener("abort", () => watcher.stop(), { once: true });
    return watcher;
  }

  // ---- create ----

  async create(ctx: RequestContext, obj: StoredObject, opts: { owned?: boolean } = {}): Promise<StoredObject> {
    checkUnknownFields(this.deps, { def: this.def, ctx, obj });
    return this.out(await this.createStored(ctx, this.codec.toStorage(obj, ctx.version, { owned: opts.owned })), ctx);
  }

  /** The create pipeline on a storage-version object this call owns. */
  async createStored(ctx: RequestContext, obj: StoredObject, opts: { managedFieldsDone?: boolean } = {}): Promise<StoredObject> {
    const now = this.now();
    reconcileNamespace(obj, this.def, this.ns(ctx));
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    if (this.def.namespaced) await checkNamespaceForCreate(this, obj);
    prepareCreateMeta(obj, now);
    if (isNamespaceResource(this.def)) prepareNamespaceCreate(obj);
    const s = this.def.strategy;
    s.defaults?.(obj);
    s.prepareForCreate?.(obj, { now });
    const errs = [...validateObjectMeta(obj, this.def), ...s.validate(obj)];
    if (errs.length) throw errors.invalid(this.def.kind, this.def.group, obj.metadata.name ?? obj.metadata.generateName ?? "", errs);
    if (!opts.managedFieldsDone) {
      delete obj.metadata.managedFields;
      updateManagedFields(obj, { manager: ctx.fieldManager, now, resolver: this.deps.resolver, gvk: this.storageGvk(), ignoredFields: this.def.status ? ["status"] : undefined });
    }
    ctx.warnings.push(...(s.warnings?.(obj) ?? []));
    // An existing object is AlreadyExists before any side effect of the hooks (allocations) could refuse it.
    if (this.hooks.beforeCreate && !generated && obj.metadata.name && (await this.readStored(obj.metadata.namespace, obj.metadata.name))) throw errors.alreadyExists(this.gr, obj.metadata.name);
    const finish = await this.hooks.beforeCreate?.(obj, { dryRun: ctx.dryRun });
    let committed = false;
    try {
      const stored = await this.writeCreate(ctx, obj, { generated, now });
      committed = !ctx.dryRun;
      return stored;
    } finally {
      await finish?.(committed);
    }
  }

  /** Stores a prepared object, retrying a generated name that collided. */
  private async writeCreate(ctx: RequestContext, obj: StoredObject, op: { generated: boolean; now: Date }): Promise<StoredObject> {
    const { generated, now } = op;
    for (let attempt = 1; ; attempt++) {
      const name = obj.metadata.name!;
      const key = this.key(obj.metadata.namespace, name);
      try {
        if (ctx.dryRun) {
          if (await this.deps.storage.get(key)) throw errors.alreadyExists(this.gr, name);
          return obj;
        }
        return await this.put(key, obj, (value) => this.deps.storage.create(key, value));
      } catch (err) {
        const collided = isStorageError(err, "KeyExists") || (err instanceof Error && "status" in err && (err as { status: Status }).status.reason === "AlreadyExists");
        if (collided && generated && attempt < GENERATE_NAME_ATTEMPTS) {
          obj.metadata.name = undefined;
          prepareCreateMeta(obj, now);
          continue;
        }
        throw this.storageError(err, name);
      }
    }
  }

  // ---- writes delegated to their own files ----

  async update(ctx: RequestContext, name: string, obj: StoredObject, opts: { subresource?: Subresource } = {}): Promise<WriteResult> {
    this.checkSubresource(opts.subresource);
    return updateObject(this, { ctx, name, input: obj, sub: opts.subresource });
  }

  async patch(ctx: RequestContext, name: string, patch: { type: PatchType; body: unknown; force?: boolean }, opts: { subresource?: Subresource } = {}): Promise<WriteResult> {
    this.checkSubresource(opts.subresource);
    return patchObject(this, { ctx, name, patch, sub: opts.subresource });
  }

  delete(ctx: RequestContext, name: string, params: DeleteParams): Promise<DeleteResult> {
    return deleteObject(this, { ctx, name, params });
  }

  deleteCollection(ctx: RequestContext, list: ListParams, params: DeleteParams): Promise<KubeList<StoredObject>> {
    return deleteCollection(this, { ctx, list, params });
  }

  createSubresource(ctx: RequestContext, name: string, subresource: CreateSubresource, body: unknown): Promise<StoredObject | Status> {
    return createPodSubresource(this, { ctx, name, sub: subresource, body });
  }
}

// The interface between the HTTP layer (apiserver/) and the registry: one ResourceStore per resource, reached
// through a Registry. The HTTP layer decodes requests and query parameters into these calls and encodes the results;
// the registry owns every behaviour of the objects (generic store + strategies + watch cache).
import type { StoredObject, KubeList } from "../api/object.js";
import type { Status } from "../machinery/errors.js";
import type { ResourceDef } from "./types.js";

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface RequestContext {
  /** The namespace of the request path (absent for cluster-scoped resources and all-namespace lists). */
  namespace?: string;
  /** The API version the client used (objects in and out are in this version). */
  version: string;
  user: UserInfo;
  /** dryRun=All: everything is done and answered but nothing is stored. */
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** Collects Warning headers (e.g. unknown fields under fieldValidation=Warn). */
  warnings: string[];
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** Admission for patches (and apply), run inside the update loop on the patched object in the request's version
   *  before the strategy prepares and validates it, again on every optimistic-concurrency retry, as Kubernetes
   *  does. `old` is null when an apply creates the object. May mutate `obj`; throw a StatusError to reject. */
  admitPatched?: (op: "CREATE" | "UPDATE", obj: StoredObject, old: StoredObject | null) => Promise<void>;
}

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** "" (most recent, consistent), "0" (any, from cache), or an exact resourceVersion. */
  resourceVersion?: string;
  resourceVersionMatch?: "NotOlderThan" | "Exact";
}

export interface WatchParams {
  labelSelector?: string;
  fieldSelector?: string;
  /** "" / "0": start with ADDED events for the current state; otherwise every change after this version. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export interface WatchEventOut {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: StoredObject | Status;
}

export interface WatchStream {
  /** Receives events in order, asynchronously (never on the caller's stack); the stream ends with onClose (after an
   *  ERROR event, a timeout, or stop()). Backpressure: onEvent returning false (e.g. res.write() returned false)
   *  pauses delivery until resume() (call it on the response's "drain"). A consumer that stays paused while more
   *  than a bounded number of events pile up is dropped with an ERROR event (410 Expired; clients relist). */
  start(handlers: { onEvent: (e: WatchEventOut) => void | boolean; onClose: () => void }): void;
  /** Resumes delivery after onEvent returned false (optional so simple fakes need not implement it). */
  resume?(): void;
  /** Ends the stream; onClose follows. Idempotent. */
  stop(): void;
}

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface DeleteParams {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Deprecated form of propagationPolicy, still sent by old clients. */
  orphanDependents?: boolean;
}

export interface WriteResult {
  object: StoredObject;
  /** True when a PUT or an apply created the object (HTTP 201). */
  created: boolean;
}

export interface DeleteResult {
  /** The deleted object, or the object still being deleted (deletionTimestamp set, finalizers pending). */
  object: StoredObject;
  /** False while the object still exists (graceful deletion or finalizers); HTTP 202 in that case. */
  deleted: boolean;
}

/** Subresources that read or write part of the object through the main store. "finalize": namespaces only
 *  (PUT namespaces/x/finalize writes spec.finalizers). */
export type Subresource = "status" | "scale" | "finalize";

/** Subresources that are created with POST (pods only). Both answer a Status Success (HTTP 201). */
export type CreateSubresource = "binding" | "eviction";

export interface ResourceStore {
  readonly def: ResourceDef;
  get(ctx: RequestContext, name: string, opts?: { resourceVersion?: string; subresource?: Subresource }): Promise<StoredObject>;
  list(ctx: RequestContext, params: ListParams): Promise<KubeList<StoredObject>>;
  /** `owned`: the caller hands `obj` over (a freshly decoded request body) and will not use it again, so the store
   *  need not copy it before preparing it for storage. */
  create(ctx: RequestContext, obj: StoredObject, opts?: { owned?: boolean }): Promise<StoredObject>;
  update(ctx: RequestContext, name: string, obj: StoredObject, opts?: { subresource?: Subresource }): Promise<WriteResult>;
  patch(ctx: RequestContext, name: string, patch: { type: PatchType; body: unknown; force?: boolean }, opts?: { subresource?: Subresource }): Promise<WriteResult>;
  delete(ctx: RequestContext, name: string, params: DeleteParams): Promise<DeleteResult>;
  deleteCollection(ctx: RequestContext, list: ListParams, params: DeleteParams): Promise<KubeList<StoredObject>>;
  watch(ctx: RequestContext, params: WatchParams): Promise<WatchStream>;
  /** POST pods/x/binding (core/v1 Binding) and pods/x/eviction (policy/v1 Eviction). Other resources: 404. */
  createSubresource?(ctx: RequestContext, name: string, subresource: CreateSubresource, body: unknown): Promise<StoredObject | Status>;
}

export interface Registry {
  /** Every served resource definition (for discovery and OpenAPI). */
  resources(): ResourceDef[];
  /** The store of a resource, by group and plural name (""/"pods", "apps"/"deployments"), or undefined. */
  store(group: string, resource: string): ResourceStore | undefined;
  /** Stored objects per resource ("pods", "deployments.apps"), read from the watch cache: cheap enough for every
   *  metrics scrape. Optional: registries without a cache leave it out. */
  objectCounts?(): Array<{ resource: string; count: number }>;
  /** Starts the watch cache; resolves when it is primed. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

// What a resource contributes to the generic store: its identity (ResourceDef) and its Strategy.
// Everything generic (CRUD, list/watch, selectors, paging, patch/apply, dry-run, finalizers, graceful deletion,
// ownerReferences, resourceVersion/uid/generation) lives in the generic store; a strategy holds only what is
// specific to one resource: defaults, validation, what an update may change, table columns, field selectors.
import type { FieldError } from "../machinery/errors.js";
import type { StoredObject } from "../api/object.js";
import type { Storage } from "../storage/types.js";
import type { Logger } from "../util/log.js";

/** A version in which a resource is served. Objects are stored in the resource's storage version; a served version
 *  that differs converts on the way in and out. */
export interface ServedVersion {
  version: string;
  /** Served-version object -> storage-version object (apiVersion/kind rewritten). Absent: identity. */
  toStorage?: (obj: StoredObject) => StoredObject;
  /** Storage-version object -> served-version object. Absent: identity. */
  fromStorage?: (obj: StoredObject) => StoredObject;
}

export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description: string;
  /** 0: always shown; 1: only with -o wide. */
  priority: 0 | 1;
}

export interface TableDef {
  columns: TableColumn[];
  /** One cell per column, in order (the NAME column included). `now` makes AGE-style cells testable. */
  cells(obj: StoredObject, now: Date): unknown[];
}

/** The scale subresource (autoscaling/v1 Scale) maps onto these paths of the object. */
export interface ScaleDef {
  /** e.g. "spec.replicas" */
  specReplicasPath: string;
  /** e.g. "status.replicas" */
  statusReplicasPath: string;
  /** Label selector string for status.selector; from the object (e.g. spec.selector rendered as a string). */
  selector(obj: StoredObject): string;
}

/** Context a strategy may consult: the time, and the user for audit-style fields. */
export interface StrategyContext {
  now: Date;
}

export interface Strategy {
  /** Fills defaults in place, as Kubernetes' SetDefaults_* do (on create and on update). */
  defaults?(obj: StoredObject): void;
  /** Resets fields a create may not set (status when there is a status subresource, ...). The generic store has
   *  already set uid, creationTimestamp, generation=1, resourceVersion. */
  prepareForCreate?(obj: StoredObject, ctx: StrategyContext): void;
  /** Keeps fields a main-resource update may not change (status, when there is a status subresource). */
  prepareForUpdate?(obj: StoredObject, old: StoredObject, ctx: StrategyContext): void;
  /** Keeps fields a status update may not change (everything but status, and metadata except labels/annotations
   *  as Kubernetes allows). Required when the resource has a status subresource. */
  prepareForStatusUpdate?(obj: StoredObject, old: StoredObject, ctx: StrategyContext): void;
  validate(obj: StoredObject): FieldError[];
  validateUpdate(obj: StoredObject, old: StoredObject): FieldError[];
  validateStatusUpdate?(obj: StoredObject, old: StoredObject): FieldError[];
  /** Whether a PUT to a missing object creates it (Kubernetes: true for e.g. leases and endpoints). */
  allowCreateOnUpdate?: boolean;
  /** Whether an update without metadata.resourceVersion is accepted (last write wins). */
  allowUnconditionalUpdate?: boolean;
  /** Field selector attributes beyond metadata.name / metadata.namespace (those are generic), computed once per
   *  object and remembered: for attributes that cost more than a few property reads (events convert first). */
  fieldAttrs?(obj: StoredObject): Record<string, string>;
  /** The field labels fieldAttrs returns, for rejecting unsupported ones (400 "field label not supported: x").
   *  Absent: learned by calling fieldAttrs on an empty object. */
  fieldLabels?: string[];
  /** Field selector attributes as one reader per field label, instead of fieldAttrs: a filter calls only the
   *  readers its selector names, on each object it tests, so each must be a few property reads (pods: every pod
   *  event meets every kubelet's spec.nodeName watch). A missing attribute reads as "". */
  fields?: Readonly<Record<string, (obj: StoredObject) => string>>;
  /** Problems with metadata.name (generateName prefixes are checked with a trailing "x"). Absent: the name must
   *  be a DNS-1123 subdomain, as for most resources. */
  validateName?(name: string): string[];
  /** Warnings returned with a successful write (Warning headers). */
  warnings?(obj: StoredObject, old?: StoredObject): string[];
}

/** What a resource's write hooks may use: the storage (for records kept beside the objects, such as allocations),
 *  the resource's cached objects (storage version, shared: never mutate), a clock and a logger. */
export interface WriteHookDeps {
  storage: Storage;
  cachedList(): StoredObject[];
  /** One object of the resource read through storage (consistent); null when absent. */
  read(namespace: string | undefined, name: string): Promise<StoredObject | null>;
  clock: () => Date;
  logger: Logger;
}

export interface WriteHookContext {
  /** Nothing may be kept: hooks check and fill the object but record nothing. */
  dryRun: boolean;
}

/** Called exactly once when the outcome of a write is known: committed (stored) or not (refused, lost a
 *  compare-and-swap, dry run). Undoes or completes what the before-hook reserved. */
export type FinishWrite = (committed: boolean) => Promise<void>;

/**
 * Side effects a resource needs around its writes, beyond what a strategy (pure functions of the objects) can do:
 * Kubernetes' BeginCreate/BeginUpdate/AfterDelete, used by services to allocate cluster IPs and node ports. The
 * before-hooks run after validation, on the object about to be stored (they may fill fields), and throw a
 * StatusError to refuse the write; an update's hook runs again on every compare-and-swap retry.
 */
export interface WriteHooks {
  beforeCreate?(obj: StoredObject, ctx: WriteHookContext): Promise<FinishWrite>;
  beforeUpdate?(obj: StoredObject, old: StoredObject, ctx: WriteHookContext): Promise<FinishWrite>;
  /** After the object left storage (not merely marked for deletion). Must not throw. */
  afterDelete?(obj: StoredObject): Promise<void>;
}

export interface ResourceDef {
  /** "" for the core group. */
  group: string;
  kind: string;
  /** Plural lower-case name used in URLs, e.g. "deployments". */
  resource: string;
  singular: string;
  namespaced: boolean;
  /** The version objects are stored in. */
  storageVersion: string;
  /** Storage key prefix when it is not `resource` (or `group/resource`): two definitions serving the same stored
   *  objects share it. core/v1 events and events.k8s.io/v1 events both use "events" and store core/v1 Events. */
  storagePrefix?: string;
  /** Every version served (includes the storage version). */
  versions: ServedVersion[];
  shortNames?: string[];
  /** e.g. ["all"] so `kubectl get all` includes it. */
  categories?: string[];
  /** Verbs served on the main resource; default: all of create, delete, deletecollection, get, list, patch, update, watch. */
  verbs?: string[];
  strategy: Strategy;
  /** Has a status subresource (spec and status updated separately). */
  status?: boolean;
  scale?: ScaleDef;
  table?: TableDef;
  /** The propagation policy of a deletion that names none (Kubernetes: "Orphan" for core/v1 ReplicationControllers,
   *  kept for backward compatibility). Absent: Background (no finalizer is added). */
  defaultPropagationPolicy?: "Orphan" | "Background" | "Foreground";
  /** Defaults for deletion: pods default to a graceful deletion of their terminationGracePeriodSeconds.
   *  Only resources with this hook are deleted gracefully. */
  defaultGracePeriodSeconds?(obj: StoredObject): number;
  /** The grace period a deletion gets, given the one requested (0: delete at once), as Kubernetes'
   *  CheckGracefulDelete. Absent: requested ?? defaultGracePeriodSeconds(obj), and 0 for an object that is not
   *  bound to a node (no spec.nodeName) or whose status.phase is Succeeded/Failed (pod semantics). */
  checkGracefulDelete?(obj: StoredObject, requested: number | undefined): number;
  /** Write hooks of this resource, made once per registry (so they may keep state, such as allocation hints). */
  writeHooks?(deps: WriteHookDeps): WriteHooks;
  /** Group/version/kinds of the objects whose deletion cascades to this one are not declared: cascading follows
   *  metadata.ownerReferences generically. */
}

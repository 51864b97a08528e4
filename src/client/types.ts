// Types shared by the REST client, informers and controllers.
import type { KubeList, KubeObject } from "../api/object.js";
import type { Status } from "../machinery/errors.js";

/** One API resource as a REST path names it. kind is needed by components that map ownerReferences to resources. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  kind?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  timeoutSeconds?: number;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  force?: boolean;
}

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** The object; for ERROR events a Status. */
  object: T | Status;
}

export interface WatchHandlers<T extends KubeObject = KubeObject> {
  onEvent(ev: WatchEvent<T>): void;
  /** The stream failed (network error or a non-2xx answer, as a StatusError). onClose follows. */
  onError?(err: Error): void;
  /** The stream ended, normally or not. Called exactly once. */
  onClose?(): void;
}

export interface WatchHandle {
  stop(): void;
  /** Resolves when the stream has ended (after onClose). */
  readonly done: Promise<void>;
}

/** The verbs of one resource. ns is ignored for cluster-scoped resources; "" or undefined lists all namespaces. */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly ref: ResourceRef;
  get(ns: string | undefined, name: string): Promise<T>;
  list(ns: string | undefined, opts?: ListOptions): Promise<KubeList<T>>;
  create(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  update(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT to any subresource (e.g. "finalize" of namespaces). */
  updateSubresource(ns: string | undefined, obj: T, opts: WriteOptions & { subresource: string }): Promise<T>;
  patch(ns: string | undefined, name: string, type: PatchType, body: unknown, opts?: PatchOptions): Promise<T>;
  /** Answers the object (still present with a deletionTimestamp, or its last state) or a Status. */
  delete(ns: string | undefined, name: string, opts?: DeleteOptions): Promise<T | Status>;
  deleteCollection(ns: string | undefined, opts?: ListOptions & DeleteOptions): Promise<KubeList<T> | Status>;
  watch(ns: string | undefined, opts: WatchOptions, handlers: WatchHandlers<T>): WatchHandle;
}

// The Storage contract every backend (SQLite, etcd) implements and the conformance suite checks.
//
// Revisions: one counter per store, bumped by every successful write (create, update, delete). A key's
// modRevision is the revision of the write that last changed it; createRevision that of the write that
// created it. A list is read at one revision and reports it. Revisions are positive safe integers.
//
// Keys: "/"-separated paths starting with "/" (e.g. /registry/pods/default/web-0); see keys.ts.
// Values: strings (JSON of the stored object), at most MAX_VALUE_BYTES UTF-8 bytes.

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export type WatchEventType = "create" | "update" | "delete";

export interface WatchEvent {
  type: WatchEventType;
  /** For create/update: the new state. For delete: the last state before deletion, with modRevision = the
   *  revision of the delete itself. */
  kv: KeyValue;
  /** The state before this event, for update and delete (absent for create). */
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** At most this many items (0 or absent: no limit). */
  limit?: number;
  /** Token from a previous page: continues that list at the revision it was read at. */
  continue?: string;
  /** Read at this older revision instead of the current one (0 or absent: current). Fails with Expired when
   *  the revision has been compacted, and with FutureRevision when it is ahead of the store. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** Present when more items remain: pass it back as ListOptions.continue. */
  continue?: string;
  /** How many items remain after this page, when known. */
  remaining?: number;
}

export interface UpdateOptions {
  /** Compare-and-swap: the update happens only if the key's modRevision equals this. */
  expectedRevision: number;
}

export interface DeleteOptions {
  /** Delete only if the key's modRevision equals this. */
  expectedRevision?: number;
}

export interface WatchOptions {
  /** Deliver every event with revision > sinceRevision, in revision order, each exactly once. When
   *  sinceRevision is older than the compacted revision, onError receives an Expired error and the watch ends. */
  sinceRevision: number;
  /** Called with one or more events in order. Must not throw. */
  onEvents: (events: WatchEvent[]) => void;
  /** Called at most once; after it no more events arrive. */
  onError: (err: Error) => void;
}

export interface Watch {
  /** Stops delivery; idempotent. No event is delivered after stop() returns. */
  stop(): void;
}

export interface Storage {
  /** The current value of a key, or null when absent. */
  get(key: string): Promise<KeyValue | null>;
  /** Keys with the prefix, in key order, all read at one revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Creates a key; fails with KeyExists when it is present. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Replaces a key's value if its modRevision is expectedRevision; fails with KeyNotFound or Conflict (the error
   *  carries the current KeyValue). */
  update(key: string, value: string, opts: UpdateOptions): Promise<KeyValue>;
  /** Deletes a key and returns its last state (modRevision = the delete's revision); fails with KeyNotFound, or
   *  Conflict when expectedRevision is given and differs. */
  delete(key: string, opts?: DeleteOptions): Promise<KeyValue>;
  /** Watches every key with the prefix. */
  watch(prefix: string, opts: WatchOptions): Watch;
  /** The store's current revision. */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable (history before it is compacted away). */
  compactedRevision(): Promise<number>;
  /** Drops history older than revision: reads and watches from before it then fail with Expired. */
  compact(revision: number): Promise<void>;
  /** Releases connections, timers and files. Pending watches end without error. */
  close(): Promise<void>;
}

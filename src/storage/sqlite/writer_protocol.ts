// Messages between the store (main thread) and its SQLite writer thread (writer_thread.ts).

export type WriteOp =
  | { kind: "create"; key: string; value: string }
  | { kind: "update"; key: string; value: string; expectedRevision: number }
  | { kind: "delete"; key: string; expectedRevision?: number };

/** A key's state as the writer read it (the key itself is known to the main thread). */
export interface WireKv {
  value: string;
  createRevision: number;
  modRevision: number;
}

/** What became of one write: the row written, or why it was refused. */
export type WireOutcome =
  | {
      id: number;
      created: number;
      deleted: number;
      createRevision: number;
      /** Only for a delete (the last value, repeated); creates and updates wrote the value they were given. */
      value?: string;
      /** The key's previous live state, for prevKv. */
      prev?: WireKv;
    }
  | { error: "KeyExists" | "KeyNotFound" }
  | { error: "Conflict"; expected: number; current: WireKv }
  | { error: "Concurrent"; message: string };

export type BatchReply = { seq: number; outcomes: WireOutcome[] } | { seq: number; failed: string };

// Group commit: writes arriving in the same event-loop turn are applied in one SQLite transaction, so one fsync
// acknowledges many writes. Each write still gets its own revision and its own compare-and-swap check, and its
// promise resolves only after the transaction is durable.
import { StorageError, storageErrors } from "../errors.js";
import type { KeyValue, WatchEvent } from "../types.js";
import type { Logger } from "../../util/log.js";
import { rowToEvent, rowToKv } from "./rows.js";
import type { Db, Row } from "./schema.js";

export type WriteOp =
  | { kind: "create"; key: string; value: string }
  | { kind: "update"; key: string; value: string; expectedRevision: number }
  | { kind: "delete"; key: string; expectedRevision?: number };

interface Pending {
  op: WriteOp;
  resolve: (kv: KeyValue) => void;
  reject: (err: Error) => void;
}

/** Revision state shared by the store's parts; only GroupCommit advances `revision`. */
export interface RevisionState {
  revision: number;
}

export interface GroupCommitOptions {
  db: Db;
  state: RevisionState;
  logger: Logger;
  /** Called right after each commit with its events in revision order (before any write promise resolves). */
  onCommit: (events: WatchEvent[]) => void;
}

/** A write that passed its checks (with the key's previous live state, for prevKv), or why it did not. */
type Outcome = { row: Row; prev: KeyValue | undefined } | StorageError;

/** SQLite's extended code for a UNIQUE constraint violation. */
const UNIQUE_VIOLATION = "SQLITE_CONSTRAINT_UNIQUE";

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly latest;
  private readonly insert;
  private readonly runBatch;

  constructor(private readonly opts: GroupCommitOptions) {
    const { db } = opts;
    this.latest = db.prepare<[string], Row>("SELECT * FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1");
    this.insert = db.prepare<[Row]>(
      "INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value) VALUES (@id, @key, @created, @deleted, @create_revision, @prev_revision, @value)",
    );
    this.runBatch = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      let rev = opts.state.revision;
      for (const p of batch) {
        const out = this.apply(p.op, rev + 1);
        if (!(out instanceof StorageError)) rev = out.row.id;
        outcomes.push(out);
      }
    });
  }

  /** Queues a write; it commits with the other writes of this event-loop turn. */
  submit(op: WriteOp): Promise<KeyValue> {
    return new Promise<KeyValue>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now (used by close so accepted writes are not lost). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.runBatch.immediate(batch, outcomes);
    } catch (err) {
      this.opts.logger.error("sqlite write transaction failed", { writes: batch.length, err });
      const failure = new StorageError("Internal", `sqlite write of ${batch.length} changes failed: ${String(err)}`, { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    const events: WatchEvent[] = [];
    const results: (KeyValue | StorageError)[] = [];
    for (const out of outcomes) {
      if (out instanceof StorageError) {
        results.push(out);
        continue;
      }
      results.push(rowToKv(out.row));
      events.push(rowToEvent(out.row, out.prev));
      this.opts.state.revision = out.row.id;
    }
    try {
      this.opts.onCommit(events);
    } catch (err) {
      this.opts.logger.error("watch fan-out failed", { err });
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r instanceof StorageError) p.reject(r);
      else p.resolve(r);
    });
  }

  private apply(op: WriteOp, id: number): Outcome {
    const cur = this.latest.get(op.key);
    const live = cur && !cur.deleted ? cur : undefined;
    let row: Row;
    if (op.kind === "create") {
      if (live) return storageErrors.keyExists(op.key);
      row = { id, key: op.key, created: 1, deleted: 0, create_revision: id, prev_revision: cur?.id ?? 0, value: op.value };
    } else {
      if (!live) return storageErrors.keyNotFound(op.key);
      if (op.expectedRevision !== undefined && op.expectedRevision !== live.id) {
        return storageErrors.conflict(op.key, op.expectedRevision, rowToKv(live));
      }
      const deleting = op.kind === "delete";
      row = {
        id,
        key: op.key,
        created: 0,
        deleted: deleting ? 1 : 0,
        create_revision: live.create_revision,
        prev_revision: live.id,
        value: deleting ? live.value : op.value,
      };
    }
    try {
      this.insert.run(row);
    } catch (err) {
      // Only another process writing the same file could get here: report the write as lost, not the batch.
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) {
        return new StorageError("Conflict", `key ${op.key} was changed concurrently`, { key: op.key, cause: err });
      }
      throw err;
    }
    return { row, prev: live && rowToKv(live) };
  }
}

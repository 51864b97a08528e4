// The embedded SQLite backend of the Storage contract (types.ts). One process owns the database file: it is the
// only writer, which is what lets revisions, compare-and-swap checks and watch fan-out live in memory.
import { storageErrors } from "../errors.js";
import { validateKey, validatePrefix, validateValue } from "../keys.js";
import type { DeleteOptions, KeyValue, ListOptions, ListResult, Storage, UpdateOptions, Watch, WatchOptions } from "../types.js";
import { log, type Logger } from "../../util/log.js";
import { Compactor } from "./compactor.js";
import { decodeContinue, encodeContinue } from "./continue_token.js";
import { GroupCommit, type WriteOp } from "./group_commit.js";
import { prefixEnd, rowToKv } from "./rows.js";
import { openDatabase, readCompactRevision, readCurrentRevision, type Db, type Row } from "./schema.js";
import { WatchHub } from "./watch_hub.js";

export interface SqliteStorageOptions {
  /** Database file; parent directories are created. */
  path: string;
  /** Background compaction period (default 60 s); 0 turns it off. */
  compactIntervalMs?: number;
  /** Revisions of history background compaction keeps (default 1000, like kine). */
  retainRevisions?: number;
  logger?: Logger;
}

const DEFAULT_COMPACT_INTERVAL_MS = 60_000;
const DEFAULT_RETAIN_REVISIONS = 1000;

export async function openSqliteStorage(opts: SqliteStorageOptions): Promise<Storage> {
  const logger = (opts.logger ?? log()).with({ component: "sqlite-storage" });
  const db = openDatabase(opts.path);
  const store = new SqliteStorage(db, { ...opts, logger });
  try {
    await store.writerStarted();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new Error(`sqlite storage ${opts.path}: the writer thread did not start: ${(err as Error).message}`, { cause: err });
  }
  logger.info("sqlite storage opened", { path: opts.path, revision: store.revisionNow(), compactRevision: store.compactRevisionNow() });
  return store;
}

class SqliteStorage implements Storage {
  private readonly state: { revision: number; compactRevision: number };
  private readonly writes: GroupCommit;
  private readonly hub: WatchHub;
  private readonly compactor: Compactor;
  private closed = false;
  private readonly stmts;

  constructor(
    private readonly db: Db,
    opts: SqliteStorageOptions & { logger: Logger },
  ) {
    this.state = { revision: readCurrentRevision(db), compactRevision: readCompactRevision(db) };
    this.hub = new WatchHub({ db, state: this.state, logger: opts.logger });
    this.writes = new GroupCommit({ path: opts.path, state: this.state, logger: opts.logger, onCommit: (events) => this.hub.publish(events) });
    this.compactor = new Compactor({
      db,
      state: this.state,
      logger: opts.logger,
      intervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
      retainRevisions: opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS,
      lowestNeeded: () => this.hub.lowestReplayPosition(),
    });
    this.stmts = {
      latest: db.prepare<[string], Row>("SELECT * FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1"),
      // A page: the latest row of each key in [from, end) at revision `rev`, skipping keys deleted by then. The
      // correlated MAX walks the (key, id) index in key order, so it stops after `limit` keys.
      page: db.prepare<{ from: string; end: string; rev: number; limit: number }, Row>(
        `SELECT * FROM kv k WHERE k.key >= @from AND k.key < @end AND k.id <= @rev AND k.deleted = 0
           AND k.id = (SELECT MAX(id) FROM kv WHERE key = k.key AND id <= @rev)
         ORDER BY k.key LIMIT @limit`,
      ),
      // Everything in range: grouping over the covering index first is several times faster than the
      // correlated form when every key is read anyway.
      all: db.prepare<{ from: string; end: string; rev: number }, Row>(
        `SELECT k.* FROM (SELECT key AS gk, MAX(id) AS m FROM kv WHERE key >= @from AND key < @end AND id <= @rev GROUP BY key) g
           JOIN kv k ON k.id = g.m WHERE k.deleted = 0 ORDER BY g.gk`,
      ),
      count: db
        .prepare<{ from: string; end: string; rev: number }, number>(
          `SELECT COUNT(*) FROM (SELECT MAX(id) AS m FROM kv WHERE key >= @from AND key < @end AND id <= @rev GROUP BY key) g
             JOIN kv k ON k.id = g.m WHERE k.deleted = 0`,
        )
        .pluck(),
    };
    this.compactor.start();
  }

  writerStarted(): Promise<void> {
    return this.writes.started();
  }

  revisionNow(): number {
    return this.state.revision;
  }

  compactRevisionNow(): number {
    return this.state.compactRevision;
  }

  async get(key: string): Promise<KeyValue | null> {
    this.checkOpen();
    validateKey(key);
    const row = this.stmts.latest.get(key);
    return row && !row.deleted ? rowToKv(row) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    validatePrefix(prefix);
    const point = opts.continue ? decodeContinue(opts.continue, prefix) : undefined;
    const rev = point?.revision ?? (opts.revision || this.state.revision);
    if (rev < this.state.compactRevision) throw storageErrors.expired(rev, this.state.compactRevision);
    if (rev > this.state.revision) throw storageErrors.futureRevision(rev, this.state.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    // The smallest key after `after` is after + "\0"; keys never contain NUL (keys.ts rejects control characters).
    const from = point ? point.after + "\u0000" : prefix;
    const end = prefixEnd(prefix);
    // One more than asked tells whether another page exists.
    const rows = limit === undefined ? this.stmts.all.all({ from, end, rev }) : this.stmts.page.all({ from, end, rev, limit: limit + 1 });
    const items = rows.slice(0, limit).map(rowToKv);
    const result: ListResult = { items, revision: rev };
    if (limit !== undefined && rows.length > limit) {
      const after = items[items.length - 1]!.key;
      result.continue = encodeContinue({ revision: rev, after });
      result.remaining = this.stmts.count.get({ from: after + "\u0000", end, rev })!;
    }
    return result;
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.write(() => {
      validateKey(key);
      validateValue(key, value);
      return { kind: "create", key, value };
    });
  }

  update(key: string, value: string, opts: UpdateOptions): Promise<KeyValue> {
    return this.write(() => {
      validateKey(key);
      validateValue(key, value);
      return { kind: "update", key, value, expectedRevision: opts.expectedRevision };
    });
  }

  delete(key: string, opts: DeleteOptions = {}): Promise<KeyValue> {
    return this.write(() => {
      validateKey(key);
      return { kind: "delete", key, expectedRevision: opts.expectedRevision };
    });
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    this.checkOpen();
    validatePrefix(prefix);
    return this.hub.add(prefix, opts);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.state.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.state.compactRevision;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    await this.compactor.compact(revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already accepted are committed, not dropped.
    await this.writes.close();
    this.hub.closeAll();
    await this.compactor.stop();
    this.db.close();
  }

  private async write(build: () => WriteOp): Promise<KeyValue> {
    this.checkOpen();
    return this.writes.submit(build());
  }

  private checkOpen(): void {
    if (this.closed) throw storageErrors.closed();
  }
}

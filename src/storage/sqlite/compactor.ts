// Compaction: drops history the store no longer has to serve, so the file stays bounded under endless churn.
// Compacting at revision R removes every row superseded by a later row at or before R, and every delete row at or
// before R; the state at R and everything after it stay readable. Work is incremental: each row written in
// (previous compact revision, R] supersedes exactly its prev_revision row, so only that range is read.
import { storageErrors } from "../errors.js";
import type { Logger } from "../../util/log.js";
import type { Db } from "./schema.js";

export interface CompactorState {
  revision: number;
  compactRevision: number;
}

export interface CompactorOptions {
  db: Db;
  state: CompactorState;
  logger: Logger;
  /** Background compaction period; 0 turns it off (compact() still works). */
  intervalMs: number;
  /** Background compaction keeps at least this many latest revisions of history. */
  retainRevisions: number;
  /** Background compaction never passes this revision (a watcher still replaying from it). */
  lowestNeeded: () => number | undefined;
  /** Revisions per transaction; writers run between chunks. */
  chunkRevisions?: number;
}

const DEFAULT_CHUNK = 5000;
/** Free pages kept for reuse by later inserts; beyond this, pages go back to the file system. */
const KEEP_FREE_PAGES = 1024;

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  /** Serializes compactions; each link never rejects. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly deleteSuperseded;
  private readonly deleteTombstones;
  private readonly saveRevision;
  private readonly runChunk;

  constructor(private readonly o: CompactorOptions) {
    const { db } = o;
    this.deleteSuperseded = db.prepare<[number, number]>(
      "DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)",
    );
    this.deleteTombstones = db.prepare<[number, number]>("DELETE FROM kv WHERE id > ? AND id <= ? AND deleted = 1");
    this.saveRevision = db.prepare<[number]>("UPDATE meta SET value = ? WHERE name = 'compact_revision'");
    this.runChunk = db.transaction((from: number, to: number) => {
      const a = this.deleteSuperseded.run(from, to).changes;
      const b = this.deleteTombstones.run(from, to).changes;
      this.saveRevision.run(to);
      return a + b;
    });
  }

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.background(), this.o.intervalMs);
    // Compaction alone must not keep a process alive.
    this.timer.unref();
  }

  /** Stops the timer and waits for a running compaction to finish its chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  /** Compacts up to `revision`; FutureRevision when it is ahead of the store, a no-op when already compacted. */
  compact(revision: number): Promise<void> {
    if (revision > this.o.state.revision) return Promise.reject(storageErrors.futureRevision(revision, this.o.state.revision));
    let failure: unknown;
    const run = this.chain.then(() => this.run(revision)).catch((err: unknown) => {
      failure = err;
    });
    this.chain = run;
    return run.then(() => {
      if (failure !== undefined) throw failure;
    });
  }

  private async background(): Promise<void> {
    const { state } = this.o;
    let target = state.revision - this.o.retainRevisions;
    const low = this.o.lowestNeeded();
    if (low !== undefined) target = Math.min(target, low);
    if (target <= state.compactRevision) return;
    try {
      await this.compact(target);
    } catch (err) {
      this.o.logger.warn("background compaction failed", { target, err });
    }
  }

  private async run(target: number): Promise<void> {
    const { state, logger } = this.o;
    const chunk = this.o.chunkRevisions ?? DEFAULT_CHUNK;
    const started = Date.now();
    const from0 = state.compactRevision;
    let removed = 0;
    while (state.compactRevision < target && !this.stopped) {
      const from = state.compactRevision;
      const to = Math.min(target, from + chunk);
      removed += this.runChunk(from, to);
      state.compactRevision = to;
      if (to < target) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (removed > 0 && !this.stopped) this.returnFreePages();
    if (state.compactRevision > from0) logger.debug("compacted", { from: from0, to: state.compactRevision, removed, ms: Date.now() - started });
  }

  private returnFreePages(): void {
    const free = this.o.db.pragma("freelist_count", { simple: true }) as number;
    if (free > 2 * KEEP_FREE_PAGES) this.o.db.pragma(`incremental_vacuum(${free - KEEP_FREE_PAGES})`);
  }
}

// In-process watch fan-out. A watcher from an old revision first replays the log table in pages, then turns live
// and receives each commit's events straight from the writer, with no polling. Both steps run on the one JS
// thread and the replay reads up to the last committed revision, so the switch has no gap and no duplicate.
import { StorageError, storageErrors } from "../errors.js";
import type { Watch, WatchEvent, WatchOptions } from "../types.js";
import type { Logger } from "../../util/log.js";
import { joinedRowToEvent, prefixEnd } from "./rows.js";
import type { Db, RowWithPrev } from "./schema.js";

/** Revision state the hub reads: what is committed, and what has been compacted away. */
export interface HubState {
  revision: number;
  compactRevision: number;
}

export interface WatchHubOptions {
  db: Db;
  state: HubState;
  logger: Logger;
  /** Rows read per replay step; between steps the event loop runs, so a long replay never blocks writers. */
  replayBatch?: number;
}

interface Watcher {
  prefix: string;
  end: string;
  /** Every event up to this revision has been delivered (or did not match). */
  pos: number;
  live: boolean;
  stopped: boolean;
  timer: NodeJS.Immediate | undefined;
  opts: WatchOptions;
}

const DEFAULT_REPLAY_BATCH = 1000;
const REPLAY_STEP_BYTES = 16 * 1024 * 1024;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly replay;
  private readonly batch: number;

  constructor(private readonly o: WatchHubOptions) {
    this.batch = o.replayBatch ?? DEFAULT_REPLAY_BATCH;
    this.replay = o.db.prepare<[number, number, string, string, number], RowWithPrev>(
      `SELECT k.*, p.value AS p_value, p.create_revision AS p_create_revision
       FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision
       WHERE k.id > ? AND k.id <= ? AND k.key >= ? AND k.key < ?
       ORDER BY k.id LIMIT ?`,
    );
  }

  /** Registers a watcher; the caller has validated the prefix and checked the store is open. */
  add(prefix: string, opts: WatchOptions): Watch {
    const w: Watcher = { prefix, end: prefixEnd(prefix), pos: opts.sinceRevision, live: false, stopped: false, timer: undefined, opts };
    this.watchers.add(w);
    if (w.pos < this.o.state.compactRevision) {
      const err = storageErrors.expired(w.pos, this.o.state.compactRevision);
      w.timer = setImmediate(() => this.fail(w, err));
    } else if (w.pos >= this.o.state.revision) {
      w.live = true;
    } else {
      w.timer = setImmediate(() => this.step(w));
    }
    return { stop: () => this.remove(w) };
  }

  /** Delivers one commit's events (in revision order) to every live watcher whose prefix matches. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers) {
      if (!w.live) continue;
      const mine = events.filter((e) => e.kv.modRevision > w.pos && e.kv.key >= w.prefix && e.kv.key < w.end);
      w.pos = Math.max(w.pos, events[events.length - 1]!.kv.modRevision);
      if (mine.length > 0) this.deliver(w, mine);
    }
  }

  /** The lowest revision a replaying watcher still has to read; background compaction stays at or below it. */
  lowestReplayPosition(): number | undefined {
    let low: number | undefined;
    for (const w of this.watchers) if (!w.live && (low === undefined || w.pos < low)) low = w.pos;
    return low;
  }

  /** Ends every watch without an error (the store is closing). */
  closeAll(): void {
    for (const w of [...this.watchers]) this.remove(w);
  }

  get size(): number {
    return this.watchers.size;
  }

  private step(w: Watcher): void {
    w.timer = undefined;
    if (w.stopped) return;
    const { state } = this.o;
    if (w.pos < state.compactRevision) {
      // An explicit compact() overtook this replay: rows it still needed may be gone.
      this.fail(w, storageErrors.expired(w.pos, state.compactRevision));
      return;
    }
    const rows: RowWithPrev[] = [];
    let full = false;
    try {
      let bytes = 0;
      for (const row of this.replay.iterate(w.pos, state.revision, w.prefix, w.end, this.batch)) {
        rows.push(row);
        bytes += row.value.length + (row.p_value?.length ?? 0);
        // Values can be 1.5 MiB each: bound what one step holds in memory, not only the row count.
        if (rows.length >= this.batch || bytes >= REPLAY_STEP_BYTES) {
          full = true;
          break;
        }
      }
    } catch (err) {
      this.o.logger.error("watch replay failed", { prefix: w.prefix, pos: w.pos, err });
      this.fail(w, new StorageError("Internal", `watch replay of ${w.prefix} failed: ${String(err)}`, { cause: err }));
      return;
    }
    if (rows.length > 0) {
      this.deliver(w, rows.map(joinedRowToEvent));
      w.pos = rows[rows.length - 1]!.id;
    }
    if (w.stopped) return;
    if (!full) {
      w.pos = Math.max(w.pos, state.revision);
      w.live = true;
    } else {
      w.timer = setImmediate(() => this.step(w));
    }
  }

  private deliver(w: Watcher, events: WatchEvent[]): void {
    if (w.stopped) return;
    try {
      w.opts.onEvents(events);
    } catch (err) {
      this.o.logger.error("watch onEvents threw; the contract says it must not", { prefix: w.prefix, err });
    }
  }

  private fail(w: Watcher, err: Error): void {
    if (w.stopped) return;
    this.remove(w);
    try {
      w.opts.onError(err);
    } catch (e) {
      this.o.logger.error("watch onError threw", { prefix: w.prefix, err: e });
    }
  }

  private remove(w: Watcher): void {
    w.stopped = true;
    if (w.timer) clearImmediate(w.timer);
    w.timer = undefined;
    this.watchers.delete(w);
  }
}

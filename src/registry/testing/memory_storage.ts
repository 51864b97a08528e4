// An in-memory Storage for registry tests. It implements the contract of src/storage/types.ts faithfully (one
// revision counter, compare-and-swap, lists at older revisions, paging, ordered watches from a revision,
// compaction), so the registry can be tested without a real backend; the storage conformance suite runs against it.
import { storageErrors } from "../../storage/errors.js";
import { validateKey, validatePrefix, validateValue } from "../../storage/keys.js";
import type { KeyValue, ListOptions, ListResult, Storage, Watch, WatchEvent, WatchOptions } from "../../storage/types.js";

interface LoggedEvent extends WatchEvent {
  revision: number;
}

interface Watcher {
  prefix: string;
  opts: WatchOptions;
  queue: WatchEvent[];
  stopped: boolean;
  scheduled: boolean;
}

interface ContinueToken {
  rev: number;
  after: string;
  prefix: string;
}

export interface MemoryStorage extends Storage {
  /** Test hook: how many watches are open (the registry must hold exactly one). */
  openWatches(): number;
}

export interface MemoryStorageOptions {
  /** Writes yield to the event loop first, as I/O-bound backends do, so concurrent writers interleave:
   *  "immediate" (default) yields one turn, "timer" a timer tick (about 1 ms) to imitate real write latency. */
  writeLatency?: "immediate" | "timer";
}

const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function createMemoryStorage(opts: MemoryStorageOptions = {}): MemoryStorage {
  const tick = (): Promise<void> =>
    new Promise((resolve) => (opts.writeLatency === "timer" ? setTimeout(resolve, 0) : setImmediate(resolve)));
  const live = new Map<string, KeyValue>();
  /** Every write after the compacted revision, in order: lists at older revisions undo them. */
  let log: LoggedEvent[] = [];
  // Like etcd, an empty store is at revision 1, so the first write is revision 2.
  let revision = 1;
  let compacted = 0;
  let closed = false;
  const watchers = new Set<Watcher>();

  const check = (): void => {
    if (closed) throw storageErrors.closed();
  };

  function schedule(w: Watcher): void {
    if (w.scheduled || w.stopped) return;
    w.scheduled = true;
    // Deliver asynchronously, as real backends do: a write never runs watcher code on its own stack.
    setImmediate(() => {
      w.scheduled = false;
      if (w.stopped || w.queue.length === 0) return;
      const batch = w.queue;
      w.queue = [];
      w.opts.onEvents(batch);
    });
  }

  function record(ev: LoggedEvent): void {
    log.push(ev);
    for (const w of watchers) {
      if (!w.stopped && ev.kv.key.startsWith(w.prefix)) {
        w.queue.push(ev);
        schedule(w);
      }
    }
  }

  /** The state of every key with the prefix at rev (rev >= compacted), sorted by key. */
  function stateAt(prefix: string, rev: number): KeyValue[] {
    const state = new Map<string, KeyValue>();
    for (const [k, kv] of live) if (k.startsWith(prefix)) state.set(k, kv);
    for (let i = log.length - 1; i >= 0 && log[i]!.revision > rev; i--) {
      const ev = log[i]!;
      if (!ev.kv.key.startsWith(prefix)) continue;
      if (ev.prevKv) state.set(ev.kv.key, ev.prevKv);
      else state.delete(ev.kv.key);
    }
    return [...state.values()].sort((a, b) => byteCompare(a.key, b.key));
  }

  function decodeToken(s: string, prefix: string): ContinueToken {
    let tok: ContinueToken;
    try {
      tok = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as ContinueToken;
    } catch {
      throw storageErrors.invalidContinue("not a token of this store");
    }
    if (typeof tok?.rev !== "number" || typeof tok.after !== "string" || tok.prefix !== prefix) {
      throw storageErrors.invalidContinue("not a token of this store or prefix");
    }
    return tok;
  }

  const store: MemoryStorage = {
    async get(key) {
      check();
      validateKey(key);
      return live.get(key) ?? null;
    },

    async list(prefix, opts: ListOptions = {}): Promise<ListResult> {
      check();
      validatePrefix(prefix);
      let rev = opts.revision && opts.revision > 0 ? opts.revision : revision;
      let after: string | undefined;
      if (opts.continue) {
        const tok = decodeToken(opts.continue, prefix);
        rev = tok.rev;
        after = tok.after;
      }
      if (rev > revision) throw storageErrors.futureRevision(rev, revision);
      if (rev < compacted) throw storageErrors.expired(rev, compacted);
      let items = stateAt(prefix, rev);
      if (after !== undefined) items = items.filter((kv) => byteCompare(kv.key, after!) > 0);
      const limit = opts.limit ?? 0;
      if (limit > 0 && items.length > limit) {
        const page = items.slice(0, limit);
        const token: ContinueToken = { rev, after: page.at(-1)!.key, prefix };
        return {
          items: page,
          revision: rev,
          continue: Buffer.from(JSON.stringify(token)).toString("base64url"),
          remaining: items.length - limit,
        };
      }
      return { items, revision: rev };
    },

    async create(key, value) {
      await tick();
      check();
      validateKey(key);
      validateValue(key, value);
      if (live.has(key)) throw storageErrors.keyExists(key);
      revision++;
      const kv: KeyValue = { key, value, createRevision: revision, modRevision: revision };
      live.set(key, kv);
      record({ type: "create", kv, revision });
      return kv;
    },

    async update(key, value, opts) {
      await tick();
      check();
      validateKey(key);
      validateValue(key, value);
      const cur = live.get(key);
      if (!cur) throw storageErrors.keyNotFound(key);
      if (cur.modRevision !== opts.expectedRevision) throw storageErrors.conflict(key, opts.expectedRevision, cur);
      revision++;
      const kv: KeyValue = { key, value, createRevision: cur.createRevision, modRevision: revision };
      live.set(key, kv);
      record({ type: "update", kv, prevKv: cur, revision });
      return kv;
    },

    async delete(key, opts = {}) {
      await tick();
      check();
      validateKey(key);
      const cur = live.get(key);
      if (!cur) throw storageErrors.keyNotFound(key);
      if (opts.expectedRevision !== undefined && cur.modRevision !== opts.expectedRevision) {
        throw storageErrors.conflict(key, opts.expectedRevision, cur);
      }
      revision++;
      live.delete(key);
      const kv: KeyValue = { ...cur, modRevision: revision };
      record({ type: "delete", kv, prevKv: cur, revision });
      return kv;
    },

    watch(prefix, opts): Watch {
      check();
      validatePrefix(prefix);
      const w: Watcher = { prefix, opts, queue: [], stopped: false, scheduled: false };
      if (opts.sinceRevision < compacted) {
        const err = storageErrors.expired(opts.sinceRevision, compacted);
        setImmediate(() => {
          if (!w.stopped) opts.onError(err);
        });
        return { stop: () => void (w.stopped = true) };
      }
      w.queue = log.filter((ev) => ev.revision > opts.sinceRevision && ev.kv.key.startsWith(prefix));
      watchers.add(w);
      schedule(w);
      return {
        stop() {
          w.stopped = true;
          watchers.delete(w);
        },
      };
    },

    async currentRevision() {
      check();
      return revision;
    },

    async compactedRevision() {
      check();
      return compacted;
    },

    async compact(rev) {
      check();
      if (rev > revision) throw storageErrors.futureRevision(rev, revision);
      if (rev <= compacted) return;
      compacted = rev;
      log = log.filter((ev) => ev.revision > rev);
    },

    async close() {
      closed = true;
      for (const w of watchers) w.stopped = true;
      watchers.clear();
    },

    openWatches: () => watchers.size,
  };
  return store;
}



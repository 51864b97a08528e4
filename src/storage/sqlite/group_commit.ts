// Group commit: writes that arrive while a batch is being made durable wait together and go to the writer thread
// as the next batch, in one SQLite transaction, so one fsync acknowledges many writes. Each write still gets its own
// revision and its own compare-and-swap check, and its promise resolves only after the transaction is durable. The
// transaction runs on the writer thread (writer_thread.ts): the main thread is never blocked by the fsync.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { StorageError, storageErrors } from "../errors.js";
import type { KeyValue, WatchEvent } from "../types.js";
import type { Logger } from "../../util/log.js";
import type { BatchReply, WireKv, WireOutcome, WriteOp } from "./writer_protocol.js";
import { writerThreadMain } from "./writer_thread.js";

export type { WriteOp } from "./writer_protocol.js";

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
  /** The database file the writer thread opens. */
  path: string;
  state: RevisionState;
  logger: Logger;
  /** Called right after each commit with its events in revision order (before any write promise resolves). */
  onCommit: (events: WatchEvent[]) => void;
}

/**
 * Starts the writer thread from writerThreadMain's source text (self-contained by design). `__name` is the helper a
 * TypeScript loader may insert to keep function names when k8ts runs from source.
 */
function startWriter(path: string): Worker {
  const code = `"use strict"; var __name = (f) => f; (${writerThreadMain.toString()})();`;
  // execArgv: [] so a parent started as `node --input-type=module -e ...` (how `k8ts cluster up` launches servers)
  // does not make this CommonJS code an ES module ("require is not defined").
  return new Worker(code, { eval: true, execArgv: [], workerData: { path, sqliteModule: createRequire(import.meta.url).resolve("better-sqlite3") } });
}

function kvOf(key: string, w: WireKv): KeyValue {
  return { key, value: w.value, createRevision: w.createRevision, modRevision: w.modRevision };
}

export class GroupCommit {
  private pending: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private seq = 0;
  private readonly worker: Worker;
  private broken: Error | undefined;
  private idle: (() => void)[] = [];
  private readonly ready: Promise<void>;

  constructor(private readonly opts: GroupCommitOptions) {
    this.worker = startWriter(opts.path);
    this.ready = new Promise((resolve, reject) => {
      // The thread's first message says it opened the database; every later one answers a batch.
      this.worker.on("message", (msg: BatchReply | { ready: true }) => ("ready" in msg ? resolve() : this.committed(msg)));
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`sqlite writer thread exited with code ${code} before opening the database`)));
    });
    // Nobody may be waiting on ready (drain catches it): an unhandled rejection must not end the process.
    this.ready.catch(() => undefined);
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", (code) => this.fail(new Error(`sqlite writer thread exited with code ${code}`)));
    // The thread keeps the process alive only while it holds writes (a store nobody closed must not).
    this.worker.unref();
  }

  /** Queues a write; it commits with the other writes queued before the writer is free. */
  submit(op: WriteOp): Promise<KeyValue> {
    return new Promise<KeyValue>((resolve, reject) => {
      if (this.broken) return reject(new StorageError("Internal", `sqlite writer unavailable: ${this.broken.message}`));
      this.pending.push({ op, resolve, reject });
      // Writes of this event-loop turn go together; later ones wait for the batch in flight.
      if (!this.inFlight) this.scheduled ??= setImmediate(() => this.send());
    });
  }

  private send(): void {
    this.scheduled = undefined;
    if (this.inFlight || this.pending.length === 0 || this.broken) return;
    this.inFlight = this.pending;
    this.pending = [];
    this.worker.ref();
    this.worker.postMessage({ seq: ++this.seq, ops: this.inFlight.map((p) => p.op) });
  }

  private committed(reply: BatchReply): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    if ("failed" in reply) {
      this.opts.logger.error("sqlite write transaction failed", { writes: batch.length, err: reply.failed });
      const failure = new StorageError("Internal", `sqlite write of ${batch.length} changes failed: ${reply.failed}`);
      for (const p of batch) p.reject(failure);
    } else this.deliver(batch, reply.outcomes);
    if (this.pending.length) this.send();
    else {
      this.worker.unref();
      for (const done of this.idle.splice(0)) done();
    }
  }

  private deliver(batch: Pending[], outcomes: WireOutcome[]): void {
    const events: WatchEvent[] = [];
    const results: (KeyValue | StorageError)[] = [];
    batch.forEach((p, i) => {
      const out = outcomes[i]!;
      const key = p.op.key;
      if ("error" in out) {
        if (out.error === "KeyExists") results.push(storageErrors.keyExists(key));
        else if (out.error === "KeyNotFound") results.push(storageErrors.keyNotFound(key));
        else if (out.error === "Conflict") results.push(storageErrors.conflict(key, out.expected, kvOf(key, out.current)));
        else if (out.error === "Concurrent") results.push(new StorageError("Conflict", `key ${key} was changed concurrently`, { key, cause: out.message }));
        return;
      }
      const value = out.value ?? (p.op as { value: string }).value;
      const kv: KeyValue = { key, value, createRevision: out.createRevision, modRevision: out.id };
      results.push(kv);
      if (out.created) events.push({ type: "create", kv });
      else events.push({ type: out.deleted ? "delete" : "update", kv, prevKv: out.prev && kvOf(key, out.prev) });
      this.opts.state.revision = out.id;
    });
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

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = err;
    if (this.scheduled) clearImmediate(this.scheduled);
    const lost = [...(this.inFlight ?? []), ...this.pending];
    this.inFlight = undefined;
    this.pending = [];
    if (lost.length) this.opts.logger.error("sqlite writer thread stopped", { writes: lost.length, err });
    const failure = new StorageError("Internal", `sqlite writer unavailable: ${err.message}`, { cause: err });
    for (const p of lost) p.reject(failure);
    for (const done of this.idle.splice(0)) done();
  }

  /** Resolves when the writer thread has opened the database; rejects with why it could not. */
  async started(): Promise<void> {
    this.worker.ref();
    try {
      await this.ready;
    } finally {
      if (!this.inFlight) this.worker.unref();
    }
  }

  /** Resolves once every write accepted so far is committed (or failed). */
  async drain(): Promise<void> {
    this.worker.ref();
    await this.ready.catch(() => undefined);
    if (this.inFlight || this.pending.length > 0) {
      if (!this.inFlight) this.send();
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
    if (!this.inFlight) this.worker.unref();
  }

  /** Commits what was accepted, then stops the writer thread. */
  async close(): Promise<void> {
    await this.drain();
    if (this.broken) return;
    this.broken = storageErrors.closed();
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    this.worker.ref();
    this.worker.postMessage({ close: true });
    await exited;
  }
}

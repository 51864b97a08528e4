// The loop every controller runs over its work queue: take a key, sync it, forget its backoff on success,
// requeue it rate-limited on failure (up to maxRetries, then drop it and log: the next resync brings it back).
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import type { WorkQueue } from "./workqueue.js";

/** What sync() may ask of the loop besides success/failure. */
export interface SyncResult {
  /** Process the key again after this many milliseconds (a poll, not a failure: the backoff is reset). */
  requeueAfterMs?: number;
}

export interface RunWorkersOptions<T> {
  queue: WorkQueue<T>;
  sync: (key: T) => Promise<SyncResult | void>;
  workers?: number;
  /** Failures before a key is dropped; Infinity by default as most Kubernetes controllers do. */
  maxRetries?: number;
  log?: Logger;
  signal: AbortSignal;
}

/** Runs the workers until the signal aborts (which shuts the queue down) and every worker has finished. */
export async function runWorkers<T>(opts: RunWorkersOptions<T>): Promise<void> {
  const { queue, sync, signal } = opts;
  const log = opts.log ?? silentLogger;
  const maxRetries = opts.maxRetries ?? Infinity;
  const onAbort = (): void => queue.shutDown();
  if (signal.aborted) queue.shutDown();
  signal.addEventListener("abort", onAbort, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      // Stopped (say, leadership lost): leave queued work undone rather than write on a stale mandate.
      if (signal.aborted) {
        queue.done(key);
        return;
      }
      try {
        const res = await sync(key);
        queue.forget(key);
        if (res?.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
      } catch (err) {
        if (queue.numRequeues(key) < maxRetries) {
          log.warn("sync failed, will retry", { queue: queue.name, key: String(key), err });
          queue.addRateLimited(key);
        } else {
          log.error("sync failed, dropping key", { queue: queue.name, key: String(key), err });
          queue.forget(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.workers ?? 1 }, worker));
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

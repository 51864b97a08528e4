// A rate-limited work queue with the semantics controllers rely on (client-go util/workqueue behaviour):
// - an item queued several times before a worker picks it up is processed once (de-duplication);
// - an item is never processed by two workers at once: adding it while it is processing marks it dirty and it is
//   queued again when the worker calls done();
// - addAfter() delays an add; addRateLimited() delays it by the rate limiter's backoff; forget() resets that backoff;
// - after shutDown() no new adds are accepted and get() resolves undefined once the queue has drained.
import type { Clock, TimerHandle } from "./clock.js";
import { realClock } from "./clock.js";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiter.js";
import { currentWorkQueueMetrics, type QueueMetricsHooks, type WorkQueueMetrics } from "./workqueue_metrics.js";

/** The queue's own counters (tests, idleness checks); Prometheus export goes through WorkQueueMetrics. */
export interface QueueMetrics {
  adds: number;
  retries: number;
  depth: number;
  /** Items currently held by workers. */
  processing: number;
}

export interface WorkQueueOptions<T> {
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<T>;
  /** Where Prometheus metrics go (named queues only); default the provider of the async context, if any. */
  metrics?: WorkQueueMetrics;
}

export class WorkQueue<T = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<T>;
  private readonly order: T[] = [];
  private readonly dirty = new Set<T>();
  private readonly processingSet = new Set<T>();
  private readonly waiters: Array<(item: T | undefined) => void> = [];
  /** Delayed adds keyed by item: only the earliest pending delay is kept, as client-go does. */
  private readonly delayed = new Map<T, { at: number; timer: TimerHandle }>();
  private shutting = false;
  private readonly counters = { adds: 0, retries: 0 };
  private readonly hooks?: QueueMetricsHooks;
  /** When each queued item was added, and each processing item taken (kept only when metrics are reported). */
  private readonly addedAt = new Map<T, number>();
  private readonly startedAt = new Map<T, number>();

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.name = opts.name ?? "";
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
    this.hooks = (opts.metrics ?? currentWorkQueueMetrics())?.attach(this.name, {
      len: () => this.order.length,
      processingAges: () => {
        const now = this.clock.now();
        return [...this.startedAt.values()].map((t) => now - t);
      },
    });
  }

  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.counters.adds++;
    this.dirty.add(item);
    if (this.processingSet.has(item)) return;
    if (this.hooks) {
      this.hooks.added();
      this.addedAt.set(item, this.clock.now());
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(item);
      this.take(item);
      waiter(item);
      return;
    }
    this.order.push(item);
  }

  /** Moves an item to processing, observing how long it waited. */
  private take(item: T): void {
    this.processingSet.add(item);
    if (!this.hooks) return;
    const now = this.clock.now();
    this.hooks.started(now - (this.addedAt.get(item) ?? now));
    this.addedAt.delete(item);
    this.startedAt.set(item, now);
  }

  /** Adds the item after ms milliseconds (immediately when ms <= 0). */
  addAfter(item: T, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) return this.add(item);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(item);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(item);
      this.add(item);
    }, ms);
    this.delayed.set(item, { at, timer });
  }

  /** Adds the item after the rate limiter's backoff for it (a retry). */
  addRateLimited(item: T): void {
    this.counters.retries++;
    this.hooks?.retried();
    this.addAfter(item, this.limiter.when(item));
  }

  /** Resets the item's backoff: call after a successful sync. */
  forget(item: T): void {
    this.limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  /** Waits for the next item; undefined means the queue is shut down and drained. Call done(item) afterwards. */
  get(): Promise<T | undefined> {
    const item = this.order.shift();
    if (item !== undefined) {
      this.dirty.delete(item);
      this.take(item);
      return Promise.resolve(item);
    }
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the item processed; if it was added meanwhile it goes back on the queue. */
  done(item: T): void {
    this.processingSet.delete(item);
    const started = this.startedAt.get(item);
    if (started !== undefined) {
      this.startedAt.delete(item);
      this.hooks?.finished(this.clock.now() - started);
    }
    if (!this.dirty.has(item)) return;
    this.dirty.delete(item);
    this.add(item);
  }

  len(): number {
    return this.order.length;
  }

  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    this.hooks?.detach();
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  metrics(): QueueMetrics {
    return { ...this.counters, depth: this.order.length, processing: this.processingSet.size };
  }
}

// Rate limiters for work queues: how long an item waits before it is retried. The defaults follow Kubernetes'
// controller defaults: per-item exponential backoff (5 ms doubling to 1000 s) combined with an overall token
// bucket (10 qps, burst 100) so a storm of failures cannot hammer the API server.
import type { Clock } from "./clock.js";
import { realClock } from "./clock.js";

export interface RateLimiter<T> {
  /** How long (ms) the item should wait before its next attempt; counts a failure. */
  when(item: T): number;
  /** Stops tracking the item (it succeeded or was given up on). */
  forget(item: T): void;
  /** Failures counted for the item since the last forget. */
  numRequeues(item: T): number;
}

export interface ExponentialOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Per-item exponential backoff: base * 2^failures, capped at max. */
export function exponentialRateLimiter<T>(opts: ExponentialOptions = {}): RateLimiter<T> {
  const base = opts.baseDelayMs ?? 5;
  const max = opts.maxDelayMs ?? 1000_000;
  const failures = new Map<T, number>();
  return {
    when(item) {
      const n = failures.get(item) ?? 0;
      failures.set(item, n + 1);
      // 2^n overflows to Infinity long before it matters; min() keeps it at the cap.
      return Math.min(base * 2 ** n, max);
    },
    forget: (item) => void failures.delete(item),
    numRequeues: (item) => failures.get(item) ?? 0,
  };
}

export interface BucketOptions {
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/** An overall token bucket: every when() takes a token; when none is left the item waits for the next one. */
export function bucketRateLimiter<T>(opts: BucketOptions = {}): RateLimiter<T> {
  const qps = opts.qps ?? 10;
  const burst = opts.burst ?? 100;
  const clock = opts.clock ?? realClock;
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
      last = now;
      tokens -= 1;
      // A negative balance is a reservation: the item waits until the bucket refills to zero.
      return tokens >= 0 ? 0 : Math.ceil((-tokens / qps) * 1000);
    },
    forget() {},
    numRequeues: () => 0,
  };
}

/** The longest delay of several limiters; requeue counts come from the one that counts most. */
export function maxOfRateLimiter<T>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when: (item) => Math.max(...limiters.map((l) => l.when(item))),
    forget: (item) => limiters.forEach((l) => l.forget(item)),
    numRequeues: (item) => Math.max(...limiters.map((l) => l.numRequeues(item))),
  };
}

export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return maxOfRateLimiter<T>(exponentialRateLimiter<T>(), bucketRateLimiter<T>({ clock }));
}

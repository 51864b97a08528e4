import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./clock.js";
import { WorkQueue } from "./workqueue.js";
import { bucketRateLimiter, exponentialRateLimiter } from "./rate_limiter.js";
import { runWorkers } from "./queue_worker.js";

test("items added twice before processing are processed once", async () => {
  const q = new WorkQueue<string>();
  q.add("a");
  q.add("b");
  q.add("a");
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "b");
  assert.equal(q.metrics().processing, 2);
});

test("an item added while processing is requeued after done, never handed to two workers", async () => {
  const q = new WorkQueue<string>();
  q.add("a");
  const a = await q.get();
  q.add("a");
  assert.equal(q.len(), 0, "not queued while processing");
  q.done(a!);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), "a");
});

test("get waits for an add and resolves undefined after shutdown", async () => {
  const q = new WorkQueue<string>();
  const p = q.get();
  q.add("x");
  assert.equal(await p, "x");
  const p2 = q.get();
  q.shutDown();
  assert.equal(await p2, undefined);
  q.add("y");
  assert.equal(await q.get(), undefined);
});

test("addAfter delays on the injected clock and keeps the earliest delay", async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  q.addAfter("a", 100);
  q.addAfter("a", 50);
  q.addAfter("a", 200);
  clock.advance(49);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  clock.advance(1000);
  assert.equal(q.len(), 1, "later delays were superseded");
});

test("exponential limiter doubles from 5 ms to the 1000 s cap and forget resets", () => {
  const l = exponentialRateLimiter<string>();
  assert.deepEqual([l.when("a"), l.when("a"), l.when("a")], [5, 10, 20]);
  assert.equal(l.numRequeues("a"), 3);
  for (let i = 0; i < 40; i++) l.when("a");
  assert.equal(l.when("a"), 1000_000);
  l.forget("a");
  assert.equal(l.when("a"), 5);
  assert.equal(l.when("b"), 5, "per item");
});

test("token bucket lets a burst through then spaces items at qps", () => {
  const clock = new FakeClock();
  const l = bucketRateLimiter<string>({ qps: 10, burst: 2, clock });
  assert.equal(l.when("a"), 0);
  assert.equal(l.when("b"), 0);
  assert.equal(l.when("c"), 100);
  assert.equal(l.when("d"), 200);
  clock.advance(1000);
  assert.equal(l.when("e"), 0);
});

test("addRateLimited backs off per item and counts retries", () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock, rateLimiter: exponentialRateLimiter({ baseDelayMs: 10 }) });
  q.addRateLimited("a");
  clock.advance(9);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(q.numRequeues("a"), 1);
  assert.equal(q.metrics().retries, 1);
  assert.equal(q.metrics().adds, 1);
});

test("runWorkers retries a failing key with backoff and forgets it on success", async () => {
  const q = new WorkQueue<string>({ rateLimiter: exponentialRateLimiter({ baseDelayMs: 1 }) });
  const ac = new AbortController();
  let calls = 0;
  const done = runWorkers({
    queue: q,
    signal: ac.signal,
    workers: 2,
    sync: async () => {
      calls++;
      if (calls < 3) throw new Error("transient");
      ac.abort();
    },
  });
  q.add("k");
  await done;
  assert.equal(calls, 3);
  assert.equal(q.numRequeues("k"), 0);
});

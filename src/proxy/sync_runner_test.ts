import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../client/clock.js";
import { SyncRunner } from "./sync_runner.js";

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(fail: () => boolean = () => false) {
  const clock = new FakeClock();
  const runs: number[] = [];
  const runner = new SyncRunner({
    clock,
    minIntervalMs: 1000,
    periodMs: 30_000,
    maxBackoffMs: 8000,
    fn: async () => {
      runs.push(clock.now() - start);
      if (fail()) throw new Error("iptables-restore exited 1");
    },
  });
  const start = clock.now();
  const ac = new AbortController();
  const done = runner.run(ac.signal);
  return { clock, runs, runner, stop: async () => (ac.abort(), await done) };
}

test("requests within the min interval collapse into one run at the interval's end", async () => {
  const { clock, runs, runner, stop } = setup();
  runner.request();
  clock.advance(0);
  await settle();
  assert.deepEqual(runs, [0]);
  for (let i = 0; i < 5; i++) {
    clock.advance(100);
    runner.request();
  }
  await settle();
  assert.deepEqual(runs, [0]);
  clock.advance(500);
  await settle();
  assert.deepEqual(runs, [0, 1000]);
  await stop();
});

test("without requests a run still happens every period", async () => {
  const { clock, runs, runner, stop } = setup();
  runner.request();
  clock.advance(0);
  await settle();
  clock.advance(30_000);
  await settle();
  clock.advance(30_000);
  await settle();
  assert.deepEqual(runs, [0, 30_000, 60_000]);
  await stop();
});

test("failures are retried with doubling backoff up to the ceiling, and a success resets it", async () => {
  let failing = true;
  const { clock, runs, runner, stop } = setup(() => failing);
  runner.request();
  clock.advance(0);
  await settle();
  for (const backoff of [1000, 2000, 4000, 8000, 8000, 8000]) {
    clock.advance(backoff);
    await settle();
  }
  assert.deepEqual(runs, [0, 1000, 3000, 7000, 15_000, 23_000, 31_000]);
  assert.equal(runner.consecutiveFailures(), 7);
  failing = false;
  clock.advance(8000);
  await settle();
  assert.equal(runner.consecutiveFailures(), 0);
  await stop();
});

test("a request while a run is in progress leads to exactly one more run afterwards", async () => {
  const clock = new FakeClock();
  let release!: () => void;
  let count = 0;
  const runner = new SyncRunner({
    clock,
    minIntervalMs: 1000,
    periodMs: 60_000,
    fn: () => {
      count++;
      return count === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    },
  });
  const ac = new AbortController();
  const done = runner.run(ac.signal);
  runner.request();
  clock.advance(0);
  assert.equal(count, 1);
  runner.request();
  runner.request();
  clock.advance(2000);
  assert.equal(count, 1);
  release();
  await settle();
  clock.advance(0);
  await settle();
  assert.equal(count, 2);
  clock.advance(5000);
  await settle();
  assert.equal(count, 2);
  ac.abort();
  await done;
});

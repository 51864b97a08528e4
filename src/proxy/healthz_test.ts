import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../client/clock.js";
import { healthVerdict, startHealthz } from "./healthz.js";

test("healthy while the last sync is recent, and during the grace period before the first one", () => {
  const clock = new FakeClock();
  const start = clock.now();
  let last: number | undefined;
  const opts = { clock, maxAgeMs: 60_000, lastSync: () => last };
  assert.equal(healthVerdict(opts, start)[0], 200);
  clock.advance(61_000);
  assert.equal(healthVerdict(opts, start)[0], 503);
  last = clock.now();
  assert.equal(healthVerdict(opts, start)[0], 200);
  clock.advance(60_001);
  assert.equal(healthVerdict(opts, start)[0], 503);
});

test("the endpoint answers /healthz on loopback", async () => {
  const srv = await startHealthz("127.0.0.1", 0, { maxAgeMs: 60_000, lastSync: () => Date.now() });
  try {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { lastUpdated: string }).lastUpdated);
    assert.equal((await fetch(`${srv.url}/other`)).status, 404);
  } finally {
    await srv.close();
  }
});

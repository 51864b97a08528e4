import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../client/clock.js";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("starts at 10s, doubles to 5m, and is in backoff only within the delay after the event", () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    assert.equal(b.isInBackoffSince("k", clock.now()), false, "unknown keys are not in backoff");
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next("k", clock.now());
      seen.push(b.get("k"));
    }
    assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    const event = clock.now();
    clock.advance(299_999);
    assert.equal(b.isInBackoffSince("k", event), true);
    clock.advance(1);
    assert.equal(b.isInBackoffSince("k", event), false);
  });

  it("forgets a key whose event came more than twice the maximum after its last update (ran 10 minutes)", () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    b.next("k", clock.now());
    b.next("k", clock.now());
    assert.equal(b.get("k"), 20_000);
    clock.advance(600_001);
    assert.equal(b.isInBackoffSince("k", clock.now()), false);
    b.next("k", clock.now());
    assert.equal(b.get("k"), 10_000, "back to the initial delay");
  });

  it("tracks backoff since the last update for pulls, and forgets a pod's keys", () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    b.next("uid1/img", clock.now());
    assert.equal(b.isInBackoffSinceUpdate("uid1/img"), true);
    clock.advance(10_000);
    assert.equal(b.isInBackoffSinceUpdate("uid1/img"), false);
    b.forgetPrefix("uid1/");
    assert.equal(b.get("uid1/img"), 0);
  });
});

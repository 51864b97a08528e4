import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./clock.js";
import { ControllerExpectations, EXPECTATIONS_TTL_MS, UidTrackingExpectations } from "./expectations.js";

test("expectations are satisfied once every expected creation is observed", () => {
  const e = new ControllerExpectations({ clock: new FakeClock() });
  assert.equal(e.satisfiedExpectations("ns/rs"), true, "no record: go ahead");
  e.expectCreations("ns/rs", 2);
  assert.equal(e.satisfiedExpectations("ns/rs"), false);
  e.creationObserved("ns/rs");
  assert.equal(e.satisfiedExpectations("ns/rs"), false);
  e.creationObserved("ns/rs");
  assert.equal(e.satisfiedExpectations("ns/rs"), true);
  e.raiseExpectations("ns/rs", 0, 1);
  assert.deepEqual(e.getExpectations("ns/rs"), { add: 0, del: 1 });
  assert.equal(e.satisfiedExpectations("ns/rs"), false);
  e.deleteExpectations("ns/rs");
  assert.equal(e.satisfiedExpectations("ns/rs"), true);
});

test("unobserved expectations expire after five minutes", () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations({ clock });
  e.expectDeletions("k", 1);
  clock.advance(EXPECTATIONS_TTL_MS);
  assert.equal(e.satisfiedExpectations("k"), false);
  clock.advance(1);
  assert.equal(e.satisfiedExpectations("k"), true);
});

test("uid tracking counts each expected deletion once", () => {
  const e = new UidTrackingExpectations({ clock: new FakeClock() });
  e.expectDeletionsOf("k", ["a", "b"]);
  e.deletionObserved("k", "a");
  e.deletionObserved("k", "a");
  e.deletionObserved("k", "zzz");
  assert.equal(e.satisfiedExpectations("k"), false);
  e.deletionObserved("k", "b");
  assert.equal(e.satisfiedExpectations("k"), true);
});

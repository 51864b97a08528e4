import assert from "node:assert/strict";
import test from "node:test";
import { tieBreakRandom } from "./random.js";

test("tieBreakRandom gives doubles in [0, 1), the same sequence for the same seed", () => {
  const a = tieBreakRandom(42);
  const b = tieBreakRandom(42);
  const c = tieBreakRandom(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
  assert.notDeepEqual(Array.from({ length: 1000 }, () => c()), xs);
  for (const x of xs) assert.ok(x >= 0 && x < 1, `${x} out of [0, 1)`);
});

test("tieBreakRandom picks each of several tied nodes about equally often (reservoir sampling as selectHost)", () => {
  const random = tieBreakRandom();
  const nodes = 5;
  const picks = new Array<number>(nodes).fill(0);
  const rounds = 50_000;
  for (let r = 0; r < rounds; r++) {
    let best = 0;
    for (let i = 1; i < nodes; i++) if (random() * (i + 1) < 1) best = i;
    picks[best]!++;
  }
  // Each expected 10,000 times; 5% off is far beyond the binomial spread (~90).
  for (const n of picks) assert.ok(Math.abs(n - rounds / nodes) < rounds / nodes / 20, `picks ${picks.join(", ")}`);
});

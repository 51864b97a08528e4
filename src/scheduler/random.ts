// The scheduler's default source of random numbers for breaking score ties (selectHost draws one number per node
// tied at the best score, ~500 per pod in a large cluster of equal nodes). Math.random returns every number as a
// freshly allocated heap object here (16 bytes each: ~8 KB of garbage per pod, a sixth of what the scheduler's
// process allocated per pod in bench/scheduler); numbers made in JavaScript stay unboxed in optimized code.
// mulberry32: 32 bits of state, uniform doubles in [0, 1), plenty for choosing among equal nodes (this is not for
// anything that must be unpredictable).
import { randomInt } from "node:crypto";

/** A uniform generator of doubles in [0, 1), seeded from `seed` or at random. */
export function tieBreakRandom(seed: number = randomInt(2 ** 32)): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

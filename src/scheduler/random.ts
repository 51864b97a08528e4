// The scheduler's default source of random numbers for breaking score ties (selectHost draws one number per node
// tied at the best score, ~500 per pod in a large cluster of equal nodes). Math.random returns every number as a
// freshly allocated heap object here (16 bytes each: ~8 KB of garbage per pod, a sixth of what the scheduler's
// process allocated per pod in bench/scheduler); numbers made in JavaScript stay unboxed in optimized code.
// mulberry32: 32 bits of state, uniform doubles in [0, 1), plenty for choosing among equal nodes (this is not for
// anything that must be unpredictable).
import { randomInt } from "node:crypto";

/** Added to the counter at each draw: an odd constant, so the 32-bit counter visits every value before repeating. */
const WEYL_STEP = 0x6d2b79f5;

/** A uniform generator of doubles in [0, 1), seeded from `seed` or at random. */
export function tieBreakRandom(seed: number = randomInt(2 ** 32)): () => number {
  let counter = seed | 0;
  return () => {
    counter = (counter + WEYL_STEP) | 0;
    // Mix the counter's bits (mulberry32's output function: xor-shifts and 32-bit multiplies), then scale to [0, 1).
    let z = Math.imul(counter ^ (counter >>> 15), counter | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

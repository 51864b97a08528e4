import assert from "node:assert/strict";
import { test } from "node:test";
import { Fifo } from "./fifo.js";

test("a Fifo hands items back in order across resets and compactions, and drains what is left", () => {
  const q = new Fifo<number>();
  assert.equal(q.shift(), undefined);
  q.push(1);
  q.push(2);
  assert.equal(q.shift(), 1);
  assert.equal(q.shift(), 2);
  assert.equal(q.size, 0);
  // Far past the compaction point, interleaving pushes and shifts.
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) q.push(next++);
    for (let i = 0; i < 60; i++) assert.equal(q.shift(), expect++);
  }
  assert.equal(q.size, next - expect);
  assert.deepEqual(q.drain(), Array.from({ length: next - expect }, (_, i) => expect + i));
  assert.equal(q.size, 0);
  assert.equal(q.shift(), undefined);
});

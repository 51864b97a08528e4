import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIndexes, parseIndexes } from "./indexes.js";

test("index intervals round-trip as the API writes them", () => {
  assert.equal(formatIndexes([5, 1, 3, 4, 7, 8]), "1,3-5,7-8");
  assert.equal(formatIndexes([]), "");
  assert.deepEqual([...parseIndexes("1,3-5,7")].sort((a, b) => a - b), [1, 3, 4, 5, 7]);
  assert.deepEqual([...parseIndexes("")], []);
  assert.deepEqual([...parseIndexes("x,2")], [2]);
});

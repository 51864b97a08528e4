import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { numFeasibleNodesToFind } from "./schedule_one.js";

describe("percentageOfNodesToScore", () => {
  it("checks every node below 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(undefined, 99), 99);
    assert.equal(numFeasibleNodesToFind(10, 50), 50);
  });
  it("adapts by default: 50% minus 1% per 125 nodes, at least 5%, at least 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(undefined, 100), 100);
    assert.equal(numFeasibleNodesToFind(undefined, 1000), 420);
    assert.equal(numFeasibleNodesToFind(undefined, 5000), 500);
    assert.equal(numFeasibleNodesToFind(undefined, 6000), 300);
    assert.equal(numFeasibleNodesToFind(0, 250), 120);
  });
  it("honours a configured percentage, still at least 100 nodes", () => {
    assert.equal(numFeasibleNodesToFind(10, 5000), 500);
    assert.equal(numFeasibleNodesToFind(1, 5000), 100);
    assert.equal(numFeasibleNodesToFind(100, 5000), 5000);
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { ageSince, humanDuration, shortHumanDuration } from "./human_duration.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

test("humanDuration: Kubernetes' thresholds", () => {
  const cases: [number, string][] = [
    [-2 * s, "<invalid>"],
    [-1999, "0s"],
    [-1 * s, "0s"],
    [-999, "0s"],
    [0, "0s"],
    [999, "0s"],
    [45 * s, "45s"],
    [119 * s + 999, "119s"],
    [2 * m, "2m"],
    [5 * m + 3 * s, "5m3s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m, "10m"],
    [10 * m + 30 * s, "10m"],
    [179 * m + 59 * s, "179m"],
    [3 * h, "3h"],
    [3 * h + 5 * m, "3h5m"],
    [7 * h + 59 * m, "7h59m"],
    [8 * h, "8h"],
    [47 * h + 59 * m, "47h"],
    [48 * h, "2d"],
    [2 * d + 3 * h, "2d3h"],
    [7 * d + 23 * h, "7d23h"],
    [8 * d, "8d"],
    [729 * d, "729d"],
    [730 * d, "2y"],
    [2 * y + 120 * d, "2y120d"],
    [7 * y + 364 * d, "7y364d"],
    [8 * y, "8y"],
    [100 * y + 5 * d, "100y"],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test("shortHumanDuration", () => {
  const cases: [number, string][] = [
    [-5 * s, "<invalid>"],
    [-500, "0s"],
    [59 * s, "59s"],
    [60 * s, "1m"],
    [59 * m, "59m"],
    [23 * h + 59 * m, "23h"],
    [24 * h, "1d"],
    [364 * d, "364d"],
    [365 * d, "1y"],
    [3 * y + 100 * d, "3y"],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `${ms}ms`);
});

test("ageSince", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  assert.equal(ageSince("2024-05-01T11:54:57Z", now), "5m3s");
  assert.equal(ageSince(new Date("2024-04-29T09:00:00Z"), now), "2d3h");
  assert.equal(ageSince(undefined, now), "<unknown>");
  assert.equal(ageSince("garbage", now), "<unknown>");
});

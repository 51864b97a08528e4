import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCronSchedule, parseDurationMs } from "./cron_schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? "none" : new Date(ms).toISOString().replace(".000Z", "Z"));
function times(spec: string, from: string, n: number, tz?: string): string[] {
  const s = parseCronSchedule(spec, tz);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const nx = s.next(t);
    out.push(iso(nx));
    if (nx === undefined) break;
    t = nx;
  }
  return out;
}

test("steps, ranges and lists", () => {
  assert.deepEqual(times("*/15 * * * *", "2026-01-01T00:07:00Z", 3), ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z"]);
  assert.deepEqual(times("5,10-12 3 * * *", "2026-01-01T00:00:00Z", 5), ["2026-01-01T03:05:00Z", "2026-01-01T03:10:00Z", "2026-01-01T03:11:00Z", "2026-01-01T03:12:00Z", "2026-01-02T03:05:00Z"]);
  assert.deepEqual(times("10-50/20 * * * *", "2026-01-01T00:00:00Z", 3), ["2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z"]);
  assert.deepEqual(times("50/5 * * * *", "2026-01-01T00:00:00Z", 3), ["2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:50:00Z"]);
  // Strictly after: a time exactly on the schedule gives the following one.
  assert.deepEqual(times("0 * * * *", "2026-01-01T01:00:00Z", 1), ["2026-01-01T02:00:00Z"]);
});

test("month and weekday names, weekday 7 is Sunday, '?' is '*'", () => {
  // 2026-01-01 is a Thursday.
  assert.deepEqual(times("0 9 ? JAN-feb MON-Fri", "2026-01-01T10:00:00Z", 2), ["2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"]);
  assert.deepEqual(times("0 0 * * 7", "2026-01-01T00:00:00Z", 1), ["2026-01-04T00:00:00Z"]);
  assert.deepEqual(times("0 0 1 MAR *", "2026-01-01T00:00:00Z", 2), ["2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z"]);
});

test("day of month and day of week: either when both are restricted, both when one is a star", () => {
  // The 13th, or any Friday.
  assert.deepEqual(times("0 0 13 * 5", "2026-01-01T00:00:00Z", 3), ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"]);
  assert.deepEqual(times("0 0 13 * *", "2026-01-01T00:00:00Z", 1), ["2026-01-13T00:00:00Z"]);
  assert.deepEqual(times("0 0 31 * *", "2026-01-31T00:00:00Z", 2), ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]);
  assert.deepEqual(times("0 0 29 2 *", "2026-01-01T00:00:00Z", 1), ["2028-02-29T00:00:00Z"]);
});

test("descriptors and @every", () => {
  assert.deepEqual(times("@hourly", "2026-01-01T00:30:00Z", 1), ["2026-01-01T01:00:00Z"]);
  assert.deepEqual(times("@daily", "2026-01-01T00:30:00Z", 1), ["2026-01-02T00:00:00Z"]);
  assert.deepEqual(times("@midnight", "2026-01-01T00:30:00Z", 1), ["2026-01-02T00:00:00Z"]);
  assert.deepEqual(times("@weekly", "2026-01-01T00:30:00Z", 1), ["2026-01-04T00:00:00Z"]);
  assert.deepEqual(times("@monthly", "2026-01-01T00:30:00Z", 1), ["2026-02-01T00:00:00Z"]);
  assert.deepEqual(times("@yearly", "2026-01-01T00:30:00Z", 1), ["2027-01-01T00:00:00Z"]);
  assert.deepEqual(times("@annually", "2026-01-01T00:30:00Z", 1), ["2027-01-01T00:00:00Z"]);
  assert.deepEqual(times("@every 1h30m", "2026-01-01T00:00:10.500Z", 2), ["2026-01-01T01:30:10Z", "2026-01-01T03:00:10Z"]);
  assert.equal(parseDurationMs("2m30s"), 150_000);
});

test("time zones: wall-clock schedules in IANA zones, across daylight saving", () => {
  assert.deepEqual(times("0 9 * * *", "2026-01-01T00:00:00Z", 1, "Asia/Tokyo"), ["2026-01-02T00:00:00Z"]);
  // New York springs forward on 2026-03-08 at 02:00: 02:30 does not exist and runs at 03:30 EDT.
  assert.deepEqual(times("30 2 * * *", "2026-03-07T12:00:00Z", 3, "America/New_York"), ["2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]);
  // Falls back on 2026-11-01: 01:30 happens twice and runs once.
  const fall = times("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York");
  assert.equal(fall[0], "2026-11-01T05:30:00Z");
  assert.equal(fall[1], "2026-11-02T06:30:00Z");
});

test("errors name the problem", () => {
  assert.throws(() => parseCronSchedule("* * * *"), /expected exactly 5 fields/);
  assert.throws(() => parseCronSchedule("60 * * * *"), /out of range/);
  assert.throws(() => parseCronSchedule("* * * FOO *"), /failed to parse int/);
  assert.throws(() => parseCronSchedule("5-1 * * * *"), /beyond end of range/);
  assert.throws(() => parseCronSchedule("*/0 * * * *"), /step/);
  assert.throws(() => parseCronSchedule("@fortnightly"), /unrecognized descriptor/);
  assert.throws(() => parseCronSchedule("* * * * *", "Mars/Olympus"), /unknown time zone/);
});

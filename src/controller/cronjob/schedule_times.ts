// Which scheduled time a CronJob should act on now: the most recent one not yet started, counted from the last
// schedule (or the CronJob's creation), limited by startingDeadlineSeconds. Also the Job name and annotation that
// identify a run, so a run is created once even across restarts.
import type { CronJob } from "kubernetes-types/batch/v1.js";
import { timeMs } from "../replicaset/pod_utils.js";
import { zoneOffsetMs, type CronSchedule } from "./cron_schedule.js";

/** Kubernetes' limit before it reports TooManyMissedTimes and only starts the most recent run. */
export const MAX_MISSED_SCHEDULES = 100;

export interface DueSchedule {
  /** The most recent scheduled time at or before now that is after the earliest time considered. */
  mostRecent?: number;
  /** How many scheduled times passed unstarted (mostRecent included); > 100 means "too many" (counting stops). */
  missed: number;
}

export function dueSchedule(cj: CronJob, schedule: CronSchedule, nowMs: number): DueSchedule {
  let earliest = timeMs(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp);
  const sds = cj.spec?.startingDeadlineSeconds;
  if (sds !== undefined) earliest = Math.max(earliest, nowMs - sds * 1000);
  let t = schedule.next(earliest);
  if (t === undefined || t > nowMs) return { missed: 0 };
  let missed = 0;
  let mostRecent = t;
  while (t !== undefined && t <= nowMs) {
    mostRecent = t;
    if (++missed > MAX_MISSED_SCHEDULES) return { mostRecent: latestBefore(schedule, nowMs, mostRecent), missed };
    t = schedule.next(t);
  }
  return { mostRecent, missed };
}

/** The last scheduled time <= now, found by widening a window back from now (for many missed runs). */
function latestBefore(schedule: CronSchedule, nowMs: number, known: number): number {
  for (let window = 60_000; nowMs - window > known; window *= 2) {
    const first = schedule.next(nowMs - window);
    if (first === undefined || first > nowMs) continue;
    let last = first;
    for (let t = schedule.next(first); t !== undefined && t <= nowMs; t = schedule.next(t)) last = t;
    return last;
  }
  let last = known;
  for (let t = schedule.next(known); t !== undefined && t <= nowMs; t = schedule.next(t)) last = t;
  return last;
}

/** <cronjob>-<scheduled time in minutes since the epoch>: the same run always gets the same name. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 of the scheduled time on the CronJob's zone clock ("2026-01-01T09:00:00+09:00"; "Z" for UTC). */
export function scheduledTimestamp(scheduledMs: number, timeZone: string): string {
  const off = zoneOffsetMs(timeZone, scheduledMs);
  const wall = new Date(scheduledMs + off).toISOString().replace(/\.\d+Z$/, "");
  if (off === 0) return `${wall}Z`;
  const sign = off > 0 ? "+" : "-";
  const mins = Math.abs(off) / 60_000;
  return `${wall}${sign}${String(Math.floor(mins / 60)).padStart(2, "0")}:${String(mins % 60).padStart(2, "0")}`;
}

// The CronJob controller: creates a Job from spec.jobTemplate at each scheduled time (in spec.timeZone), named
// <cronjob>-<minutes since epoch> so a run is created once, honouring suspend, startingDeadlineSeconds and the
// concurrency policy (Allow, Forbid: skip while a run is active, Replace: delete the active runs first); keeps
// status.active, lastScheduleTime and lastSuccessfulTime; deletes finished Jobs beyond the history limits; and
// requeues itself for the next scheduled time on its (injectable) clock.
import type { CronJob, Job } from "kubernetes-types/batch/v1.js";
import type { ObjectReference } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isAlreadyExists, isNotFound } from "../../machinery/errors.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { ApiObjectWriter, type ObjectWriter } from "../history/object_writer.js";
import { semanticEqual } from "../history/semantic_equal.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { controllerRefOf, newControllerRef, rfc3339, timeMs } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";
import { CronParseError, isValidTimeZone, parseCronSchedule, type CronSchedule } from "./cron_schedule.js";
import { MAX_MISSED_SCHEDULES, dueSchedule, jobNameFor, scheduledTimestamp } from "./schedule_times.js";

export type CronJobObject = CronJob & KubeObject;
export type JobObject = Job & KubeObject;
export type CronJobClient = Pick<ResourceClient<CronJobObject>, "get" | "updateStatus">;

export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/** Kubernetes requeues slightly after the scheduled time so the clock has surely passed it. */
const NEXT_SCHEDULE_DELTA_MS = 100;
const DEFAULT_SUCCESSFUL_HISTORY = 3;
const DEFAULT_FAILED_HISTORY = 1;

export interface CronJobControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  jobWriter?: ObjectWriter<JobObject>;
  cronJobClient?: CronJobClient;
  /** Live reads of Jobs (to tell a slow cache from a deleted Job). */
  jobReader?: Pick<ResourceClient<JobObject>, "get">;
  recorder?: EventSink;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class CronJobController implements Controller {
  readonly name = "cronjob-controller";
  readonly queue: WorkQueue<string>;
  private readonly cronJobs: SharedInformer<CronJobObject>;
  private readonly jobs: SharedInformer<JobObject>;
  private readonly jobWriter: ObjectWriter<JobObject>;
  private readonly cronJobClient: CronJobClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: CronJobControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "cronjob", clock: this.clock });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.jobWriter = opts.jobWriter ?? new ApiObjectWriter<JobObject>(opts.client, resources.jobs);
    this.cronJobClient = opts.cronJobClient ?? opts.client.resource<CronJobObject>(resources.cronjobs);
    this.cronJobs = opts.informers.forResource<CronJobObject>(resources.cronjobs);
    this.jobs = opts.informers.forResource<JobObject>(resources.jobs, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } });
    this.cronJobs.addEventHandler({
      onAdd: (cj) => this.queue.add(keyOf(cj)),
      onUpdate: (_o, cj) => this.queue.add(keyOf(cj)),
    });
    const jobChanged = (job: JobObject): void => {
      const ref = controllerRefOf(job);
      if (ref?.kind === "CronJob") this.queue.add(`${job.metadata?.namespace ?? ""}/${ref.name}`);
    };
    this.jobs.addEventHandler({ onAdd: jobChanged, onUpdate: (_o, j) => jobChanged(j), onDelete: (o) => jobChanged(unwrapTombstone(o)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  async sync(key: string): Promise<SyncResult | void> {
    const cached = this.cronJobs.indexer.get(key);
    if (!cached) return;
    const cj = typed(cached);
    const status = structuredClone(cj.status ?? {});
    const uid = cj.metadata?.uid ?? "";
    const owned = this.jobs.indexer.byIndex(OWNER_UID_INDEX, uid).filter((j) => controllerRefOf(j)?.uid === uid);
    await this.reconcileActive(cj, status, owned);
    await this.cleanupHistory(cj, owned);
    let requeue: number | undefined;
    if (!cj.metadata?.deletionTimestamp) requeue = await this.schedule(cj, status, owned);
    await this.writeStatus(cj, status);
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** status.active holds exactly the unfinished Jobs this CronJob started; lastSuccessfulTime follows completions. */
  private async reconcileActive(cj: CronJobObject, status: NonNullable<CronJob["status"]>, owned: JobObject[]): Promise<void> {
    const active = new Map((status.active ?? []).map((r) => [r.uid ?? "", r]));
    for (const job of owned) {
      const juid = job.metadata?.uid ?? "";
      const finished = finishedType(job);
      if (!finished && !active.has(juid)) {
        // The Job's informer may be ahead of the CronJob's: the live CronJob may already list it (our own write).
        const listed = await this.liveActive(cj, juid);
        if (listed) active.set(juid, listed);
        // Created by someone else (kubectl create job --from), or we crashed before recording it.
        else this.recorder.event(cj, "Warning", "UnexpectedJob", `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`);
      } else if (finished && active.has(juid)) {
        active.delete(juid);
        this.recorder.event(cj, "Normal", "SawCompletedJob", `Saw completed job: ${job.metadata?.name}, condition: ${finished}`);
      }
      const done = job.status?.completionTime;
      if (finished === "Complete" && done && timeMs(done) > timeMs(status.lastSuccessfulTime)) status.lastSuccessfulTime = done;
    }
    const ownedUids = new Set(owned.map((j) => j.metadata?.uid));
    for (const [juid, ref] of active) {
      if (ownedUids.has(juid)) continue;
      // The cache may just be slow: ask the API server before declaring the Job gone.
      try {
        const live = await this.jobsApi().get(ref.namespace ?? cj.metadata?.namespace, ref.name ?? "");
        if (live.metadata?.uid === juid) continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.recorder.event(cj, "Normal", "MissingJob", `Active job went missing: ${ref.name}`);
      active.delete(juid);
    }
    status.active = [...active.values()];
  }

  /** The live CronJob's status.active entry for a Job uid, when the cached copy is behind it. */
  private async liveActive(cj: CronJobObject, juid: string): Promise<ObjectReference | undefined> {
    try {
      const live = await this.cronJobClient.get(cj.metadata?.namespace, cj.metadata?.name ?? "");
      if (live.metadata?.uid !== cj.metadata?.uid) return undefined;
      return live.status?.active?.find((r) => r.uid === juid);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private jobsApi(): Pick<ResourceClient<JobObject>, "get"> {
    return this.opts.jobReader ?? this.opts.client.resource<JobObject>(resources.jobs);
  }

  /** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first. */
  private async cleanupHistory(cj: CronJobObject, owned: JobObject[]): Promise<void> {
    const limits = { Complete: cj.spec?.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_HISTORY, Failed: cj.spec?.failedJobsHistoryLimit ?? DEFAULT_FAILED_HISTORY };
    for (const kind of ["Complete", "Failed"] as const) {
      const done = owned
        .filter((j) => finishedType(j) === kind && !j.metadata?.deletionTimestamp)
        .sort((a, b) => startOf(a) - startOf(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
      for (const job of done.slice(0, Math.max(0, done.length - limits[kind]))) await this.deleteJob(cj, job);
    }
  }

  private async deleteJob(cj: CronJobObject, job: { metadata?: { name?: string; uid?: string } }): Promise<void> {
    try {
      await this.jobWriter.delete(cj.metadata?.namespace ?? "", job.metadata?.name ?? "", { uid: job.metadata?.uid, propagationPolicy: "Background" });
      this.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${job.metadata?.name}`);
    } catch (err) {
      if (isNotFound(err)) return;
      this.recorder.event(cj, "Warning", "FailedDelete", `Deleted job: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** Starts the due run if any; answers when to look again (undefined: only on a change). */
  private async schedule(cj: CronJobObject, status: NonNullable<CronJob["status"]>, owned: JobObject[]): Promise<number | undefined> {
    const tz = cj.spec?.timeZone ?? "UTC";
    if (!isValidTimeZone(tz)) {
      this.recorder.event(cj, "Warning", "UnknownTimeZone", `invalid timeZone: ${JSON.stringify(tz)}`);
      return undefined;
    }
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(cj.spec?.schedule ?? "", tz);
    } catch (err) {
      if (!(err instanceof CronParseError)) throw err;
      this.recorder.event(cj, "Warning", "UnparseableSchedule", `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${err.message}`);
      return undefined;
    }
    if (cj.spec?.suspend) return undefined;
    const now = this.clock.now();
    const untilNext = (): number | undefined => {
      const next = schedule.next(now);
      return next === undefined ? undefined : next - now + NEXT_SCHEDULE_DELTA_MS;
    };
    const due = dueSchedule({ ...cj, status }, schedule, now);
    if (due.missed > MAX_MISSED_SCHEDULES)
      this.recorder.event(cj, "Warning", "TooManyMissedTimes", `too many missed start times: > ${MAX_MISSED_SCHEDULES}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    const at = due.mostRecent;
    if (at === undefined) return untilNext();
    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && at + sds * 1000 < now) {
      this.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${new Date(at).toUTCString()}`);
      return untilNext();
    }
    const name = jobNameFor(cj.metadata?.name ?? "", at);
    const existing = owned.find((j) => j.metadata?.name === name);
    if ((status.active ?? []).some((r) => r.name === name) || timeMs(status.lastScheduleTime) === at || existing) {
      if (existing && !finishedType(existing) && !(status.active ?? []).some((r) => r.uid === existing.metadata?.uid)) status.active = [...(status.active ?? []), refTo(existing)];
      if (timeMs(status.lastScheduleTime) < at) status.lastScheduleTime = rfc3339(at);
      return untilNext();
    }
    const policy = cj.spec?.concurrencyPolicy ?? "Allow";
    if (policy === "Forbid" && (status.active ?? []).length > 0) {
      this.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
      return untilNext();
    }
    if (policy === "Replace") {
      for (const ref of status.active ?? []) await this.deleteJob(cj, { metadata: { name: ref.name, uid: ref.uid } });
      status.active = [];
    }
    let job: JobObject;
    try {
      job = await this.jobWriter.create(cj.metadata?.namespace ?? "", jobFor(cj, at, tz));
      this.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${job.metadata?.name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      job = await this.jobsApi().get(cj.metadata?.namespace, name);
      // Someone else's Job under our name: leave it (and the schedule) alone.
      if (controllerRefOf(job)?.uid !== cj.metadata?.uid) return untilNext();
    }
    if (!finishedType(job)) status.active = [...(status.active ?? []).filter((r) => r.uid !== job.metadata?.uid), refTo(job)];
    status.lastScheduleTime = rfc3339(at);
    return untilNext();
  }

  private async writeStatus(cj: CronJobObject, status: NonNullable<CronJob["status"]>): Promise<void> {
    const clean = { ...status };
    if (!clean.active?.length) delete clean.active;
    if (semanticEqual(clean, cj.status ?? {})) return;
    try {
      await this.cronJobClient.updateStatus(cj.metadata?.namespace, { ...structuredClone(cj), status: clean });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The Job of one scheduled run: the template's metadata and spec, the schedule annotation, our controller ref. */
export function jobFor(cj: CronJobObject, scheduledMs: number, timeZone: string): JobObject {
  const t = structuredClone(cj.spec?.jobTemplate ?? { spec: { template: {} } });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobNameFor(cj.metadata?.name ?? "", scheduledMs),
      namespace: cj.metadata?.namespace,
      labels: t.metadata?.labels,
      annotations: { ...(t.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: scheduledTimestamp(scheduledMs, timeZone) },
      ownerReferences: [newControllerRef(cj, "batch/v1", "CronJob")],
    },
    spec: t.spec ?? { template: {} },
  };
}

function refTo(job: JobObject): ObjectReference {
  return { kind: "Job", namespace: job.metadata?.namespace, name: job.metadata?.name, uid: job.metadata?.uid, apiVersion: "batch/v1", resourceVersion: job.metadata?.resourceVersion };
}

function finishedType(job: Job): "Complete" | "Failed" | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
  return c?.type as "Complete" | "Failed" | undefined;
}

function startOf(job: Job): number {
  return timeMs(job.status?.startTime ?? job.metadata?.creationTimestamp);
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

function typed(cj: CronJobObject): CronJobObject {
  return cj.kind ? cj : { ...cj, apiVersion: "batch/v1", kind: "CronJob" };
}

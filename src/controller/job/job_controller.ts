// The Job controller: runs pods until spec.completions of them succeed (NonIndexed) or every index 0..N-1 has a
// succeeded pod (Indexed), at most spec.parallelism at a time, retrying failures with exponential backoff up to
// backoffLimit (or backoffLimitPerIndex per index), honouring activeDeadlineSeconds, podFailurePolicy and suspend,
// and deleting finished Jobs after ttlSecondsAfterFinished (Kubernetes' TTL-after-finished controller, folded in).
//
// Counting is exact across restarts, as Kubernetes' finalizer-based tracking does it: every pod carries the
// batch.kubernetes.io/job-tracking finalizer. A finished pod's uid is first written to
// status.uncountedTerminatedPods, then its finalizer is removed, then the uid moves into status.succeeded/failed.
// A pod is counted only while it has the finalizer and its uid is not yet in the status, so a crash between any two
// steps neither loses nor repeats a count.
import type { JobCondition, JobStatus } from "kubernetes-types/batch/v1.js";
import { realClock, type Clock } from "../../client/clock.js";
import { ControllerExpectations } from "../../client/expectations.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc, splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isNotFound } from "../../machinery/errors.js";
import { nothing, selectorFromLabelSelector, selectorFromSet, type Selector } from "../../machinery/labels.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { ApiObjectWriter, type ObjectWriter } from "../history/object_writer.js";
import { semanticEqual } from "../history/semantic_equal.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { claimObjects } from "../replicaset/claim.js";
import { controllerRefOf, isPodReady, newControllerRef, rfc3339, timeMs, type PodObject } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";
import { formatIndexes, parseIndexes } from "./indexes.js";
import { MESSAGE, REASON, finishedCondition, findCondition, isTrue, setCondition, type JobConditionType } from "./job_conditions.js";
import {
  CONTROLLER_UID_LABEL,
  JOB_TRACKING_FINALIZER,
  completionIndex,
  hasTrackingFinalizer,
  indexFailureCount,
  isActive,
  isIndexed,
  isPodFailed,
  isTerminating,
  podForJob,
  type JobObject,
} from "./job_pods.js";
import { onlyReplaceFailed, planIndexed, planNonIndexed } from "./job_plan.js";
import { matchPodFailurePolicy } from "./pod_failure_policy.js";
import { successPolicyMatch } from "./success_policy.js";

/** Kubernetes' DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff: 10 s doubling per failure, capped at 6 min. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;
/** Default spec.backoffLimit when the API server has not defaulted it. */
const DEFAULT_BACKOFF_LIMIT = 6;

export type JobClient = Pick<ResourceClient<JobObject>, "get" | "updateStatus" | "delete">;

export interface JobControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  podWriter?: ObjectWriter<PodObject>;
  jobClient?: JobClient;
  recorder?: EventSink;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

interface BackoffRecord {
  failures: number;
  lastFailureMs: number;
}

export class JobController implements Controller {
  readonly name = "job-controller";
  readonly queue: WorkQueue<string>;
  readonly expectations: ControllerExpectations;
  private readonly jobs: SharedInformer<JobObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly podWriter: ObjectWriter<PodObject>;
  private readonly jobClient: JobClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Uids whose tracking finalizer this controller removed and whose update the pod cache has not shown yet. */
  private readonly finalizerRemovals = new Map<string, Set<string>>();
  private readonly backoff = new Map<string, BackoffRecord>();
  /** Status writes the job cache may not show yet: the resourceVersions they replaced, and the result. */
  private readonly written = new Map<string, { replaced: Set<string>; job: JobObject }>();

  constructor(private readonly opts: JobControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "job", clock: this.clock });
    this.expectations = new ControllerExpectations({ clock: this.clock });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.podWriter = opts.podWriter ?? new ApiObjectWriter<PodObject>(opts.client, resources.pods, this.recorder);
    this.jobClient = opts.jobClient ?? opts.client.resource<JobObject>(resources.jobs);
    this.jobs = opts.informers.forResource<JobObject>(resources.jobs);
    this.pods = opts.informers.forResource<PodObject>(resources.pods, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } });
    this.jobs.addEventHandler({
      onAdd: (j) => this.queue.add(keyOf(j)),
      onUpdate: (_o, j) => this.queue.add(keyOf(j)),
      onDelete: (obj) => this.queue.add(keyOf(unwrapTombstone(obj))),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(undefined, p),
      onUpdate: (o, p) => this.podChanged(o, p),
      onDelete: (obj) => this.podGone(unwrapTombstone(obj)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  /** The key of the Job controlling a pod (by reference: the Job may already be gone). */
  private ownerKey(pod: PodObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== "Job" || !ref.apiVersion?.startsWith("batch/")) return undefined;
    return `${pod.metadata?.namespace ?? ""}/${ref.name}`;
  }

  private podChanged(old: PodObject | undefined, pod: PodObject): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    if (!old) this.expectations.creationObserved(key);
    if (pod.metadata?.deletionTimestamp && !old?.metadata?.deletionTimestamp) this.expectations.deletionObserved(key);
    if (!hasTrackingFinalizer(pod)) this.finalizerRemovals.get(key)?.delete(pod.metadata?.uid ?? "");
    this.queue.add(key);
  }

  private podGone(pod: PodObject): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    if (!pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(key);
    this.finalizerRemovals.get(key)?.delete(pod.metadata?.uid ?? "");
    this.queue.add(key);
  }

  /** The cached Job, or what this controller last wrote when the cache still shows the version it replaced. */
  private latest(key: string, cached: JobObject): JobObject {
    const w = this.written.get(key);
    if (!w) return cached;
    if (w.replaced.has(cached.metadata?.resourceVersion ?? "")) return w.job;
    this.written.delete(key);
    return cached;
  }

  private async writeStatus(key: string, job: JobObject, status: JobStatus): Promise<JobObject> {
    const next: JobObject = { ...structuredClone(job), status };
    const stored = await this.jobClient.updateStatus(job.metadata?.namespace, next);
    const w = this.written.get(key) ?? { replaced: new Set<string>(), job: stored };
    w.replaced.add(job.metadata?.resourceVersion ?? "");
    w.job = stored;
    this.written.set(key, w);
    return stored;
  }

  private podsOf(job: JobObject): PodObject[] {
    const uid = job.metadata?.uid ?? "";
    return this.pods.indexer.byIndex(OWNER_UID_INDEX, uid).filter((p) => controllerRefOf(p)?.uid === uid);
  }

  /** Our pods, after adopting orphans that match the selector and releasing ours that no longer do. */
  private async claimPods(job: JobObject): Promise<PodObject[]> {
    const ns = job.metadata?.namespace ?? "";
    const selector = jobSelector(job);
    const claim = await claimObjects(this.pods.lister().namespace(ns).list(), {
      owner: job,
      selector,
      controllerRef: newControllerRef(job, "batch/v1", "Job"),
      patch: async (pod, body) => {
        // An adopted pod gets the tracking finalizer too, so its end is counted like any other.
        const meta = (body as { metadata: { ownerReferences?: Array<{ uid?: string }> | null; finalizers?: string[] } }).metadata;
        if (meta.ownerReferences?.some((r) => r.uid === job.metadata?.uid) && !(pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) meta.finalizers = [...(pod.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER];
        await this.podWriter.patch(ns, pod.metadata?.name ?? "", "merge", body);
      },
      canAdopt: async () => {
        try {
          const fresh = await this.jobClient.get(ns, job.metadata?.name ?? "");
          return fresh.metadata?.uid === job.metadata?.uid && !fresh.metadata?.deletionTimestamp;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
      },
    });
    if (claim.errors.length) throw claim.errors[0];
    return claim.claimed;
  }

  async sync(key: string): Promise<SyncResult | void> {
    const cached = this.jobs.indexer.get(key);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      this.backoff.delete(key);
      this.written.delete(key);
      await this.releaseOrphans(key);
      return;
    }
    const job = this.latest(key, cached);
    if (finishedCondition(job) || job.metadata?.deletionTimestamp) {
      // Whatever still carries our finalizer (pods deleted after the end, a crash mid-way) is let go.
      const pending = this.finalizerRemovals.get(key);
      await this.removeFinalizers(key, this.podsOf(job).filter((p) => hasTrackingFinalizer(p) && !pending?.has(p.metadata?.uid ?? "")));
      return this.expireFinished(job);
    }
    return this.syncActive(key, job, await this.claimPods(job));
  }

  private async syncActive(key: string, job: JobObject, pods: PodObject[]): Promise<SyncResult | void> {
    const now = this.clock.now();
    const spec = job.spec ?? { template: {} };
    const indexed = isIndexed(job);
    const completions = spec.completions ?? (indexed ? 1 : undefined);
    const parallelism = spec.parallelism ?? 1;
    const backoffLimit = spec.backoffLimit ?? (spec.backoffLimitPerIndex !== undefined ? Infinity : DEFAULT_BACKOFF_LIMIT);
    const status: JobStatus = structuredClone(job.status ?? {});
    const uncSucc = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const uncFail = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const completed = parseIndexes(status.completedIndexes);
    const failedIdx = parseIndexes(status.failedIndexes);
    let failureTarget = isTrue(status, "FailureTarget") ? findCondition(status, "FailureTarget") : undefined;
    let successTarget = isTrue(status, "SuccessCriteriaMet") ? findCondition(status, "SuccessCriteriaMet") : undefined;
    const pendingRemoval = this.finalizerRemovals.get(key) ?? new Set<string>();
    const ignored: PodObject[] = [];
    let newSucc = 0;
    let newFail = 0;

    // 1. Newly finished pods that still carry the finalizer and are not yet in the status.
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      if (!hasTrackingFinalizer(pod) || pendingRemoval.has(uid) || uncSucc.has(uid) || uncFail.has(uid)) continue;
      const idx = indexed ? completionIndex(pod, completions ?? 1) : undefined;
      if (pod.status?.phase === "Succeeded") {
        uncSucc.add(uid);
        newSucc++;
        if (idx !== undefined && !failedIdx.has(idx)) completed.add(idx);
      } else if (isPodFailed(pod, job)) {
        const match = pod.status?.phase === "Failed" ? matchPodFailurePolicy(spec.podFailurePolicy, pod) : undefined;
        if (match?.action === "Ignore") {
          ignored.push(pod);
          continue;
        }
        uncFail.add(uid);
        newFail++;
        if (match?.action === "FailJob" && !failureTarget && !successTarget) failureTarget = target("FailureTarget", REASON.podFailurePolicy, match.message);
        if (idx !== undefined && spec.backoffLimitPerIndex !== undefined && !completed.has(idx)) {
          if (match?.action === "FailIndex" || indexFailureCount(pod) >= spec.backoffLimitPerIndex) failedIdx.add(idx);
        }
      }
    }
    this.recordBackoff(key, newSucc, newFail);

    const active = pods.filter(isActive);
    const succeeded = indexed ? completed.size : (status.succeeded ?? 0) + uncSucc.size;
    const failed = (status.failed ?? 0) + uncFail.size;
    const suspended = spec.suspend === true;
    let requeueMs: number | undefined;
    const soonest = (ms: number | undefined): void => {
      if (ms !== undefined && ms >= 0) requeueMs = requeueMs === undefined ? ms : Math.min(requeueMs, ms);
    };

    // 2. Has the Job reached its end? (Decided once: the interim condition then stays.)
    if (!suspended && suspendedCondition(status)) {
      setCondition(status, { type: "Suspended", status: "False", reason: REASON.resumed, message: MESSAGE.resumed }, now);
      // The deadline counts from the resume, not from the first start.
      status.startTime = rfc3339(now);
      this.recorder.event(typed(job), "Normal", "Resumed", "Job resumed");
    }
    if (!suspended) status.startTime ??= rfc3339(now);
    if (!failureTarget && !successTarget) {
      // Not decided by a FailJob rule above: the limits, the deadline, the indexes, then success.
      const deadlineMs = spec.activeDeadlineSeconds !== undefined && status.startTime && !suspended ? timeMs(status.startTime) + spec.activeDeadlineSeconds * 1000 - now : undefined;
      if (failed > backoffLimit) failureTarget = target("FailureTarget", REASON.backoffLimitExceeded, MESSAGE.backoffLimitExceeded);
      else if (deadlineMs !== undefined && deadlineMs <= 0) failureTarget = target("FailureTarget", REASON.deadlineExceeded, MESSAGE.deadlineExceeded);
      else if (indexed && spec.maxFailedIndexes !== undefined && failedIdx.size > spec.maxFailedIndexes)
        failureTarget = target("FailureTarget", REASON.maxFailedIndexesExceeded, MESSAGE.maxFailedIndexesExceeded);
      else if (indexed && failedIdx.size > 0 && completed.size + failedIdx.size >= (completions ?? 1)) failureTarget = target("FailureTarget", REASON.failedIndexes, MESSAGE.failedIndexes);
      soonest(deadlineMs);
      if (!failureTarget) {
        const policy = successPolicyMatch(spec.successPolicy, completed);
        if (indexed && policy) successTarget = target("SuccessCriteriaMet", REASON.successPolicy, policy);
        else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0)
          successTarget = target("SuccessCriteriaMet", REASON.completionsReached, MESSAGE.completionsReached);
      }
    }
    if (failureTarget && setCondition(status, asInterim("FailureTarget", failureTarget), now))
      this.recorder.event(typed(job), "Warning", failureTarget.reason ?? "", failureTarget.message ?? "");
    if (successTarget && setCondition(status, asInterim("SuccessCriteriaMet", successTarget), now)) this.recorder.event(typed(job), "Normal", "Completed", "Job completed");

    // Once the end is decided every pod still tracked is let go: those that did not succeed count as failures
    // of a failing Job (unless a podFailurePolicy rule says otherwise); a succeeding Job just stops tracking them.
    if (failureTarget || successTarget) {
      for (const pod of pods) {
        const uid = pod.metadata?.uid ?? "";
        if (!hasTrackingFinalizer(pod) || pendingRemoval.has(uid) || uncSucc.has(uid) || uncFail.has(uid) || ignored.includes(pod)) continue;
        if (pod.status?.phase === "Succeeded") continue;
        const match = failureTarget ? matchPodFailurePolicy(spec.podFailurePolicy, pod) : undefined;
        if (failureTarget && match?.action !== "Ignore") uncFail.add(uid);
        else ignored.push(pod);
      }
    }

    // 3. Pods: create or delete toward what the Job wants (only once earlier writes have been observed).
    let created = 0;
    let deleted = 0;
    if (this.expectations.satisfiedExpectations(key)) {
      if (failureTarget || successTarget) {
        // The end is decided: stop whatever still runs, keeping finalizers so failures are still counted.
        deleted = await this.deletePods(key, job, active, { keepFinalizer: true });
      } else if (suspended) {
        deleted = await this.deletePods(key, job, active, { keepFinalizer: false });
        if (!suspendedCondition(status)) this.recorder.event(typed(job), "Normal", "Suspended", "Job suspended");
        setCondition(status, { type: "Suspended", status: "True", reason: REASON.suspended, message: MESSAGE.suspended }, now);
      } else {
        const plan = indexed ? planIndexed(job, pods, active, completed, failedIdx, completions ?? 1, parallelism) : planNonIndexed(active, succeeded, completions, parallelism, onlyReplaceFailed(job) ? pods.filter(isTerminating).length : 0);
        deleted = await this.deletePods(key, job, plan.remove, { keepFinalizer: false });
        if (plan.create.length) {
          const wait = this.backoffRemaining(key, now);
          if (wait > 0) soonest(wait);
          else created = await this.createPods(key, job, plan.create);
        }
      }
    }

    // 4. Counting: record new uids, then drop finalizers, then move the uids into the counters.
    status.completedIndexes = indexed ? formatIndexes(completed) : status.completedIndexes;
    if (indexed && spec.backoffLimitPerIndex !== undefined) status.failedIndexes = formatIndexes(failedIdx);
    status.uncountedTerminatedPods = { succeeded: [...uncSucc], failed: [...uncFail] };
    status.active = Math.max(0, active.length - deleted + created);
    status.ready = active.filter(isPodReady).length;
    status.terminating = pods.filter(isTerminating).length;
    if (indexed) status.succeeded = completed.size;
    let current = job;
    // Uids must be in the stored status before their finalizers go, or a crash in between would lose them.
    const recorded = new Set([...(job.status?.uncountedTerminatedPods?.succeeded ?? []), ...(job.status?.uncountedTerminatedPods?.failed ?? [])]);
    if ([...uncSucc, ...uncFail].some((u) => !recorded.has(u))) current = await this.writeStatus(key, current, compactStatus(status));
    const byUid = new Map(pods.map((p) => [p.metadata?.uid ?? "", p]));
    const toRelease = [...ignored, ...[...uncSucc, ...uncFail].map((u) => byUid.get(u)).filter((p): p is PodObject => p !== undefined && hasTrackingFinalizer(p) && !pendingRemoval.has(p.metadata?.uid ?? ""))];
    const released = await this.removeFinalizers(key, toRelease);
    const stillHeld = (uid: string): boolean => {
      const p = byUid.get(uid);
      return p !== undefined && hasTrackingFinalizer(p) && !released.has(uid) && !this.finalizerRemovals.get(key)?.has(uid);
    };
    for (const uid of [...uncSucc]) {
      if (stillHeld(uid)) continue;
      uncSucc.delete(uid);
      // Indexed Jobs count succeeded indexes (set above), not pods.
      if (!indexed) status.succeeded = (status.succeeded ?? 0) + 1;
    }
    for (const uid of [...uncFail]) {
      if (stillHeld(uid)) continue;
      uncFail.delete(uid);
      status.failed = (status.failed ?? 0) + 1;
    }
    status.uncountedTerminatedPods = { succeeded: [...uncSucc], failed: [...uncFail] };
    status.succeeded ??= 0;
    status.failed ??= 0;

    // 5. The terminal condition once nothing of the Job runs and every pod is counted.
    const end = failureTarget ?? successTarget;
    const quiet = active.length === 0 && pods.every((p) => !isTerminating(p) && !hasTrackingFinalizer(p)) && uncSucc.size + uncFail.size === 0;
    if (end && quiet) {
      const type = failureTarget ? "Failed" : "Complete";
      setCondition(status, { type, status: "True", reason: end.reason ?? "", message: end.message ?? "" }, now);
      if (type === "Complete") status.completionTime = rfc3339(now);
      this.backoff.delete(key);
    }
    const finalStatus = compactStatus(status);
    if (!semanticEqual(finalStatus, current.status ?? {})) current = await this.writeStatus(key, current, finalStatus);
    if (end && quiet) {
      const ttl = await this.expireFinished(current);
      soonest(ttl?.requeueAfterMs);
    }
    return requeueMs !== undefined ? { requeueAfterMs: Math.max(1, requeueMs) } : undefined;
  }

  private recordBackoff(key: string, successes: number, failures: number): void {
    if (successes > 0) this.backoff.delete(key);
    if (failures === 0) return;
    const r = this.backoff.get(key) ?? { failures: 0, lastFailureMs: 0 };
    this.backoff.set(key, { failures: r.failures + failures, lastFailureMs: this.clock.now() });
  }

  /** How long new pods must still wait after the last failures: base * 2^(failures-1), capped. */
  backoffRemaining(key: string, now: number): number {
    const r = this.backoff.get(key);
    if (!r || r.failures === 0) return 0;
    const base = this.opts.backoffBaseMs ?? POD_FAILURE_BACKOFF_MS;
    const delay = Math.min(base * 2 ** (r.failures - 1), this.opts.backoffMaxMs ?? MAX_POD_FAILURE_BACKOFF_MS);
    return r.lastFailureMs + delay - now;
  }

  private async createPods(key: string, job: JobObject, plan: Array<{ index?: number; failureCount?: number }>): Promise<number> {
    this.expectations.expectCreations(key, plan.length);
    let ok = 0;
    let error: unknown;
    await Promise.all(
      plan.map(async (p) => {
        try {
          await this.podWriter.create(job.metadata?.namespace ?? "", podForJob(job, p), typed(job));
          ok++;
        } catch (err) {
          this.expectations.creationObserved(key);
          error ??= err;
        }
      }),
    );
    if (error) throw error;
    return ok;
  }

  /** Deletes pods; unless keepFinalizer, their finalizer goes first so they leave without being counted. */
  private async deletePods(key: string, job: JobObject, pods: PodObject[], o: { keepFinalizer: boolean }): Promise<number> {
    if (pods.length === 0) return 0;
    if (!o.keepFinalizer) await this.removeFinalizers(key, pods.filter(hasTrackingFinalizer));
    this.expectations.expectDeletions(key, pods.length);
    let ok = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await this.podWriter.delete(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", { uid: pod.metadata?.uid, owner: typed(job) });
          ok++;
        } catch (err) {
          this.expectations.deletionObserved(key);
          if (!isNotFound(err)) error ??= err;
        }
      }),
    );
    if (error) throw error;
    return ok;
  }

  /** Removes the tracking finalizer from each pod; answers the uids done (or already gone). */
  private async removeFinalizers(key: string, pods: PodObject[]): Promise<Set<string>> {
    const done = new Set<string>();
    let error: unknown;
    let pending = this.finalizerRemovals.get(key);
    if (!pending) this.finalizerRemovals.set(key, (pending = new Set()));
    await Promise.all(
      pods.map(async (pod) => {
        const uid = pod.metadata?.uid ?? "";
        const finalizers = pod.metadata?.finalizers ?? [];
        const ops = [
          { op: "test", path: "/metadata/uid", value: uid },
          { op: "test", path: "/metadata/finalizers", value: finalizers },
          { op: "replace", path: "/metadata/finalizers", value: finalizers.filter((f) => f !== JOB_TRACKING_FINALIZER) },
        ];
        try {
          await this.podWriter.patch(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", "json", ops);
          pending.add(uid);
          done.add(uid);
        } catch (err) {
          if (isNotFound(err)) done.add(uid);
          else error ??= err;
        }
      }),
    );
    if (error) throw error;
    return done;
  }

  /** Pods of a deleted Job still holding our finalizer would never go away: release them. */
  private async releaseOrphans(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const orphans = this.pods
      .lister()
      .namespace(namespace)
      .list((p) => hasTrackingFinalizer(p) && controllerRefOf(p)?.kind === "Job" && controllerRefOf(p)?.name === name);
    await this.removeFinalizers(key, orphans);
    this.finalizerRemovals.delete(key);
  }

  /**
   * ttlSecondsAfterFinished: deletes the finished Job once the TTL has passed, in the foreground (as Kubernetes'
   * TTL-after-finished controller does), so the Job is gone only after the garbage collector removed its pods.
   */
  private async expireFinished(job: JobObject): Promise<SyncResult | void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    const done = finishedCondition(job);
    if (ttl === undefined || !done || job.metadata?.deletionTimestamp) return;
    const finishedAt = timeMs(job.status?.completionTime ?? done.lastTransitionTime);
    const left = finishedAt + ttl * 1000 - this.clock.now();
    if (left > 0) return { requeueAfterMs: left };
    try {
      await this.jobClient.delete(job.metadata?.namespace, job.metadata?.name ?? "", { propagationPolicy: "Foreground", preconditions: { uid: job.metadata?.uid } });
      this.log.info("deleted finished job after its TTL", { job: keyOf(job), ttlSeconds: ttl });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** spec.selector as the API server defaults it, or the controller-uid label every pod of the Job carries. */
function jobSelector(job: JobObject): Selector {
  try {
    if (job.spec?.selector) return selectorFromLabelSelector(job.spec.selector);
  } catch {
    return nothing();
  }
  return selectorFromSet({ [CONTROLLER_UID_LABEL]: job.metadata?.uid ?? "" });
}

function target(type: "FailureTarget" | "SuccessCriteriaMet", reason: string, message: string): JobCondition {
  return { type, status: "True", reason, message };
}

function asInterim(type: "FailureTarget" | "SuccessCriteriaMet", c: JobCondition): { type: JobConditionType; status: "True"; reason: string; message: string } {
  return { type, status: "True", reason: c.reason ?? "", message: c.message ?? "" };
}

function suspendedCondition(status: JobStatus): boolean {
  return isTrue(status, "Suspended");
}

/** Drops empty optional parts so the status compares and reads as Kubernetes writes it. */
function compactStatus(s: JobStatus): JobStatus {
  const out: JobStatus = { ...s };
  const u = out.uncountedTerminatedPods;
  if (u) out.uncountedTerminatedPods = { ...(u.succeeded?.length ? { succeeded: u.succeeded } : {}), ...(u.failed?.length ? { failed: u.failed } : {}) };
  if (out.completedIndexes === "") delete out.completedIndexes;
  if (out.failedIndexes === undefined) delete out.failedIndexes;
  return out;
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

function typed(job: JobObject): JobObject {
  return job.kind ? job : { ...job, apiVersion: "batch/v1", kind: "Job" };
}

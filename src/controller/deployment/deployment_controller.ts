// The Deployment controller: one ReplicaSet per pod template (named <deployment>-<pod-template-hash>), rolled
// forward by the RollingUpdate or Recreate strategy, scaled proportionally when replicas change mid-rollout,
// frozen (but still scalable) while paused, with revisions on ReplicaSets so `kubectl rollout undo` (which puts
// an old template back) finds and revives the old ReplicaSet. Events only enqueue Deployment keys; sync(key)
// reads listers, claims ReplicaSets, and runs one step.
import { realClock, type Clock } from "../../client/clock.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc, splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound } from "../../machinery/errors.js";
import { selectorFromLabelSelector, type Selector } from "../../machinery/labels.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { claimCandidates, claimObjects, ORPHAN_INDEX, orphanIndexFunc } from "../replicaset/claim.js";
import { WrittenObjects } from "../replicaset/written_objects.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { controllerRefOf, newControllerRef, type PodObject } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";
import { desiredReplicasOf } from "./annotations.js";
import { ApiAppsControl, type AppsControl } from "./apps_control.js";
import { DeploymentSync } from "./deployment_sync.js";
import { checkPausedConditions } from "./progress.js";
import { rolloutRecreate } from "./recreate.js";
import { rolloutRolling } from "./rolling.js";
import { scaleDeployment } from "./scale.js";
import { filterActive, isRollingUpdate, replicasOf, type DeploymentObject, type ReplicaSetObject } from "./util.js";

export interface DeploymentControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  control?: AppsControl;
  recorder?: EventSink;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class DeploymentController implements Controller {
  readonly name = "deployment-controller";
  readonly queue: WorkQueue<string>;
  private readonly deployments: SharedInformer<DeploymentObject>;
  private readonly replicaSets: SharedInformer<ReplicaSetObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly control: AppsControl;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Our status writes the Deployment informer has not delivered yet. */
  private readonly written = new WrittenObjects<DeploymentObject>();

  constructor(private readonly opts: DeploymentControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "deployment", clock: this.clock });
    this.control = opts.control ?? new ApiAppsControl(opts.client);
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.deployments = opts.informers.forResource<DeploymentObject>(resources.deployments);
    this.replicaSets = opts.informers.forResource<ReplicaSetObject>(resources.replicasets, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc, [ORPHAN_INDEX]: orphanIndexFunc } });
    this.pods = opts.informers.forResource<PodObject>(resources.pods, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } });
    this.deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (obj) => {
        const d = unwrapTombstone(obj);
        this.written.forget(`${d.metadata?.namespace ?? ""}/${d.metadata?.name ?? ""}`);
        this.enqueue(d);
      },
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.rsChanged(old, rs),
      onDelete: (obj) => {
        const d = this.resolveOwner(unwrapTombstone(obj));
        if (d) this.enqueue(d);
      },
    });
    this.pods.addEventHandler({ onDelete: (obj) => this.podDeleted(unwrapTombstone(obj)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  private enqueue(d: DeploymentObject): void {
    this.queue.add(`${d.metadata?.namespace ?? ""}/${d.metadata?.name ?? ""}`);
  }

  private resolveOwner(rs: ReplicaSetObject): DeploymentObject | undefined {
    const ref = controllerRefOf(rs);
    if (!ref || ref.kind !== "Deployment") return undefined;
    const d = this.deployments.indexer.get(`${rs.metadata?.namespace}/${ref.name}`);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  private matchingDeployments(rs: ReplicaSetObject): DeploymentObject[] {
    const labels = rs.metadata?.labels ?? {};
    return this.deployments
      .lister()
      .namespace(rs.metadata?.namespace ?? "")
      .list((d) => safeSelector(d)?.matches(labels) ?? false);
  }

  private rsChanged(old: ReplicaSetObject | undefined, rs: ReplicaSetObject): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldRef = old ? controllerRefOf(old) : undefined;
    const curRef = controllerRefOf(rs);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const prev = this.resolveOwner(old!);
      if (prev) this.enqueue(prev);
    }
    if (curRef) {
      const d = this.resolveOwner(rs);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = !old || JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {});
    if (labelsChanged || oldRef) for (const d of this.matchingDeployments(rs)) this.enqueue(d);
  }

  /** A Recreate rollout waits for old pods to be gone: their deletion is news for it. */
  private podDeleted(pod: PodObject): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== "ReplicaSet") return;
    const rs = this.replicaSets.indexer.get(`${pod.metadata?.namespace}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.resolveOwner(rs);
    if (d && !isRollingUpdate(d)) this.enqueue(d);
  }

  /**
   * One sync of the key. A write conflict means our cache was behind the object: not a failure worth a warning,
   * just a reason to look again once the informer has caught up (rate limited, so a hot object cannot spin us).
   */
  async sync(key: string): Promise<SyncResult | void> {
    try {
      return await this.syncOnce(key);
    } catch (err) {
      if (!isConflict(err)) throw err;
      this.log.debug("write conflict, cache behind; retrying", { key, err });
      this.queue.addRateLimited(key);
    }
  }

  private async syncOnce(key: string): Promise<SyncResult | void> {
    const cached = this.deployments.indexer.get(key);
    if (!cached) {
      this.written.forget(key);
      return;
    }
    const d: DeploymentObject = { ...this.written.latest(key, cached)!, apiVersion: "apps/v1", kind: "Deployment" };
    const ctx = new DeploymentSync({ control: this.control, recorder: this.recorder, clock: this.clock, log: this.log }, d, [], new Map());
    try {
      return await this.syncWith(ctx, key);
    } finally {
      // Status written and nothing else after it: the next sync may start before the informer shows it.
      if (ctx.written && ctx.d === ctx.written) this.written.written(key, cached.metadata?.resourceVersion, d, ctx.written);
    }
  }

  private async syncWith(ctx: DeploymentSync, key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const d = ctx.d;
    const selector = safeSelector(d);
    if (!selector || selector.empty()) {
      this.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) await ctx.writeStatus({ ...d.status, observedGeneration: d.metadata?.generation });
      return;
    }
    ctx.rsList = await this.claimReplicaSets(d, selector, namespace, name);
    for (const rs of ctx.rsList) {
      const pods = this.pods.lister().byIndex(OWNER_UID_INDEX, rs.metadata?.uid ?? "").filter((p) => controllerRefOf(p)?.uid === rs.metadata?.uid && selector.matches(p.metadata?.labels ?? {}));
      ctx.podMap.set(rs.metadata?.uid ?? "", pods);
    }
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await ctx.getAllReplicaSetsAndSyncRevision(false);
      await ctx.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return;
    }
    await checkPausedConditions(ctx);
    if (ctx.d.spec?.paused || this.isScalingEvent(ctx)) {
      await this.scaleAndSync(ctx);
    } else if (isRollingUpdate(ctx.d)) {
      await rolloutRolling(ctx);
    } else {
      await rolloutRecreate(ctx);
    }
    if (ctx.requeueAfterMs !== undefined) return { requeueAfterMs: ctx.requeueAfterMs };
  }

  /** An active ReplicaSet was last sized for a different replica count: the user scaled the Deployment. */
  private isScalingEvent(ctx: DeploymentSync): boolean {
    const desired = replicasOf(ctx.d);
    return filterActive(ctx.rsList).some((rs) => {
      const v = desiredReplicasOf(rs);
      return v !== undefined && v !== desired;
    });
  }

  /** Paused or scaled: resize ReplicaSets without progressing the rollout, then report status. */
  private async scaleAndSync(ctx: DeploymentSync): Promise<void> {
    let { newRS, oldRSs } = await ctx.getAllReplicaSetsAndSyncRevision(false);
    await scaleDeployment(ctx, newRS, oldRSs);
    newRS = newRS && ctx.rsList.find((rs) => rs.metadata?.uid === newRS!.metadata?.uid);
    oldRSs = ctx.rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
    if (ctx.d.spec?.paused) {
      await ctx.cleanupDeployment(oldRSs);
      oldRSs = ctx.rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
    }
    await ctx.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  /** The ReplicaSets this Deployment controls, after adopting matching orphans and releasing strays. */
  private async claimReplicaSets(d: DeploymentObject, selector: Selector, namespace: string, name: string): Promise<ReplicaSetObject[]> {
    const candidates = claimCandidates(this.replicaSets.lister(), namespace, d.metadata?.uid);
    const res = await claimObjects(candidates, {
      owner: d,
      selector,
      controllerRef: newControllerRef(d, "apps/v1", "Deployment"),
      patch: (rs, body) => this.control.patchReplicaSet(namespace, rs.metadata?.name ?? "", body),
      canAdopt: async () => {
        try {
          const fresh = await this.control.getDeployment(namespace, name);
          return fresh.metadata?.uid === d.metadata?.uid && !fresh.metadata?.deletionTimestamp;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
      },
    });
    if (res.errors.length) throw res.errors[0];
    return res.claimed;
  }
}

function safeSelector(d: DeploymentObject): Selector | undefined {
  try {
    return selectorFromLabelSelector(d.spec?.selector);
  } catch {
    return undefined;
  }
}

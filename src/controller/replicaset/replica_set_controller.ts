// The ReplicaSet controller (and, parameterized by WorkloadKind, the ReplicationController manager): keeps
// spec.replicas active pods matching the selector. Informer events only enqueue owner keys; sync(key) claims the
// matching pods (adopting orphans, releasing pods whose labels stopped matching), creates or deletes the
// difference behind expectations (so a burst is not repeated while the pod informer catches up), and always
// recomputes status through the status subresource.
import type { ResourceClient } from "../../client/types.js";
import { realClock, type Clock } from "../../client/clock.js";
import { UidTrackingExpectations } from "../../client/expectations.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc, splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { apiVersionOf, resources } from "../../client/resources.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound, isStatusError } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { Controller } from "../types.js";
import { claimCandidates, claimObjects, ORPHAN_INDEX, orphanIndexFunc } from "./claim.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { ApiPodControl, type PodControl } from "./pod_control.js";
import { controllerRefOf, isPodActive, isPodReady, newControllerRef, type PodObject } from "./pod_utils.js";
import { podsToDelete } from "./ranking.js";
import { slowStartBatch } from "./slow_start.js";
import { calculateStatus, statusUpToDate, type ManageError } from "./status.js";
import { REPLICA_SET, type ReplicaSetLike, type WorkloadKind } from "./workload_kind.js";
import { WrittenObjects } from "./written_objects.js";

/** Kubernetes' burstReplicas: at most this many creates or deletes per sync, so one sync cannot flood the API. */
export const BURST_REPLICAS = 500;

/** The owner reads and writes the controller needs; a ResourceClient is one. */
export type OwnerClient<T> = Pick<ResourceClient<T & ReplicaSetLike>, "get" | "updateStatus">;

export interface ReplicaSetControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** ReplicaSets (default) or ReplicationControllers. */
  kind?: WorkloadKind;
  podControl?: PodControl;
  ownerClient?: OwnerClient<ReplicaSetLike>;
  recorder?: EventSink;
  burstReplicas?: number;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class ReplicaSetController implements Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly expectations: UidTrackingExpectations;
  private readonly kind: WorkloadKind;
  private readonly owners: SharedInformer<ReplicaSetLike>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly podControl: PodControl;
  private readonly ownerClient: OwnerClient<ReplicaSetLike>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly apiVersion: string;
  /** Our status writes the owner informer has not delivered yet. */
  private readonly written = new WrittenObjects<ReplicaSetLike>();

  constructor(private readonly opts: ReplicaSetControllerOptions) {
    this.kind = opts.kind ?? REPLICA_SET;
    this.name = this.kind.controllerName;
    this.apiVersion = apiVersionOf(this.kind.ref);
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: this.kind.ref.resource, clock: this.clock });
    this.expectations = new UidTrackingExpectations({ clock: this.clock });
    const recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.podControl = opts.podControl ?? new ApiPodControl(opts.client, recorder);
    this.ownerClient = opts.ownerClient ?? opts.client.resource<ReplicaSetLike>(this.kind.ref);
    this.owners = opts.informers.forResource<ReplicaSetLike>(this.kind.ref, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } });
    this.pods = opts.informers.forResource<PodObject>(resources.pods, { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc, [ORPHAN_INDEX]: orphanIndexFunc } });
    this.owners.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (obj) => {
        const rs = unwrapTombstone(obj);
        this.expectations.deleteExpectations(keyOf(rs));
        this.written.forget(keyOf(rs));
        this.enqueue(rs);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, cur) => this.podUpdated(old, cur),
      onDelete: (obj) => this.podDeleted(unwrapTombstone(obj)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  private enqueue(rs: ReplicaSetLike): void {
    this.queue.add(keyOf(rs));
  }

  /** The owner named by the pod's controller reference, if it is one of ours and still the same object. */
  private resolveOwner(pod: PodObject): ReplicaSetLike | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== this.kind.ref.kind || ref.apiVersion?.split("/")[0] !== this.apiVersion.split("/")[0]) return undefined;
    const rs = this.owners.indexer.get(`${pod.metadata?.namespace}/${ref.name}`);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** Owners in the pod's namespace whose selector matches it: candidates to adopt an orphan. */
  private matchingOwners(pod: PodObject): ReplicaSetLike[] {
    const labels = pod.metadata?.labels ?? {};
    return this.owners
      .lister()
      .namespace(pod.metadata?.namespace ?? "")
      .list((rs) => this.kind.selectorOf(rs).matches(labels));
  }

  private podAdded(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    if (controllerRefOf(pod)) {
      const rs = this.resolveOwner(pod);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingOwners(pod)) this.enqueue(rs);
  }

  private podUpdated(old: PodObject, cur: PodObject): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // A graceful deletion starts with a deletionTimestamp: the pod no longer counts, act now rather than
      // waiting for the kubelet to finish.
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const curRef = controllerRefOf(cur);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const prev = this.resolveOwner(old);
      if (prev) this.enqueue(prev);
    }
    if (curRef) {
      const rs = this.resolveOwner(cur);
      if (!rs) return;
      this.enqueue(rs);
      // A pod that just turned ready becomes available by time alone: look again then. The extra second absorbs
      // the difference between our clock and the condition's lastTransitionTime (second resolution).
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingOwners(cur)) this.enqueue(rs);
  }

  private podDeleted(pod: PodObject): void {
    const rs = this.resolveOwner(pod);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), pod.metadata?.uid);
    this.enqueue(rs);
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
    const { namespace, name } = splitKey(key);
    const cached = this.owners.indexer.get(key);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      this.written.forget(key);
      return;
    }
    const rs = this.written.latest(key, cached)!;
    const needsSync = this.expectations.satisfiedExpectations(key);
    const selector = this.kind.selectorOf(rs);
    const candidates = claimCandidates(this.pods.lister(), namespace, rs.metadata?.uid).filter(isPodActive);
    const claim = await claimObjects(candidates, {
      owner: rs,
      selector,
      controllerRef: newControllerRef(rs, this.apiVersion, this.kind.ref.kind),
      patch: (pod, body) => this.podControl.patchPod(namespace, pod.metadata?.name ?? "", body),
      canAdopt: async () => {
        try {
          const fresh = await this.ownerClient.get(namespace, name);
          return fresh.metadata?.uid === rs.metadata?.uid && !fresh.metadata?.deletionTimestamp;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
      },
    });
    if (claim.errors.length) throw claim.errors[0];
    const active = claim.claimed;
    let manageErr: ManageError | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) manageErr = await this.manageReplicas(key, active, rs);
    const status = calculateStatus(rs, active, manageErr, this.clock.now());
    const answer = await this.writeStatus(rs, status);
    if (answer) this.written.written(key, cached.metadata?.resourceVersion, rs, answer);
    if (manageErr) throw manageErr.error;
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const replicas = rs.spec?.replicas ?? 1;
    // Pods ready but not yet available become available by time alone: look again when they should be.
    if (minReady > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas) return { requeueAfterMs: minReady * 1000 };
  }

  private async manageReplicas(key: string, active: PodObject[], rs: ReplicaSetLike): Promise<ManageError | undefined> {
    const namespace = rs.metadata?.namespace ?? "";
    const burst = this.opts.burstReplicas ?? BURST_REPLICAS;
    const diff = active.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const n = Math.min(-diff, burst);
      this.expectations.expectCreations(key, n);
      this.log.debug("too few replicas, creating", { key, need: -diff, creating: n });
      const ref = newControllerRef(rs, this.apiVersion, this.kind.ref.kind);
      const outcome = await slowStartBatch(n, 1, async () => {
        try {
          await this.podControl.createPod(namespace, rs.spec?.template, typed(rs, this.apiVersion, this.kind.ref.kind), ref);
        } catch (err) {
          // A terminating namespace refuses new pods: nothing to retry, the owner is about to go too.
          if (isStatusError(err, "Forbidden") && /being terminated/.test((err as Error).message)) return;
          throw err;
        }
      });
      // Creates that failed or were skipped will never be observed: stop expecting them.
      for (let i = outcome.successes; i < n; i++) this.expectations.creationObserved(key);
      return outcome.error ? { reason: "FailedCreate", error: outcome.error } : undefined;
    }
    if (diff > 0) {
      const n = Math.min(diff, burst);
      const victims = podsToDelete(active, this.relatedPods(rs), n);
      this.log.debug("too many replicas, deleting", { key, surplus: diff, deleting: n });
      this.expectations.expectDeletionsOf(
        key,
        victims.map((p) => p.metadata?.uid ?? ""),
      );
      let error: Error | undefined;
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.podControl.deletePod(namespace, pod.metadata?.name ?? "", pod.metadata?.uid ?? "", typed(rs, this.apiVersion, this.kind.ref.kind));
          } catch (err) {
            this.expectations.deletionObserved(key, pod.metadata?.uid);
            if (!isNotFound(err)) error ??= err as Error;
          }
        }),
      );
      return error ? { reason: "FailedDelete", error } : undefined;
    }
    return undefined;
  }

  /** Active pods of this workload and of its siblings (the other ReplicaSets of the same Deployment). */
  private relatedPods(rs: ReplicaSetLike): PodObject[] {
    const parent = controllerRefOf(rs);
    const owners = parent
      ? this.owners
          .lister()
          .byIndex(OWNER_UID_INDEX, parent.uid)
          .filter((o) => o.metadata?.namespace === rs.metadata?.namespace && controllerRefOf(o)?.uid === parent.uid)
      : [rs];
    return owners.flatMap((o) => this.pods.lister().byIndex(OWNER_UID_INDEX, o.metadata?.uid ?? "")).filter(isPodActive);
  }

  /** Writes the status when it changed; answers the written object (undefined: nothing written). */
  private async writeStatus(rs: ReplicaSetLike, status: ReturnType<typeof calculateStatus>): Promise<ReplicaSetLike | undefined> {
    if (statusUpToDate(rs, status)) return undefined;
    const ns = rs.metadata?.namespace;
    let current = rs;
    // One retry with a fresh read on a conflict, as Kubernetes' statusUpdateRetries = 1.
    for (let attempt = 0; ; attempt++) {
      const next: ReplicaSetLike = { ...current, status: { ...status, observedGeneration: current.metadata?.generation } };
      try {
        return await this.ownerClient.updateStatus(ns, next);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (attempt >= 1 || !isConflict(err)) throw err;
        current = await this.ownerClient.get(ns, rs.metadata?.name ?? "");
        // Someone (often our own earlier write, not yet in the cache) already stored this status.
        if (statusUpToDate(current, status)) return current;
      }
    }
  }
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

/** List items may lack apiVersion/kind; events need them to name the object. */
function typed(rs: ReplicaSetLike, apiVersion: string, kind: string): ReplicaSetLike {
  return rs.kind ? rs : { ...rs, apiVersion, kind };
}

// The StatefulSet controller: pods with stable identities <set>-0..N-1 (hostname, subdomain, pod-name and
// pod-index labels) and stable storage (a PersistentVolumeClaim per volumeClaimTemplate and ordinal, created before
// the pod and owned per persistentVolumeClaimRetentionPolicy). What to create or delete comes from planStatefulSet
// (ordered or parallel, partitioned rolling updates); this file keeps the revisions (currentRevision,
// updateRevision), performs the plan, and recomputes status.
import type { StatefulSetStatus } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc, splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isAlreadyExists, isConflict, isNotFound } from "../../machinery/errors.js";
import { nothing, selectorFromLabelSelector, type Selector } from "../../machinery/labels.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { ApiObjectWriter, type ObjectWriter } from "../history/object_writer.js";
import { ensureRevision, revisionsToPrune, sortRevisions, type RevisionObject, type RevisionStore } from "../history/revisions.js";
import { semanticEqual } from "../history/semantic_equal.js";
import { claimObjects } from "../replicaset/claim.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { controllerRefOf, isPodAvailable, newControllerRef, type PodObject } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";
import { planStatefulSet, type Action } from "./stateful_plan.js";
import {
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  claimOwnerRefs,
  claimsFor,
  isCreated,
  isRunningAndReady,
  isTerminating,
  ordinalOf,
  podForOrdinal,
  revisionOf,
  startOrdinal,
  statefulSetRevisionData,
  templateFromRevision,
  type ClaimObject,
  type StatefulSetObject,
} from "./stateful_pods.js";

export type StatefulSetClient = Pick<ResourceClient<StatefulSetObject>, "get" | "updateStatus">;

const DEFAULT_HISTORY_LIMIT = 10;

export interface StatefulSetControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  podWriter?: ObjectWriter<PodObject>;
  claimWriter?: ObjectWriter<ClaimObject>;
  revisions?: RevisionStore;
  setClient?: StatefulSetClient;
  recorder?: EventSink;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class StatefulSetController implements Controller {
  readonly name = "statefulset-controller";
  readonly queue: WorkQueue<string>;
  private readonly sets: SharedInformer<StatefulSetObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly claims: SharedInformer<ClaimObject>;
  private readonly revisionInformer: SharedInformer<RevisionObject>;
  private readonly podWriter: ObjectWriter<PodObject>;
  private readonly claimWriter: ObjectWriter<ClaimObject>;
  private readonly revisions: RevisionStore;
  private readonly setClient: StatefulSetClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: StatefulSetControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "statefulset", clock: this.clock });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.podWriter = opts.podWriter ?? new ApiObjectWriter<PodObject>(opts.client, resources.pods);
    this.claimWriter = opts.claimWriter ?? new ApiObjectWriter<ClaimObject>(opts.client, resources.persistentvolumeclaims);
    const revApi = opts.client.resource<RevisionObject>(resources.controllerrevisions);
    this.revisions = opts.revisions ?? { writer: new ApiObjectWriter<RevisionObject>(opts.client, resources.controllerrevisions), get: (ns, name) => revApi.get(ns, name) };
    this.setClient = opts.setClient ?? opts.client.resource<StatefulSetObject>(resources.statefulsets);
    const ownerIndex = { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } };
    this.sets = opts.informers.forResource<StatefulSetObject>(resources.statefulsets);
    this.pods = opts.informers.forResource<PodObject>(resources.pods, ownerIndex);
    this.claims = opts.informers.forResource<ClaimObject>(resources.persistentvolumeclaims);
    this.revisionInformer = opts.informers.forResource<RevisionObject>(resources.controllerrevisions, ownerIndex);
    this.sets.addEventHandler({ onAdd: (s) => this.queue.add(keyOf(s)), onUpdate: (_o, s) => this.queue.add(keyOf(s)) });
    const owned = (obj: KubeObject): void => {
      const ref = controllerRefOf(obj);
      if (ref?.kind === "StatefulSet") {
        this.queue.add(`${obj.metadata?.namespace ?? ""}/${ref.name}`);
        return;
      }
      // An orphan pod may be adopted by a set whose selector matches it.
      if (!ref && obj.kind !== "ControllerRevision")
        for (const s of this.sets.lister().namespace(obj.metadata?.namespace ?? "").list((x) => selectorOf(x).matches(obj.metadata?.labels ?? {}))) this.queue.add(keyOf(s));
    };
    this.pods.addEventHandler({ onAdd: owned, onUpdate: (_o, p) => owned(p), onDelete: (o) => owned(unwrapTombstone(o)) });
    this.revisionInformer.addEventHandler({ onAdd: owned, onUpdate: (_o, r) => owned(r), onDelete: (o) => owned(unwrapTombstone(o)) });
    // A claim that finished deleting may unblock its pod's creation.
    const claimGone = (c: ClaimObject): void => {
      const name = c.metadata?.name ?? "";
      for (const s of this.sets.lister().namespace(c.metadata?.namespace ?? "").list())
        if ((s.spec?.volumeClaimTemplates ?? []).some((t) => name.startsWith(`${t.metadata?.name}-${s.metadata?.name}-`))) this.queue.add(keyOf(s));
    };
    this.claims.addEventHandler({ onDelete: (o) => claimGone(unwrapTombstone(o)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  async sync(key: string): Promise<SyncResult | void> {
    const cached = this.sets.indexer.get(key);
    if (!cached) return;
    const set = typed(cached);
    const { namespace, name } = splitKey(key);
    if (set.metadata?.deletionTimestamp) return;
    const selector = selectorOf(set);
    const claim = await claimObjects(this.pods.lister().namespace(namespace).list(), {
      owner: set,
      selector,
      controllerRef: newControllerRef(set, "apps/v1", "StatefulSet"),
      patch: async (pod, body) => void (await this.podWriter.patch(namespace, pod.metadata?.name ?? "", "merge", body)),
      canAdopt: async () => {
        try {
          const fresh = await this.setClient.get(namespace, name);
          return fresh.metadata?.uid === set.metadata?.uid && !fresh.metadata?.deletionTimestamp;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
      },
    });
    if (claim.errors.length) throw claim.errors[0];
    const byOrdinal = new Map<number, PodObject>();
    for (const pod of claim.claimed) {
      const ord = ordinalOf(set, pod);
      if (ord !== undefined) byOrdinal.set(ord, pod);
    }

    // Revisions: the update revision is the template now; the current one is what status says the set runs.
    const history = this.revisionInformer.indexer.byIndex(OWNER_UID_INDEX, set.metadata?.uid ?? "").filter((r) => controllerRefOf(r)?.uid === set.metadata?.uid);
    const ensured = await ensureRevision(this.revisions, history, {
      owner: set,
      ownerApiVersion: "apps/v1",
      ownerKind: "StatefulSet",
      labels: set.spec?.template?.metadata?.labels ?? {},
      data: statefulSetRevisionData(set),
      collisionCount: set.status?.collisionCount ?? 0,
    });
    const updateRev = ensured.revision;
    const allRevs = history.some((r) => r.metadata?.name === updateRev.metadata?.name) ? history.map((r) => (r.metadata?.name === updateRev.metadata?.name ? updateRev : r)) : [...history, updateRev];
    const currentRev = allRevs.find((r) => r.metadata?.name === set.status?.currentRevision) ?? updateRev;
    // StatefulSet pods carry the revision's name (not just its hash) in controller-revision-hash, as in Kubernetes.
    const updateHash = updateRev.metadata?.name ?? "";
    const currentHash = currentRev.metadata?.name ?? "";

    await this.syncClaimOwnership(set, byOrdinal);
    await this.repairIdentity(set, byOrdinal);
    const plan = planStatefulSet({ set, pods: byOrdinal, currentRevision: currentHash, updateRevision: updateHash, nowMs: this.clock.now() });
    if (plan.waitingFor) this.log.debug("waiting", { set: key, for: plan.waitingFor });
    await this.perform(set, plan.actions, { current: templateFromRevision(currentRev), currentHash, update: set.spec?.template ?? {}, updateHash });

    const status = this.computeStatus(set, currentRev, updateRev, ensured.collisionCount);
    await this.writeStatus(set, status);
    await this.pruneHistory(set, allRevs, status);
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.readyReplicas ?? 0) > (status.availableReplicas ?? 0)) return { requeueAfterMs: minReady * 1000 };
  }

  /** Claims follow persistentVolumeClaimRetentionPolicy: owned by the set and/or by a pod being scaled away. */
  private async syncClaimOwnership(set: StatefulSetObject, byOrdinal: Map<number, PodObject>): Promise<void> {
    const start = startOrdinal(set);
    const replicas = set.spec?.replicas ?? 1;
    for (const [ord, pod] of byOrdinal) {
      const condemned = ord < start || ord >= start + replicas;
      for (const want of claimsFor(set, ord)) {
        const existing = this.claims.indexer.get(`${want.metadata?.namespace}/${want.metadata?.name}`);
        if (!existing || existing.metadata?.deletionTimestamp) continue;
        const refs = claimOwnerRefs(existing, set, pod, condemned);
        if (semanticEqual(refs, existing.metadata?.ownerReferences ?? [])) continue;
        await this.claimWriter.patch(existing.metadata?.namespace ?? "", existing.metadata?.name ?? "", "merge", {
          metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: existing.metadata?.resourceVersion },
        });
      }
    }
  }

  /** Pods whose identity labels were edited away get them back (pod-name and pod-index select a member). */
  private async repairIdentity(set: StatefulSetObject, byOrdinal: Map<number, PodObject>): Promise<void> {
    for (const [ord, pod] of byOrdinal) {
      if (isTerminating(pod)) continue;
      const want = { [POD_NAME_LABEL]: pod.metadata?.name ?? "", [POD_INDEX_LABEL]: String(ord) };
      const labels = pod.metadata?.labels ?? {};
      if (Object.entries(want).every(([k, v]) => labels[k] === v)) continue;
      await this.podWriter.patch(set.metadata?.namespace ?? "", pod.metadata?.name ?? "", "merge", { metadata: { labels: want } });
    }
  }

  private async perform(set: StatefulSetObject, actions: Action[], t: { current: PodTemplateSpec; currentHash: string; update: PodTemplateSpec; updateHash: string }): Promise<void> {
    const ns = set.metadata?.namespace ?? "";
    const setName = set.metadata?.name ?? "";
    let error: unknown;
    await Promise.all(
      actions.map(async (a) => {
        try {
          if (a.type === "create") {
            const pod = podForOrdinal(set, a.useCurrent ? t.current : t.update, a.ordinal, a.useCurrent ? t.currentHash : t.updateHash);
            await this.createClaims(set, a.ordinal, pod.metadata?.name ?? "");
            try {
              await this.podWriter.create(ns, pod);
              this.recorder.event(set, "Normal", "SuccessfulCreate", `create Pod ${pod.metadata?.name} in StatefulSet ${setName} successful`);
            } catch (err) {
              // The old pod of that name is still going away (or the cache is behind): the next sync sees it.
              if (isAlreadyExists(err)) return;
              this.recorder.event(set, "Warning", "FailedCreate", `create Pod ${pod.metadata?.name} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
              throw err;
            }
          } else {
            const name = a.pod.metadata?.name ?? "";
            await this.podWriter.delete(ns, name, { uid: a.pod.metadata?.uid });
            this.recorder.event(set, "Normal", "SuccessfulDelete", `delete Pod ${name} in StatefulSet ${setName} successful`);
          }
        } catch (err) {
          if (!isNotFound(err)) error ??= err;
        }
      }),
    );
    if (error) throw error;
  }

  private async createClaims(set: StatefulSetObject, ordinal: number, podName: string): Promise<void> {
    for (const c of claimsFor(set, ordinal)) {
      const existing = this.claims.indexer.get(`${c.metadata?.namespace}/${c.metadata?.name}`);
      if (existing?.metadata?.deletionTimestamp) throw new Error(`pvc ${c.metadata?.name} is being deleted`);
      if (existing) continue;
      const refs = claimOwnerRefs(c, set, undefined, false);
      if (refs.length) c.metadata = { ...c.metadata, ownerReferences: refs };
      try {
        await this.claimWriter.create(c.metadata?.namespace ?? "", c);
        this.recorder.event(set, "Normal", "SuccessfulCreate", `create Claim ${c.metadata?.name} Pod ${podName} in StatefulSet ${set.metadata?.name} success`);
      } catch (err) {
        if (!isAlreadyExists(err)) {
          this.recorder.event(set, "Warning", "FailedCreate", `create Claim ${c.metadata?.name} for Pod ${podName} in StatefulSet ${set.metadata?.name} failed error: ${(err as Error).message}`);
          throw err;
        }
      }
    }
  }

  private computeStatus(set: StatefulSetObject, currentRev: RevisionObject, updateRev: RevisionObject, collisionCount: number): StatefulSetStatus {
    const uid = set.metadata?.uid ?? "";
    const pods = this.pods.indexer.byIndex(OWNER_UID_INDEX, uid).filter((p) => controllerRefOf(p)?.uid === uid && ordinalOf(set, p) !== undefined);
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.clock.now();
    const currentHash = currentRev.metadata?.name ?? "";
    const updateHash = updateRev.metadata?.name ?? "";
    const s = { replicas: 0, ready: 0, available: 0, current: 0, updated: 0 };
    for (const pod of pods) {
      if (isCreated(pod)) s.replicas++;
      if (isRunningAndReady(pod)) {
        s.ready++;
        if (isPodAvailable(pod, minReady, now)) s.available++;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        if (revisionOf(pod) === currentHash) s.current++;
        if (revisionOf(pod) === updateHash) s.updated++;
      }
    }
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata?.generation,
      replicas: s.replicas,
      readyReplicas: s.ready,
      availableReplicas: s.available,
      currentReplicas: s.current,
      updatedReplicas: s.updated,
      currentRevision: currentRev.metadata?.name,
      updateRevision: updateRev.metadata?.name,
      collisionCount,
    };
    // A finished rolling update (or OnDelete with every pod replaced): the update revision becomes current.
    const replicas = set.spec?.replicas ?? 1;
    if (s.updated === replicas && s.ready === replicas && s.replicas === replicas) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = s.updated;
    }
    return status;
  }

  private async writeStatus(set: StatefulSetObject, status: StatefulSetStatus): Promise<void> {
    if (semanticEqual({ ...status, conditions: undefined }, { ...(set.status ?? {}), conditions: undefined })) return;
    let current = set;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.setClient.updateStatus(set.metadata?.namespace, { ...structuredClone(current), status: { ...status, conditions: current.status?.conditions } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (attempt >= 1 || !isConflict(err)) throw err;
        current = await this.setClient.get(set.metadata?.namespace, set.metadata?.name ?? "");
      }
    }
  }

  private async pruneHistory(set: StatefulSetObject, revs: RevisionObject[], status: StatefulSetStatus): Promise<void> {
    const inUse = new Set<string>([status.currentRevision ?? "", status.updateRevision ?? ""]);
    const uid = set.metadata?.uid ?? "";
    for (const p of this.pods.indexer.byIndex(OWNER_UID_INDEX, uid)) inUse.add(revisionOf(p));
    for (const r of revisionsToPrune(sortRevisions(revs), inUse, set.spec?.revisionHistoryLimit ?? DEFAULT_HISTORY_LIMIT)) {
      try {
        await this.revisions.writer.delete(r.metadata?.namespace ?? "", r.metadata?.name ?? "", { uid: r.metadata?.uid });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}

function selectorOf(set: StatefulSetObject): Selector {
  try {
    return selectorFromLabelSelector(set.spec?.selector);
  } catch {
    return nothing();
  }
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

function typed(set: StatefulSetObject): StatefulSetObject {
  return set.kind ? set : { ...set, apiVersion: "apps/v1", kind: "StatefulSet" };
}

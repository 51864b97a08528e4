// The DaemonSet controller: one daemon pod on every eligible node. Pods are created per node with a required
// node affinity on the node's name so the scheduler binds them; a node joining gets its pod, a node that stops
// qualifying (labels, NoExecute taints) or leaves loses it. The pod template's history is kept as
// ControllerRevisions (hash label controller-revision-hash) and rolled out with RollingUpdate (maxUnavailable,
// maxSurge) or OnDelete. Status is always recomputed. Deleting the DaemonSet leaves its pods to the garbage
// collector (they carry its controller reference).
import type { DaemonSetStatus } from "kubernetes-types/apps/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import { UidTrackingExpectations } from "../../client/expectations.js";
import { OWNER_UID_INDEX, ownerUidIndexFunc, splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound, isStatusError } from "../../machinery/errors.js";
import { nothing, selectorFromLabelSelector, type Selector } from "../../machinery/labels.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { ApiObjectWriter, type ObjectWriter } from "../history/object_writer.js";
import { semanticEqual } from "../history/semantic_equal.js";
import { CONTROLLER_REVISION_HASH_LABEL, ensureRevision, revisionHashOf, revisionsToPrune, type RevisionObject, type RevisionStore } from "../history/revisions.js";
import { claimObjects } from "../replicaset/claim.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import { controllerRefOf, isPodAvailable, isPodReady, newControllerRef, timeMs, type PodObject } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";
import { daemonSetRevisionData, podForNode, targetNodeName, type DaemonSetObject } from "./daemon_pods.js";
import { nodeEligibility } from "./node_eligibility.js";
import { rollingUpdateStep, type NodePods } from "./rolling_update.js";

export type NodeObject = Node & KubeObject;
export type DaemonSetClient = Pick<ResourceClient<DaemonSetObject>, "get" | "updateStatus">;

/** Kubernetes' burstReplicas for DaemonSets: at most this many pod creates or deletes per sync. */
export const BURST_REPLICAS = 250;
/** Backoff before a failed daemon pod on a node is replaced again: 1 s doubling to 15 min. */
const FAILED_POD_BACKOFF_MS = 1000;
const MAX_FAILED_POD_BACKOFF_MS = 15 * 60_000;
const DEFAULT_HISTORY_LIMIT = 10;

export interface DaemonSetControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  podWriter?: ObjectWriter<PodObject>;
  revisions?: RevisionStore;
  dsClient?: DaemonSetClient;
  recorder?: EventSink;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class DaemonSetController implements Controller {
  readonly name = "daemonset-controller";
  readonly queue: WorkQueue<string>;
  readonly expectations: UidTrackingExpectations;
  private readonly daemonSets: SharedInformer<DaemonSetObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly revisionInformer: SharedInformer<RevisionObject>;
  private readonly podWriter: ObjectWriter<PodObject>;
  private readonly revisions: RevisionStore;
  private readonly dsClient: DaemonSetClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly failedBackoff = new Map<string, { delayMs: number; atMs: number }>();

  constructor(private readonly opts: DaemonSetControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "daemonset", clock: this.clock });
    this.expectations = new UidTrackingExpectations({ clock: this.clock });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: this.name });
    this.podWriter = opts.podWriter ?? new ApiObjectWriter<PodObject>(opts.client, resources.pods, this.recorder);
    const revApi = opts.client.resource<RevisionObject>(resources.controllerrevisions);
    this.revisions = opts.revisions ?? { writer: new ApiObjectWriter<RevisionObject>(opts.client, resources.controllerrevisions), get: (ns, name) => revApi.get(ns, name) };
    this.dsClient = opts.dsClient ?? opts.client.resource<DaemonSetObject>(resources.daemonsets);
    const ownerIndex = { indexers: { [OWNER_UID_INDEX]: ownerUidIndexFunc } };
    this.daemonSets = opts.informers.forResource<DaemonSetObject>(resources.daemonsets);
    this.pods = opts.informers.forResource<PodObject>(resources.pods, ownerIndex);
    this.nodes = opts.informers.forResource<NodeObject>(resources.nodes);
    this.revisionInformer = opts.informers.forResource<RevisionObject>(resources.controllerrevisions, ownerIndex);
    this.daemonSets.addEventHandler({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (_o, ds) => this.queue.add(keyOf(ds)),
      onDelete: (o) => {
        const ds = unwrapTombstone(o);
        this.expectations.deleteExpectations(keyOf(ds));
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podEvent(p, "add"),
      onUpdate: (o, p) => {
        if (p.metadata?.deletionTimestamp && !o.metadata?.deletionTimestamp) return this.podEvent(p, "delete");
        this.podEvent(p, "update");
      },
      onDelete: (o) => this.podEvent(unwrapTombstone(o), "delete"),
    });
    // Any node change may change where daemons belong: look at every DaemonSet (there are few).
    const allDaemonSets = (): void => {
      for (const k of this.daemonSets.indexer.listKeys()) this.queue.add(k);
    };
    // Heartbeats change only node status: skip those, only labels and spec (taints) decide where daemons run.
    const placementOf = (n: NodeObject): string => JSON.stringify([n.metadata?.labels ?? {}, n.spec ?? {}]);
    this.nodes.addEventHandler({ onAdd: allDaemonSets, onUpdate: (o, n) => placementOf(o) !== placementOf(n) && allDaemonSets(), onDelete: allDaemonSets });
    this.revisionInformer.addEventHandler({
      onAdd: (r) => this.ownerEvent(r),
      onUpdate: (_o, r) => this.ownerEvent(r),
      onDelete: (o) => this.ownerEvent(unwrapTombstone(o)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 2, log: this.log, signal });
  }

  private ownerKey(obj: KubeObject): string | undefined {
    const ref = controllerRefOf(obj);
    if (ref?.kind !== "DaemonSet") return undefined;
    const key = `${obj.metadata?.namespace ?? ""}/${ref.name}`;
    return this.daemonSets.indexer.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }

  private ownerEvent(obj: KubeObject): void {
    const key = this.ownerKey(obj);
    if (key) this.queue.add(key);
  }

  private podEvent(pod: PodObject, kind: "add" | "update" | "delete"): void {
    const key = this.ownerKey(pod);
    if (!key) {
      // An orphan may be adopted by a DaemonSet whose selector matches it.
      if (kind !== "delete" && !controllerRefOf(pod))
        for (const ds of this.daemonSets.lister().namespace(pod.metadata?.namespace ?? "").list((d) => selectorOf(d).matches(pod.metadata?.labels ?? {}))) this.queue.add(keyOf(ds));
      return;
    }
    if (kind === "add") this.expectations.creationObserved(key);
    if (kind === "delete") this.expectations.deletionObserved(key, pod.metadata?.uid);
    this.queue.add(key);
  }

  async sync(key: string): Promise<SyncResult | void> {
    const cached = this.daemonSets.indexer.get(key);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const ds = typed(cached);
    const { namespace, name } = splitKey(key);
    const now = this.clock.now();
    const selector = selectorOf(ds);
    const claim = await claimObjects(this.pods.lister().namespace(namespace).list(), {
      owner: ds,
      selector,
      controllerRef: newControllerRef(ds, "apps/v1", "DaemonSet"),
      patch: async (pod, body) => void (await this.podWriter.patch(namespace, pod.metadata?.name ?? "", "merge", body)),
      canAdopt: async () => {
        try {
          const fresh = await this.dsClient.get(namespace, name);
          return fresh.metadata?.uid === ds.metadata?.uid && !fresh.metadata?.deletionTimestamp;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
      },
    });
    if (claim.errors.length) throw claim.errors[0];
    const history = this.revisionInformer.indexer.byIndex(OWNER_UID_INDEX, ds.metadata?.uid ?? "").filter((r) => controllerRefOf(r)?.uid === ds.metadata?.uid);
    if (ds.metadata?.deletionTimestamp) return;
    const { revision: updateRev, collisionCount } = await ensureRevision(this.revisions, history, {
      owner: ds,
      ownerApiVersion: "apps/v1",
      ownerKind: "DaemonSet",
      labels: ds.spec?.template?.metadata?.labels ?? {},
      data: daemonSetRevisionData(ds),
      collisionCount: ds.status?.collisionCount ?? 0,
    });
    const hash = revisionHashOf(updateRev);

    // Where the pods are, per node (by binding, or by the node they were created for).
    const nodes = this.nodes.indexer.list();
    const nodeNames = new Set(nodes.map((n) => n.metadata?.name ?? ""));
    const byNode = new Map<string, PodObject[]>();
    for (const pod of claim.claimed) {
      const node = targetNodeName(pod) ?? "";
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const template = ds.spec?.template?.spec ?? { containers: [] };
    const eligibility = new Map(nodes.map((n) => [n.metadata?.name ?? "", nodeEligibility(template, n)]));
    const surge = ds.spec?.updateStrategy?.type !== "OnDelete" && Boolean(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge);
    const isNew = (p: PodObject): boolean => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;

    let requeueMs: number | undefined;
    if (this.expectations.satisfiedExpectations(key)) {
      const create: string[] = [];
      const del: PodObject[] = [];
      for (const node of nodes) {
        const nodeName = node.metadata?.name ?? "";
        const e = eligibility.get(nodeName)!;
        const pods = (byNode.get(nodeName) ?? []).filter((p) => !p.metadata?.deletionTimestamp);
        if (!e.shouldContinueRunning) {
          del.push(...pods);
          continue;
        }
        const running: PodObject[] = [];
        for (const pod of pods) {
          if (pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded") {
            const wait = this.failedPodWait(`${key}/${nodeName}`, now);
            if (wait > 0) requeueMs = Math.min(requeueMs ?? wait, wait);
            else del.push(pod);
            continue;
          }
          running.push(pod);
        }
        if (e.shouldRun && running.length === 0 && (byNode.get(nodeName) ?? []).length === 0) create.push(nodeName);
        if (running.length > 1) del.push(...surplus(running, surge ? isNew : undefined));
      }
      // Pods for nodes that no longer exist (or that never named one) are not coming back.
      for (const [node, pods] of byNode) if (!nodeNames.has(node)) del.push(...pods.filter((p) => !p.metadata?.deletionTimestamp));

      if (ds.spec?.updateStrategy?.type !== "OnDelete") {
        const eligible: NodePods[] = nodes
          .filter((n) => eligibility.get(n.metadata?.name ?? "")?.shouldRun)
          .map((n) => ({ node: n.metadata?.name ?? "", pods: live(byNode.get(n.metadata?.name ?? "") ?? []).filter((p) => !del.includes(p)) }));
        const step = rollingUpdateStep(ds, eligible, hash, now);
        for (const p of step.deletePods) if (!del.includes(p)) del.push(p);
        create.push(...step.createOnNodes.filter((n) => !create.includes(n)));
      }
      await this.manage(key, ds, create, del, hash);
    }

    // Status from the cache as it is now (as Kubernetes re-reads it after managing), not from before the writes.
    const after = new Map<string, PodObject[]>();
    for (const pod of this.pods.indexer.byIndex(OWNER_UID_INDEX, ds.metadata?.uid ?? "")) {
      if (controllerRefOf(pod)?.uid !== ds.metadata?.uid) continue;
      const node = targetNodeName(pod) ?? "";
      after.set(node, [...(after.get(node) ?? []), pod]);
    }
    const status = this.computeStatus(ds, nodes, eligibility, after, hash, now);
    status.collisionCount = collisionCount || undefined;
    await this.writeStatus(ds, status);
    await this.pruneHistory(ds, history, claim.claimed, updateRev);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.numberReady ?? 0) > (status.numberAvailable ?? 0)) requeueMs = Math.min(requeueMs ?? minReady * 1000, minReady * 1000);
    return requeueMs !== undefined ? { requeueAfterMs: requeueMs } : undefined;
  }

  /** 0 when a failed daemon pod on this node may be replaced now; otherwise how long to wait (and the delay grows). */
  private failedPodWait(nodeKey: string, now: number): number {
    const b = this.failedBackoff.get(nodeKey);
    if (b && now < b.atMs + b.delayMs) return b.atMs + b.delayMs - now;
    const delayMs = b ? Math.min(b.delayMs * 2, MAX_FAILED_POD_BACKOFF_MS) : FAILED_POD_BACKOFF_MS;
    this.failedBackoff.set(nodeKey, { delayMs, atMs: now });
    return 0;
  }

  private async manage(key: string, ds: DaemonSetObject, createOn: string[], del: PodObject[], hash: string): Promise<void> {
    const ns = ds.metadata?.namespace ?? "";
    const creates = createOn.slice(0, BURST_REPLICAS);
    const deletes = del.slice(0, BURST_REPLICAS);
    this.expectations.expectDeletionsOf(
      key,
      deletes.map((p) => p.metadata?.uid ?? ""),
    );
    this.expectations.raiseExpectations(key, creates.length, 0);
    let error: unknown;
    await Promise.all([
      ...creates.map(async (node) => {
        try {
          await this.podWriter.create(ns, podForNode(ds, node, hash), ds);
        } catch (err) {
          this.expectations.creationObserved(key);
          // A terminating namespace refuses new pods: nothing to retry.
          if (!(isStatusError(err, "Forbidden") && /being terminated/.test((err as Error).message))) error ??= err;
        }
      }),
      ...deletes.map(async (pod) => {
        try {
          await this.podWriter.delete(ns, pod.metadata?.name ?? "", { uid: pod.metadata?.uid, owner: ds });
        } catch (err) {
          this.expectations.deletionObserved(key, pod.metadata?.uid);
          if (!isNotFound(err)) error ??= err;
        }
      }),
    ]);
    if (error) throw error;
  }

  private computeStatus(
    ds: DaemonSetObject,
    nodes: NodeObject[],
    eligibility: Map<string, { shouldRun: boolean; shouldContinueRunning: boolean }>,
    byNode: Map<string, PodObject[]>,
    hash: string,
    now: number,
  ): DaemonSetStatus {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const s = { desired: 0, current: 0, misscheduled: 0, ready: 0, available: 0, updated: 0 };
    for (const node of nodes) {
      const name = node.metadata?.name ?? "";
      const pods = live(byNode.get(name) ?? []);
      const shouldRun = eligibility.get(name)?.shouldRun ?? false;
      if (shouldRun) s.desired++;
      if (pods.length === 0) continue;
      if (!shouldRun) {
        s.misscheduled++;
        continue;
      }
      s.current++;
      // With surge two pods may share a node: the updated one speaks for it.
      const pod = pods.find((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) ?? pods[0]!;
      if (isPodReady(pod)) s.ready++;
      if (isPodAvailable(pod, minReady, now)) s.available++;
      if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) s.updated++;
    }
    return {
      currentNumberScheduled: s.current,
      desiredNumberScheduled: s.desired,
      numberMisscheduled: s.misscheduled,
      numberReady: s.ready,
      numberAvailable: s.available || undefined,
      numberUnavailable: s.desired - s.available || undefined,
      updatedNumberScheduled: s.updated || undefined,
      observedGeneration: ds.metadata?.generation,
    };
  }

  private async writeStatus(ds: DaemonSetObject, status: DaemonSetStatus): Promise<void> {
    const clean = JSON.parse(JSON.stringify(status)) as DaemonSetStatus;
    if (semanticEqual(clean, { ...(ds.status ?? {}), conditions: undefined })) return;
    let current = ds;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.dsClient.updateStatus(ds.metadata?.namespace, { ...structuredClone(current), status: { ...clean, conditions: current.status?.conditions } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (attempt >= 1 || !isConflict(err)) throw err;
        current = await this.dsClient.get(ds.metadata?.namespace, ds.metadata?.name ?? "");
      }
    }
  }

  private async pruneHistory(ds: DaemonSetObject, history: RevisionObject[], pods: PodObject[], updateRev: RevisionObject): Promise<void> {
    const inUse = new Set<string>([updateRev.metadata?.name ?? "", revisionHashOf(updateRev)]);
    for (const p of pods) inUse.add(p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "");
    const all = history.some((r) => r.metadata?.name === updateRev.metadata?.name) ? history : [...history, updateRev];
    for (const r of revisionsToPrune(all, inUse, ds.spec?.revisionHistoryLimit ?? DEFAULT_HISTORY_LIMIT)) {
      try {
        await this.revisions.writer.delete(r.metadata?.namespace ?? "", r.metadata?.name ?? "", { uid: r.metadata?.uid });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}

/** Running pods only: not terminating, not finished. */
function live(pods: PodObject[]): PodObject[] {
  return pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded");
}

/** Extra pods on one node: the oldest stays (and, while surging, the newest updated one too). */
function surplus(pods: PodObject[], isNew?: (p: PodObject) => boolean): PodObject[] {
  const byAge = [...pods].sort((a, b) => timeMs(a.metadata?.creationTimestamp) - timeMs(b.metadata?.creationTimestamp) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  const keep = new Set<PodObject>();
  if (isNew) {
    const oldest = byAge.find((p) => !isNew(p));
    const newest = [...byAge].reverse().find(isNew);
    if (oldest) keep.add(oldest);
    if (newest) keep.add(newest);
  } else keep.add(byAge[0]!);
  return byAge.filter((p) => !keep.has(p));
}

function selectorOf(ds: DaemonSetObject): Selector {
  try {
    return selectorFromLabelSelector(ds.spec?.selector);
  } catch {
    return nothing();
  }
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

function typed(ds: DaemonSetObject): DaemonSetObject {
  return ds.kind ? ds : { ...ds, apiVersion: "apps/v1", kind: "DaemonSet" };
}

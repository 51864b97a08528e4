// The disruption controller (Kubernetes' "disruption"): keeps every PodDisruptionBudget's status, which the
// eviction subresource (`kubectl drain`) and the scheduler's preemption read. For a budget it counts the pods its
// selector picks in its namespace and how many of them are healthy (Ready, not being deleted, not evicted a moment
// ago), works out how many must stay healthy, and writes status.disruptionsAllowed, currentHealthy, desiredHealthy,
// expectedPods, observedGeneration and the DisruptionAllowed condition.
//   - minAvailable as a number: that many must stay healthy; the expected pods are the pods selected.
//   - minAvailable as a percentage, or maxUnavailable: the expected pods are the replicas wanted by the pods'
//     controllers (a ReplicaSet, or the Deployment owning it; a ReplicationController; a StatefulSet), so a pod
//     that is gone still counts as missing. A selected pod without such a controller makes the budget allow no
//     disruption (condition SyncFailed), as Kubernetes does. Percentages round up.
//   - Neither: nothing may be disrupted.
// An evicted pod is listed in status.disruptedPods by the API server until the pod is seen deleting, or for two
// minutes; it does not count as healthy meanwhile, so two evictions cannot spend the same allowance. Status is
// written with the budget's resourceVersion, so a concurrent eviction's charge is never overwritten.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Condition, LabelSelector, OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { unwrapTombstone } from "../../client/informer.js";
import type { Lister } from "../../client/lister.js";
import { runWorkers } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceRef } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound } from "../../machinery/errors.js";
import { scaledValueFromIntOrPercent, type IntOrString } from "../../machinery/intstr.js";
import { selectorFromLabelSelector, type Selector } from "../../machinery/labels.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { controllerRefOf, isPodReady, rfc3339, timeMs } from "../replicaset/pod_utils.js";
import type { Controller } from "../types.js";

export const PDB_REF: ResourceRef & { kind: string } = { group: "policy", version: "v1", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true };

/** How long an evicted pod stays in disruptedPods when its deletion is not seen (Kubernetes' DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

type PodObject = Pod & KubeObject;

interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  conditions?: Condition[];
}

export interface PdbObject extends KubeObject {
  spec?: { selector?: LabelSelector; minAvailable?: IntOrString; maxUnavailable?: IntOrString };
  status?: PdbStatus;
}

interface ScaledObject extends KubeObject {
  spec?: { replicas?: number };
}

export interface DisruptionControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  clock?: Clock;
  log?: Logger;
}

/** Why a budget's expected pods cannot be worked out: it then allows no disruption. */
class SyncFailed extends Error {}

export class DisruptionController implements Controller {
  readonly name = "disruption-controller";
  private readonly queue: WorkQueue<string>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pdbs: Lister<PdbObject>;
  private readonly pods: Lister<PodObject>;
  private readonly replicaSets: Lister<ScaledObject>;
  private readonly deployments: Lister<ScaledObject>;
  private readonly controllers: Lister<ScaledObject>;
  private readonly statefulSets: Lister<ScaledObject>;

  constructor(private readonly opts: DisruptionControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "disruption", clock: opts.clock });
    const pdbInformer = opts.informers.forResource<PdbObject>(PDB_REF);
    const podInformer = opts.informers.forResource<PodObject>(resources.pods);
    this.pdbs = pdbInformer.lister();
    this.pods = podInformer.lister();
    const scaled = (ref: ResourceRef): Lister<ScaledObject> => {
      const inf = opts.informers.forResource<ScaledObject>(ref);
      // A changed scale changes the expected pods of the budgets over its pods.
      inf.addEventHandler({
        onUpdate: (old, cur) => {
          if (old.spec?.replicas !== cur.spec?.replicas) this.enqueueNamespace(cur.metadata?.namespace);
        },
      });
      return inf.lister();
    };
    this.replicaSets = scaled(resources.replicasets);
    this.deployments = scaled(resources.deployments);
    this.controllers = scaled(resources.replicationcontrollers);
    this.statefulSets = scaled(resources.statefulsets);
    pdbInformer.addEventHandler({
      onAdd: (p) => this.enqueue(p),
      onUpdate: (_old, p) => this.enqueue(p),
      onDelete: (p) => this.enqueue(unwrapTombstone(p)),
    });
    podInformer.addEventHandler({
      onAdd: (p) => this.enqueueBudgetsOf(p),
      onUpdate: (old, p) => {
        this.enqueueBudgetsOf(p);
        if (old.metadata?.labels !== p.metadata?.labels) this.enqueueBudgetsOf(old);
      },
      onDelete: (p) => this.enqueueBudgetsOf(unwrapTombstone(p)),
    });
  }

  private enqueue(p: KubeObject): void {
    this.queue.add(`${p.metadata?.namespace}/${p.metadata?.name}`);
  }

  private enqueueNamespace(ns: string | undefined): void {
    if (ns) for (const p of this.pdbs.namespace(ns).list()) this.enqueue(p);
  }

  /** Queues the budgets whose selector picks the pod. */
  private enqueueBudgetsOf(pod: PodObject): void {
    const ns = pod.metadata?.namespace;
    if (!ns) return;
    const labels = pod.metadata?.labels ?? {};
    for (const p of this.pdbs.namespace(ns).list()) {
      if (selectorOf(p).matches(labels)) this.enqueue(p);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    for (const p of this.pdbs.list()) this.enqueue(p);
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: 1, log: this.log, signal });
  }

  async sync(key: string): Promise<void> {
    const pdb = this.pdbs.get(key);
    if (!pdb) return;
    const ns = pdb.metadata!.namespace!;
    const pods = this.pods.namespace(ns).list(selectorOf(pdb));
    const now = this.clock.now();
    let status: PdbStatus;
    try {
      const { expected, desired } = this.expectedAndDesired(pdb, pods);
      const { disrupted, recheckMs } = this.stillDisrupted(pdb, pods, now);
      if (recheckMs !== undefined) this.queue.addAfter(key, recheckMs);
      const healthy = pods.filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p) && !disrupted[p.metadata!.name!]).length;
      const allowed = expected > 0 ? Math.max(0, healthy - desired) : 0;
      status = {
        ...pdb.status,
        observedGeneration: pdb.metadata!.generation,
        disruptedPods: disrupted,
        disruptionsAllowed: allowed,
        currentHealthy: healthy,
        desiredHealthy: desired,
        expectedPods: expected,
        conditions: withCondition(pdb.status?.conditions, pdb.metadata!.generation, allowed > 0 ? "True" : "False", allowed > 0 ? "SufficientPods" : "InsufficientPods", "", now),
      };
    } catch (err) {
      if (!(err instanceof SyncFailed)) throw err;
      // Fail safe: a budget whose pods cannot be accounted for allows nothing.
      status = { ...pdb.status, disruptionsAllowed: 0, conditions: withCondition(pdb.status?.conditions, pdb.metadata!.generation, "False", "SyncFailed", err.message, now) };
    }
    if (JSON.stringify(status) === JSON.stringify(pdb.status ?? {})) return;
    try {
      await this.opts.client.resource<PdbObject>(PDB_REF).updateStatus(ns, { ...pdb, status });
    } catch (err) {
      // A newer budget (an eviction just charged it, say) comes back through the informer and is synced again.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }

  /** The pods that should exist and how many of them must stay healthy. */
  private expectedAndDesired(pdb: PdbObject, pods: PodObject[]): { expected: number; desired: number } {
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if (maxUnavailable !== undefined && maxUnavailable !== null) {
      const expected = this.expectedScale(pods);
      return { expected, desired: Math.max(0, expected - scaledValueFromIntOrPercent(maxUnavailable, expected, true)) };
    }
    if (minAvailable === undefined || minAvailable === null) return { expected: 0, desired: 0 };
    if (typeof minAvailable === "number") return { expected: pods.length, desired: minAvailable };
    const expected = this.expectedScale(pods);
    return { expected, desired: scaledValueFromIntOrPercent(minAvailable, expected, true) };
  }

  /** The replicas the selected pods' controllers want, each controller counted once. */
  private expectedScale(pods: PodObject[]): number {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) throw new SyncFailed(`found no controller ref for pod "${pod.metadata?.name}"`);
      const found = this.scaleOf(pod.metadata!.namespace!, ref);
      if (!found) throw new SyncFailed(`found no controllers for pod "${pod.metadata?.name}"`);
      scales.set(found.uid, found.replicas);
    }
    let sum = 0;
    for (const n of scales.values()) sum += n;
    return sum;
  }

  /** The controller a pod's controllerRef names (a ReplicaSet stands for the Deployment that owns it), if cached. */
  private scaleOf(ns: string, ref: OwnerReference): { uid: string; replicas: number } | undefined {
    const lister = ref.kind === "ReplicaSet" ? this.replicaSets : ref.kind === "ReplicationController" ? this.controllers : ref.kind === "StatefulSet" ? this.statefulSets : undefined;
    const owner = lister?.get(`${ns}/${ref.name}`);
    if (!owner || owner.metadata?.uid !== ref.uid) return undefined;
    if (ref.kind === "ReplicaSet") {
      const up = controllerRefOf(owner);
      const deployment = up?.kind === "Deployment" ? this.deployments.get(`${ns}/${up.name}`) : undefined;
      if (deployment && deployment.metadata?.uid === up!.uid) return { uid: up!.uid, replicas: deployment.spec?.replicas ?? 1 };
    }
    return { uid: ref.uid, replicas: owner.spec?.replicas ?? 1 };
  }

  /**
   * The evicted pods still in flight: listed, not yet seen deleting, evicted less than DELETION_TIMEOUT_MS ago.
   * recheckMs: when the next of them times out.
   */
  private stillDisrupted(pdb: PdbObject, pods: PodObject[], now: number): { disrupted: Record<string, string>; recheckMs?: number } {
    const byName = new Map(pods.map((p) => [p.metadata!.name!, p]));
    const disrupted: Record<string, string> = {};
    let recheckMs: number | undefined;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = byName.get(name);
      if (!pod || pod.metadata?.deletionTimestamp) continue;
      const left = timeMs(at) + DELETION_TIMEOUT_MS - now;
      if (!(left > 0)) {
        this.log.info("evicted pod not deleted in time, counted again", { pdb: `${pdb.metadata?.namespace}/${pdb.metadata?.name}`, pod: name });
        continue;
      }
      disrupted[name] = at;
      recheckMs = Math.min(recheckMs ?? Infinity, left);
    }
    return { disrupted, recheckMs };
  }
}

function selectorOf(pdb: PdbObject): Selector {
  return selectorFromLabelSelector(pdb.spec?.selector);
}

/** conditions with DisruptionAllowed set; its lastTransitionTime moves only when its status does. */
function withCondition(conditions: Condition[] | undefined, observedGeneration: number | undefined, status: "True" | "False", reason: string, message: string, now: number): Condition[] {
  const old = conditions?.find((c) => c.type === "DisruptionAllowed");
  const next: Condition = { type: "DisruptionAllowed", status, observedGeneration, reason, message, lastTransitionTime: old?.status === status ? old.lastTransitionTime : rfc3339(now) };
  return [...(conditions ?? []).filter((c) => c.type !== "DisruptionAllowed"), next];
}

// One sync of one Deployment: the state it works on (the Deployment, its ReplicaSets, their pods) and the steps
// every strategy shares: finding or creating the new ReplicaSet and syncing revisions, scaling a ReplicaSet with
// its replica annotations and a ScalingReplicaSet event, deleting surplus history, and writing status.
// Objects from the informer cache are never mutated: every change builds a copy and the API's answer replaces
// the local view, so later steps of the same sync see what was written.
import type { DeploymentStatus } from "kubernetes-types/apps/v1.js";
import type { Clock } from "../../client/clock.js";
import { isAlreadyExists } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import type { EventSink } from "../../client/event_recorder.js";
import { controllerRefOf, newControllerRef, type PodObject } from "../replicaset/pod_utils.js";
import {
  maxRevision,
  replicasAnnotationsNeedUpdate,
  revisionOf,
  REVISION_ANNOTATION,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from "./annotations.js";
import type { AppsControl } from "./apps_control.js";
import { computeHash, equalIgnoreHash, normalize, POD_TEMPLATE_HASH_LABEL } from "./hash.js";
import { calculateStatus } from "./progress.js";
import {
  byCreation,
  DEFAULT_REVISION_HISTORY_LIMIT,
  findNewReplicaSet,
  getCondition,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  progressDeadlineSeconds,
  PROGRESSING,
  reasons,
  replicasOf,
  setCondition,
  specReplicas,
  type DeploymentObject,
  type ReplicaSetObject,
} from "./util.js";

export interface SyncDeps {
  control: AppsControl;
  recorder: EventSink;
  clock: Clock;
  log: Logger;
}

export class DeploymentSync {
  /** When set, the controller looks at the Deployment again after this long (progress deadline checks). */
  requeueAfterMs?: number;
  /** The API's whole answer to this sync's last write of the Deployment, while `d` is exactly that answer. */
  written?: DeploymentObject;

  constructor(
    readonly deps: SyncDeps,
    /** The Deployment as this sync knows it; replaced by the API's answer after each write. */
    public d: DeploymentObject,
    /** Every ReplicaSet the Deployment controls (claimed), as this sync knows them. */
    public rsList: ReplicaSetObject[],
    /** Pods by the uid of the ReplicaSet controlling them. */
    readonly podMap: Map<string, PodObject[]>,
  ) {}

  get ns(): string {
    return this.d.metadata?.namespace ?? "";
  }

  now(): number {
    return this.deps.clock.now();
  }

  private replace(rs: ReplicaSetObject): ReplicaSetObject {
    const uid = rs.metadata?.uid;
    const i = this.rsList.findIndex((r) => r.metadata?.uid === uid);
    if (i >= 0) this.rsList[i] = rs;
    else this.rsList.push(rs);
    return rs;
  }

  /**
   * The new ReplicaSet (template equal to the Deployment's) and all the others. Brings the new one's revision
   * annotations up to date (a rollback to an old template makes that RS the newest revision) and the
   * Deployment's revision with it; creates the new RS when asked and none exists.
   */
  async getAllReplicaSetsAndSyncRevision(create: boolean): Promise<{ newRS?: ReplicaSetObject; oldRSs: ReplicaSetObject[] }> {
    const existing = findNewReplicaSet(this.d, this.rsList);
    const oldRSs = this.rsList.filter((rs) => rs !== existing);
    const newRS = await this.getNewReplicaSet(existing, oldRSs, create);
    return { newRS, oldRSs: this.rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid) };
  }

  private async getNewReplicaSet(existing: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[], create: boolean): Promise<ReplicaSetObject | undefined> {
    const d = this.d;
    const revision = maxRevision(oldRSs) + 1;
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    if (existing) {
      let rs = setNewReplicaSetAnnotations(d, existing, { revision, exists: true, desiredReplicas: desired, maxReplicas: max });
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (rs !== existing || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
        rs = { ...rs, spec: { ...rs.spec!, minReadySeconds: minReady } };
        rs = this.replace(await this.deps.control.updateReplicaSet(this.ns, rs));
      }
      let status = d.status ?? {};
      if (progressDeadlineSeconds(d) !== undefined && !getCondition(status, PROGRESSING)) {
        status = setCondition(status, newCondition(PROGRESSING, "True", reasons.foundNewRS, `Found new replica set "${rs.metadata?.name}"`, this.now()));
      }
      await this.syncDeploymentRevision(rs.metadata?.annotations?.[REVISION_ANNOTATION], status);
      return rs;
    }
    if (!create) return undefined;
    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(d.spec?.template, collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    let newRS: ReplicaSetObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata?.name}-${hash}`,
        namespace: this.ns,
        labels: template.metadata.labels,
        ownerReferences: [newControllerRef(d, "apps/v1", "Deployment")],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS = { ...newRS, spec: { ...newRS.spec!, replicas } };
    newRS = setNewReplicaSetAnnotations(d, newRS, { revision, exists: false, desiredReplicas: desired, maxReplicas: max });
    let created: ReplicaSetObject;
    let alreadyExisted = false;
    try {
      created = await this.deps.control.createReplicaSet(this.ns, newRS);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        const msg = `Failed to create new replica set "${newRS.metadata?.name}": ${(err as Error).message}`;
        this.deps.recorder.event(d, "Warning", reasons.failedRSCreate, msg);
        if (progressDeadlineSeconds(d) !== undefined)
          await this.writeStatus(setCondition(d.status ?? {}, newCondition(PROGRESSING, "False", reasons.failedRSCreate, msg, this.now())));
        throw err;
      }
      const found = await this.deps.control.getReplicaSet(this.ns, newRS.metadata!.name!);
      if (controllerRefOf(found)?.uid !== d.metadata?.uid || !equalIgnoreHash(found.spec?.template, d.spec?.template)) {
        // A different ReplicaSet holds the name: bump collisionCount so the next sync hashes to a new name.
        this.deps.log.info("replica set name collision, bumping collisionCount", { deployment: `${this.ns}/${d.metadata?.name}`, name: newRS.metadata?.name });
        await this.writeStatus({ ...d.status, collisionCount: (collisionCount ?? 0) + 1 });
        throw err;
      }
      // Ours, created by an earlier sync the informer has not shown us yet.
      created = found;
      alreadyExisted = true;
    }
    this.replace(created);
    if (!alreadyExisted && replicas > 0) this.deps.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${created.metadata?.name} to ${replicas}`);
    let status = d.status ?? {};
    if (!alreadyExisted && progressDeadlineSeconds(d) !== undefined)
      status = setCondition(status, newCondition(PROGRESSING, "True", reasons.newRSCreated, `Created new replica set "${created.metadata?.name}"`, this.now()));
    await this.syncDeploymentRevision(String(revision), status);
    return created;
  }

  /** Sets the Deployment's revision annotation and writes a changed status. */
  private async syncDeploymentRevision(revision: string | undefined, status: DeploymentStatus): Promise<void> {
    if (revision !== undefined && this.d.metadata?.annotations?.[REVISION_ANNOTATION] !== revision) {
      const patched = await this.deps.control.patchDeploymentAnnotations(this.ns, this.d.metadata?.name ?? "", { [REVISION_ANNOTATION]: revision });
      // Keep our view of the status: the patch answer carries what the server had.
      this.d = { ...patched, status: this.d.status };
      this.written = undefined;
    }
    if (JSON.stringify(normalize(status)) !== JSON.stringify(normalize(this.d.status ?? {}))) await this.writeStatus(status);
  }

  /** Writes the Deployment's status (via the status subresource) and adopts the answer. */
  async writeStatus(status: DeploymentStatus): Promise<void> {
    this.d = this.written = await this.deps.control.updateDeploymentStatus(this.ns, { ...this.d, status });
  }

  /**
   * Scales one ReplicaSet and keeps its desired/max replica annotations current; records ScalingReplicaSet when
   * the size changed. Returns the ReplicaSet as the API answered (or as it was, when nothing needed writing).
   */
  async scaleReplicaSet(rs: ReplicaSetObject, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSetObject }> {
    const desired = replicasOf(this.d);
    const max = desired + maxSurge(this.d);
    const old = specReplicas(rs);
    const sizeChanged = old !== newScale;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    let next = setReplicasAnnotations(rs, desired, max);
    next = { ...next, spec: { ...next.spec!, replicas: newScale } };
    const updated = this.replace(await this.deps.control.updateReplicaSet(this.ns, next));
    if (sizeChanged) {
      const op = old < newScale ? "up" : "down";
      this.deps.recorder.event(this.d, "Normal", "ScalingReplicaSet", `Scaled ${op} replica set ${rs.metadata?.name} to ${newScale} from ${old}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  /** Scales only when the size differs (scaleReplicaSetAndRecordEvent). */
  async scaleIfNeeded(rs: ReplicaSetObject, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSetObject }> {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale);
  }

  /**
   * Deletes the oldest old ReplicaSets beyond revisionHistoryLimit, but only those fully scaled down and settled
   * (no pods, status observed): the rest stay for `kubectl rollout undo`.
   */
  async cleanupDeployment(oldRSs: ReplicaSetObject[]): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of sorted.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      this.deps.log.info("deleting old replica set beyond the revision history limit", { replicaSet: `${this.ns}/${rs.metadata?.name}` });
      await this.deps.control.deleteReplicaSet(this.ns, rs.metadata?.name ?? "", rs.metadata?.uid ?? "");
      this.rsList = this.rsList.filter((r) => r.metadata?.uid !== rs.metadata?.uid);
    }
  }

  /** Recomputes status from the ReplicaSets and writes it when it changed (no Progressing bookkeeping). */
  async syncDeploymentStatus(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const status = calculateStatus(all, newRS, this.d, this.now());
    if (JSON.stringify(normalize(status)) === JSON.stringify(normalize(this.d.status ?? {}))) return;
    await this.writeStatus(status);
  }
}

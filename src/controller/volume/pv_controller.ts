// The PersistentVolume binder (Kubernetes' persistentvolume-binder): binds each Pending claim to a volume and keeps
// both phases true.
// - An unbound claim takes a volume pre-bound to it (the volume's claimRef names it: set by a user, the scheduler or a
//   provisioner) or, for a class that binds Immediately, the smallest Available volume that fits (class, access
//   modes, capacity >= request, selector, volumeMode). A WaitForFirstConsumer claim is only ever bound to a volume
//   pre-bound to it: the scheduler picks the volume (or, by annotating the claim with the selected node, asks the
//   provisioner for one) once a pod using the claim has a node. A claim with spec.volumeName set binds only that one.
// - Binding writes the volume first (claimRef, then phase Bound) and the claim second (volumeName and the
//   bind-completed annotation, then phase Bound, capacity and access modes), every write a compare-and-swap on
//   resourceVersion, so two claims never win one volume.
// - A volume whose claim is gone (confirmed by a live read: the cache may lag a new claim) is Released; reclaim policy
//   Retain leaves it so, Delete deletes the object unless a provisioner made it (that one cleans up, then deletes it).
//   A claim whose bound volume disappears is Lost.
import type { Clock, TimerHandle } from "../../client/clock.js";
import { realClock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { unwrapTombstone } from "../../client/informer.js";
import type { Lister } from "../../client/lister.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isNotFound } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import type { Controller } from "../types.js";
import {
  ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, NO_PROVISIONER,
  bestMatch, claimClass, claimKey, claimRefOf, isDelayedBinding, isPreBoundTo, mismatch, nowRfc3339, storageClassesRef,
  type ClaimObject, type StorageClassObject, type VolumeObject,
} from "./volume_util.js";

export interface PersistentVolumeControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** Every claim and volume is looked at again this often, healing anything an event missed (Kubernetes: 15 s). */
  resyncMs?: number;
  recorder?: EventSink;
  clock?: Clock;
  log?: Logger;
}

const DEFAULT_RESYNC_MS = 15_000;
const BOUND_ANNOTATION_VALUE = "yes";

export class PersistentVolumeController implements Controller {
  readonly name = "persistentvolume-binder-controller";
  private readonly claimQueue: WorkQueue<string>;
  private readonly volumeQueue: WorkQueue<string>;
  private readonly claims: Lister<ClaimObject>;
  private readonly volumes: Lister<VolumeObject>;
  private readonly classes: Lister<StorageClassObject>;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Claims told once that they wait (so a resync does not repeat the event), by uid and reason. */
  private readonly told = new Set<string>();

  constructor(private readonly opts: PersistentVolumeControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: "persistentvolume-controller" });
    this.claimQueue = new WorkQueue({ name: "volumes-claims", clock: opts.clock });
    this.volumeQueue = new WorkQueue({ name: "volumes-volumes", clock: opts.clock });
    const claimInf = opts.informers.forResource<ClaimObject>(resources.persistentvolumeclaims);
    const volumeInf = opts.informers.forResource<VolumeObject>(resources.persistentvolumes);
    const classInf = opts.informers.forResource<StorageClassObject>(storageClassesRef);
    this.claims = claimInf.lister();
    this.volumes = volumeInf.lister();
    this.classes = classInf.lister();
    claimInf.addEventHandler({
      onAdd: (c) => this.claimQueue.add(claimKey(c)),
      onUpdate: (_o, c) => this.claimQueue.add(claimKey(c)),
      onDelete: (obj) => {
        const c = unwrapTombstone(obj);
        this.told.forEach((k) => k.startsWith(`${c.metadata?.uid}/`) && this.told.delete(k));
        // Its volume is Released now.
        for (const v of this.volumes.list()) if (isPreBoundTo(v, c) || v.metadata?.name === c.spec?.volumeName) this.volumeQueue.add(v.metadata!.name!);
      },
    });
    volumeInf.addEventHandler({
      onAdd: (v) => this.onVolume(v),
      onUpdate: (_o, v) => this.onVolume(v),
      onDelete: (obj) => this.onVolume(unwrapTombstone(obj)),
    });
    classInf.addEventHandler({
      onAdd: (sc) => {
        for (const c of this.claims.list()) if (!c.spec?.volumeName && claimClass(c) === sc.metadata?.name) this.claimQueue.add(claimKey(c));
      },
    });
  }

  private onVolume(v: VolumeObject): void {
    if (v.metadata?.name) this.volumeQueue.add(v.metadata.name);
    const ref = v.spec?.claimRef;
    if (ref?.name) this.claimQueue.add(`${ref.namespace ?? ""}/${ref.name}`);
    else if (!v.metadata?.deletionTimestamp) {
      // A free volume: Pending claims of its class may take it now.
      for (const c of this.claims.list()) if (!c.spec?.volumeName && claimClass(c) === (v.spec?.storageClassName ?? "")) this.claimQueue.add(claimKey(c));
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    let timer: TimerHandle | undefined;
    const resync = (): void => {
      if (signal.aborted) return;
      for (const c of this.claims.list()) this.claimQueue.add(claimKey(c));
      for (const v of this.volumes.list()) this.volumeQueue.add(v.metadata!.name!);
      timer = this.clock.setTimer(resync, this.opts.resyncMs ?? DEFAULT_RESYNC_MS);
    };
    timer = this.clock.setTimer(resync, this.opts.resyncMs ?? DEFAULT_RESYNC_MS);
    try {
      // One worker per queue: a claim and a volume are each synced by one worker at a time.
      await Promise.all([
        runWorkers({ queue: this.claimQueue, sync: (k) => this.syncClaim(k), workers: 1, log: this.log, signal }),
        runWorkers({ queue: this.volumeQueue, sync: (k) => this.syncVolume(k), workers: 1, log: this.log, signal }),
      ]);
    } finally {
      timer?.cancel();
    }
  }

  // --- claims ---

  async syncClaim(key: string): Promise<SyncResult | void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    if (!claim.spec?.volumeName) return this.syncUnboundClaim(claim);
    return this.syncBoundClaim(claim);
  }

  private async syncUnboundClaim(claim: ClaimObject): Promise<void> {
    const volumes = this.volumes.list();
    const preBound = volumes.find((v) => isPreBoundTo(v, claim) && !v.metadata?.deletionTimestamp);
    if (preBound) {
      const why = mismatch(preBound, claim);
      if (why) return this.tell(claim, "VolumeMismatch", `volume ${preBound.metadata?.name} is pre-bound to this claim but cannot serve it: ${why}`);
      await this.bind(preBound, claim);
      return;
    }
    const className = claimClass(claim);
    const sc = className ? this.classes.get(className) : undefined;
    if (isDelayedBinding(sc)) {
      // The scheduler chooses: a pre-bound volume (above) or provisioning on the node it annotates.
      const node = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
      if (!node) return this.tell(claim, "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
      return this.askProvisioner(claim, sc!);
    }
    const match = bestMatch(volumes, claim);
    if (match) {
      await this.bind(match, claim);
      return;
    }
    if (sc && sc.provisioner !== NO_PROVISIONER) return this.askProvisioner(claim, sc);
    if (className && !sc) return this.tell(claim, "ProvisioningFailed", `storageclass.storage.k8s.io "${className}" not found`);
    this.tell(claim, "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
  }

  /** Marks the claim for its class's provisioner, as Kubernetes does for external provisioners. */
  private async askProvisioner(claim: ClaimObject, sc: StorageClassObject): Promise<void> {
    const provisioner = sc.provisioner ?? "";
    const ann = claim.metadata?.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] === provisioner && ann[ANN_BETA_STORAGE_PROVISIONER] === provisioner) return;
    await this.claimClient().patch(claim.metadata!.namespace, claim.metadata!.name!, "merge", {
      metadata: { annotations: { [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner } },
    });
    this.tell(claim, "ExternalProvisioning", `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator.`);
  }

  private async syncBoundClaim(claim: ClaimObject): Promise<void> {
    const name = claim.spec!.volumeName!;
    let volume = this.volumes.get(name);
    if (!volume) volume = await this.volumeClient().get(undefined, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    const completed = claim.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined;
    if (!volume) {
      if (completed) {
        await this.setClaimPhase(claim, "Lost");
        this.tell(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!", "Warning");
      } else this.tell(claim, "FailedBinding", `volume "${name}" not found`);
      return;
    }
    const ref = volume.spec?.claimRef;
    if (!ref) {
      const why = mismatch(volume, claim);
      if (why) return this.tell(claim, "VolumeMismatch", `cannot bind to requested volume "${name}": ${why}`, "Warning");
      await this.bind(volume, claim);
      return;
    }
    if (isPreBoundTo(volume, claim)) {
      await this.bind(volume, claim);
      return;
    }
    if (completed) {
      await this.setClaimPhase(claim, "Lost");
      this.tell(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly", "Warning");
    } else this.tell(claim, "FailedBinding", `volume "${name}" already bound to a different claim.`, "Warning");
  }

  /** Completes a binding: each write only when the stored object still differs (idempotent across retries). */
  private async bind(volume: VolumeObject, claim: ClaimObject): Promise<void> {
    const vname = volume.metadata!.name!;
    let v = volume;
    const ref = v.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) {
      const next = structuredClone(v);
      next.spec = { ...next.spec, claimRef: claimRefOf(claim) };
      if (!ref) next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations, [ANN_BOUND_BY_CONTROLLER]: BOUND_ANNOTATION_VALUE } };
      v = await this.volumeClient().update(undefined, next);
    }
    if (v.status?.phase !== "Bound") {
      v = await this.volumeClient().updateStatus(undefined, { ...structuredClone(v), status: { ...v.status, phase: "Bound", lastPhaseTransitionTime: nowRfc3339(this.clock.now()) } });
    }
    let c = claim;
    const ann = c.metadata?.annotations ?? {};
    if (c.spec?.volumeName !== vname || ann[ANN_BIND_COMPLETED] === undefined) {
      const next = structuredClone(c);
      const extra: Record<string, string> = { [ANN_BIND_COMPLETED]: BOUND_ANNOTATION_VALUE };
      if (!c.spec?.volumeName) extra[ANN_BOUND_BY_CONTROLLER] = BOUND_ANNOTATION_VALUE;
      next.spec = { ...next.spec, volumeName: vname };
      next.metadata = { ...next.metadata, annotations: { ...ann, ...extra } };
      c = await this.claimClient().update(c.metadata!.namespace, next);
    }
    if (c.status?.phase !== "Bound") {
      const status = { ...c.status, phase: "Bound", capacity: v.spec?.capacity, accessModes: v.spec?.accessModes };
      await this.claimClient().updateStatus(c.metadata!.namespace, { ...structuredClone(c), status });
      this.log.info("claim bound", { claim: claimKey(c), volume: vname });
    }
  }

  private async setClaimPhase(claim: ClaimObject, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    await this.claimClient().updateStatus(claim.metadata!.namespace, { ...structuredClone(claim), status: { ...claim.status, phase } });
  }

  /** Records a waiting/failure event once per claim and reason. */
  private tell(claim: ClaimObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal"): void {
    const k = `${claim.metadata?.uid}/${reason}`;
    if (this.told.has(k)) return;
    this.told.add(k);
    this.recorder.event({ ...claim, apiVersion: "v1", kind: "PersistentVolumeClaim" }, type, reason, message);
  }

  // --- volumes ---

  async syncVolume(name: string): Promise<SyncResult | void> {
    const volume = this.volumes.get(name);
    // A volume being deleted is still synced: it is kept (pv-protection) until it is no longer Bound.
    if (!volume) return;
    const ref = volume.spec?.claimRef;
    if (!ref?.name) {
      await this.setVolumePhase(volume, "Available");
      return;
    }
    const key = `${ref.namespace ?? ""}/${ref.name}`;
    if (!ref.uid) {
      // Pre-bound to a claim that may not exist yet: available to that claim only.
      this.claimQueue.add(key);
      await this.setVolumePhase(volume, "Available");
      return;
    }
    let claim = this.claims.get(key);
    if (!claim || claim.metadata?.uid !== ref.uid) {
      // The cache may not show a new claim yet: only a live read may release the volume.
      claim = await this.claimClient().get(ref.namespace, ref.name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    }
    if (claim && claim.metadata?.uid === ref.uid) {
      if (claim.spec?.volumeName && claim.spec.volumeName !== name && volume.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
        // This controller pre-bound the volume but the claim went to another one: free it.
        const next = structuredClone(volume);
        delete next.spec!.claimRef;
        const v = await this.volumeClient().update(undefined, next);
        await this.setVolumePhase(v, "Available");
        return;
      }
      if (volume.status?.phase !== "Bound") this.claimQueue.add(key);
      return;
    }
    return this.reclaim(volume);
  }

  /** The volume's claim is gone: Released, then its reclaim policy. */
  private async reclaim(volume: VolumeObject): Promise<void> {
    const name = volume.metadata!.name!;
    if (volume.status?.phase !== "Released" && volume.status?.phase !== "Failed") {
      volume = await this.setVolumePhase(volume, "Released");
      this.log.info("volume released", { volume: name, policy: volume.spec?.persistentVolumeReclaimPolicy });
    }
    const policy = volume.spec?.persistentVolumeReclaimPolicy ?? "Retain";
    if (policy === "Retain" || volume.status?.phase === "Failed") return;
    if (policy === "Recycle") {
      await this.setVolumePhase(volume, "Failed", "VolumeFailedRecycle");
      this.recorder.event({ ...volume, apiVersion: "v1", kind: "PersistentVolume" }, "Warning", "VolumeFailedRecycle", "Recycle is not supported: use Delete with a provisioner, or Retain");
      return;
    }
    // Delete: a provisioned volume is its provisioner's to clean up and delete.
    if (volume.metadata?.annotations?.[ANN_PROVISIONED_BY]) return;
    try {
      await this.volumeClient().delete(undefined, name, { preconditions: { uid: volume.metadata?.uid } });
      this.log.info("volume deleted", { volume: name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async setVolumePhase(volume: VolumeObject, phase: string, reason?: string): Promise<VolumeObject> {
    if (volume.status?.phase === phase) return volume;
    const status = { ...volume.status, phase, lastPhaseTransitionTime: nowRfc3339(this.clock.now()), reason };
    if (!reason) delete status.reason;
    return this.volumeClient().updateStatus(undefined, { ...structuredClone(volume), status });
  }

  private claimClient() {
    return this.opts.client.resource<ClaimObject>(resources.persistentvolumeclaims);
  }

  private volumeClient() {
    return this.opts.client.resource<VolumeObject>(resources.persistentvolumes);
  }
}

// The pvc-protection and pv-protection controllers (Kubernetes' names): a claim being deleted loses its
// kubernetes.io/pvc-protection finalizer once no pod that may still run uses it (checked in the cache, then with a
// live list, as a new pod may not be cached yet); a volume being deleted loses kubernetes.io/pv-protection once it is
// not Bound. The admission plugin StorageObjectInUseProtection puts the finalizers on.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { Clock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { unwrapTombstone } from "../../client/informer.js";
import type { Lister } from "../../client/lister.js";
import { runWorkers } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isNotFound } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { Controller } from "../types.js";
import { claimKey, type ClaimObject, type VolumeObject } from "./volume_util.js";

type PodObject = Pod & KubeObject;

export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";

/** The claims a pod uses (generic ephemeral volumes are claims named <pod>-<volume>). */
function claimsOf(p: Pod): string[] {
  return (p.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${p.metadata?.name}-${v.name}`] : []));
}

/** A finished pod no longer uses its claims (as Kubernetes: Succeeded or Failed). */
function mayRun(p: Pod): boolean {
  return p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
}

interface Options {
  client: Client;
  informers: SharedInformerFactory;
  clock?: Clock;
  log?: Logger;
}

export class PvcProtectionController implements Controller {
  readonly name = "pvc-protection-controller";
  private readonly queue: WorkQueue<string>;
  private readonly claims: Lister<ClaimObject>;
  private readonly pods: Lister<PodObject>;
  private readonly log: Logger;

  constructor(private readonly opts: Options) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "pvcprotection", clock: opts.clock });
    const claimInf = opts.informers.forResource<ClaimObject>(resources.persistentvolumeclaims);
    const podInf = opts.informers.forResource<PodObject>(resources.pods);
    this.claims = claimInf.lister();
    this.pods = podInf.lister();
    const onClaim = (c: ClaimObject): void => {
      if (c.metadata?.deletionTimestamp && c.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) this.queue.add(claimKey(c));
    };
    claimInf.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    // A pod going away (or finishing) may free the claims it used.
    const onPod = (p: PodObject): void => {
      for (const name of claimsOf(p)) this.queue.add(`${p.metadata?.namespace ?? ""}/${name}`);
    };
    podInf.addEventHandler({ onUpdate: (_o, p) => !mayRun(p) && onPod(p), onDelete: (p) => onPod(unwrapTombstone(p)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (k) => this.sync(k), workers: 2, log: this.log, signal });
  }

  async sync(key: string): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim?.metadata?.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    const ns = claim.metadata.namespace ?? "";
    const name = claim.metadata.name!;
    const uses = (p: Pod): boolean => mayRun(p) && claimsOf(p).includes(name);
    if (this.pods.namespace(ns).list().some(uses)) return;
    // The cache may not show a pod made a moment ago: only a live list may free the claim.
    const live = await this.opts.client.resource<PodObject>(resources.pods).list(ns);
    if (live.items.some(uses)) return;
    await removeFinalizer(this.opts.client.resource<ClaimObject>(resources.persistentvolumeclaims), ns, claim, PVC_PROTECTION_FINALIZER);
    this.log.info("claim no longer in use, protection removed", { claim: key });
  }
}

export class PvProtectionController implements Controller {
  readonly name = "pv-protection-controller";
  private readonly queue: WorkQueue<string>;
  private readonly volumes: Lister<VolumeObject>;
  private readonly log: Logger;

  constructor(private readonly opts: Options) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "pvprotection", clock: opts.clock });
    const inf = opts.informers.forResource<VolumeObject>(resources.persistentvolumes);
    this.volumes = inf.lister();
    const onVolume = (v: VolumeObject): void => {
      if (v.metadata?.deletionTimestamp && v.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) this.queue.add(v.metadata.name!);
    };
    inf.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (k) => this.sync(k), workers: 1, log: this.log, signal });
  }

  async sync(name: string): Promise<void> {
    const v = this.volumes.get(name);
    if (!v?.metadata?.deletionTimestamp || !v.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    if (v.status?.phase === "Bound") return;
    await removeFinalizer(this.opts.client.resource<VolumeObject>(resources.persistentvolumes), undefined, v, PV_PROTECTION_FINALIZER);
    this.log.info("volume not bound, protection removed", { volume: name });
  }
}

/** Drops one finalizer with a compare-and-swap update (a conflict retries the key with fresh state). */
async function removeFinalizer<T extends KubeObject>(rc: { update(ns: string | undefined, obj: T): Promise<T> }, ns: string | undefined, obj: T, finalizer: string): Promise<void> {
  const next = structuredClone(obj);
  next.metadata = { ...next.metadata, finalizers: (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer) };
  try {
    await rc.update(ns, next);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

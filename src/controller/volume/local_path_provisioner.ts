// The local-path provisioner (provisioner name k8ts.io/local-path), in the controller manager:
// - A Pending claim of a class with this provisioner waits for the scheduler to choose its first pod's node (the
//   class must bind WaitForFirstConsumer: the volume is a directory on one node). It then gets a PersistentVolume
//   "pvc-<claim uid>": hostPath <base>/<namespace>_<claim>_<volume> of type DirectoryOrCreate (the kubelet makes the
//   directory when the pod starts), node affinity pinning it to that node, the class's reclaim policy, and a claimRef
//   pre-binding it to the claim, which the binder completes. <base> is the class's `basePath` parameter or this
//   provisioner's default.
// - A volume it made that is Released with reclaim policy Delete is cleaned up by a helper pod on its node
//   (helper_pod.ts) and deleted once that pod has Succeeded; a failed helper is retried with backoff. A volume whose
//   node no longer exists is deleted without cleanup (there is nowhere to run the helper).
import { join } from "node:path";
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { unwrapTombstone } from "../../client/informer.js";
import type { Lister } from "../../client/lister.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isAlreadyExists, isNotFound } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import type { Controller } from "../types.js";
import { HELPER_LABEL, helperPod, helperPodName, unsafePath, type PodObject } from "./helper_pod.js";
import {
  ANN_PROVISIONED_BY, ANN_SELECTED_NODE, LOCAL_PATH_PROVISIONER, claimClass, claimKey, claimRefOf, isDelayedBinding, isPreBoundTo, storageClassesRef,
  type ClaimObject, type StorageClassObject, type VolumeObject,
} from "./volume_util.js";

type NodeObject = Node & KubeObject;

export const DEFAULT_LOCAL_PATH_DIR = "/var/lib/k8ts/local-path";
export const BASE_PATH_PARAMETER = "basePath";
/** Keeps a volume this provisioner made until its directory is cleaned up, even when a user deletes the volume. */
export const CLEANUP_FINALIZER = "k8ts.io/local-path-cleanup";
const HOSTNAME_LABEL = "kubernetes.io/hostname";

export interface LocalPathProvisionerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** Where volumes go when the class names no basePath (default /var/lib/k8ts/local-path). */
  basePath?: string;
  /** Namespace of the helper pods (default kube-system). */
  helperNamespace?: string;
  helperImage?: string;
  recorder?: EventSink;
  clock?: Clock;
  log?: Logger;
}

export class LocalPathProvisioner implements Controller {
  readonly name = "local-path-provisioner";
  private readonly claimQueue: WorkQueue<string>;
  private readonly volumeQueue: WorkQueue<string>;
  private readonly claims: Lister<ClaimObject>;
  private readonly volumes: Lister<VolumeObject>;
  private readonly classes: Lister<StorageClassObject>;
  private readonly nodes: Lister<NodeObject>;
  private readonly pods: Lister<PodObject>;
  private readonly recorder: EventSink;
  private readonly log: Logger;
  private readonly helperNamespace: string;
  private readonly told = new Set<string>();

  constructor(private readonly opts: LocalPathProvisionerOptions) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: opts.clock ?? realClock, log: this.log, component: LOCAL_PATH_PROVISIONER });
    this.helperNamespace = opts.helperNamespace ?? "kube-system";
    this.claimQueue = new WorkQueue({ name: "local-path-claims", clock: opts.clock });
    this.volumeQueue = new WorkQueue({ name: "local-path-volumes", clock: opts.clock });
    const claimInf = opts.informers.forResource<ClaimObject>(resources.persistentvolumeclaims);
    const volumeInf = opts.informers.forResource<VolumeObject>(resources.persistentvolumes);
    const classInf = opts.informers.forResource<StorageClassObject>(storageClassesRef);
    const nodeInf = opts.informers.forResource<NodeObject>(resources.nodes);
    const podInf = opts.informers.forResource<PodObject>(resources.pods);
    this.claims = claimInf.lister();
    this.volumes = volumeInf.lister();
    this.classes = classInf.lister();
    this.nodes = nodeInf.lister();
    this.pods = podInf.lister();
    claimInf.addEventHandler({ onAdd: (c) => this.claimQueue.add(claimKey(c)), onUpdate: (_o, c) => this.claimQueue.add(claimKey(c)) });
    const onVolume = (v: VolumeObject): void => {
      if (v.metadata?.annotations?.[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER) this.volumeQueue.add(v.metadata.name!);
    };
    volumeInf.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v) });
    classInf.addEventHandler({
      onAdd: (sc) => {
        for (const c of this.claims.list()) if (!c.spec?.volumeName && claimClass(c) === sc.metadata?.name) this.claimQueue.add(claimKey(c));
      },
    });
    const onPod = (p: PodObject): void => {
      const v = p.metadata?.labels?.[HELPER_LABEL];
      if (v && p.metadata?.namespace === this.helperNamespace) this.volumeQueue.add(v);
    };
    podInf.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: (p) => onPod(unwrapTombstone(p)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await Promise.all([
      runWorkers({ queue: this.claimQueue, sync: (k) => this.syncClaim(k), workers: 2, log: this.log, signal }),
      runWorkers({ queue: this.volumeQueue, sync: (k) => this.syncVolume(k), workers: 2, log: this.log, signal }),
    ]);
  }

  /** Provisions a volume for the claim once the scheduler has chosen its node. */
  async syncClaim(key: string): Promise<SyncResult | void> {
    const claim = this.claims.get(key);
    if (!claim || claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    const sc = this.classes.get(claimClass(claim));
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    if (!isDelayedBinding(sc)) {
      return this.tell(claim, "ProvisioningFailed", `storageclass "${sc.metadata?.name}": ${LOCAL_PATH_PROVISIONER} volumes live on one node and need volumeBindingMode WaitForFirstConsumer`);
    }
    const node = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
    if (!node) return;
    const name = `pvc-${claim.metadata!.uid}`;
    // Made already (binding follows), or the scheduler chose a pre-made volume for it.
    if (this.volumes.get(name) || this.volumes.list().some((v) => isPreBoundTo(v, claim))) return;
    const base = sc.parameters?.[BASE_PATH_PARAMETER] || this.opts.basePath || DEFAULT_LOCAL_PATH_DIR;
    const path = join(base, `${claim.metadata!.namespace}_${claim.metadata!.name}_${name}`);
    const bad = unsafePath(path);
    if (bad) return this.tell(claim, "ProvisioningFailed", `cannot provision under basePath ${JSON.stringify(base)}: ${bad}`);
    const hostname = this.nodes.get(node)?.metadata?.labels?.[HOSTNAME_LABEL] ?? node;
    const volume: VolumeObject = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER }, finalizers: [CLEANUP_FINALIZER] },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? "0" },
        accessModes: claim.spec?.accessModes,
        storageClassName: sc.metadata?.name,
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
        volumeMode: claim.spec?.volumeMode ?? "Filesystem",
        mountOptions: sc.mountOptions,
        claimRef: claimRefOf(claim),
        hostPath: { path, type: "DirectoryOrCreate" },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [hostname] }] }] } },
      },
    };
    try {
      await this.opts.client.resource<VolumeObject>(resources.persistentvolumes).create(undefined, volume);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      throw err;
    }
    this.log.info("volume provisioned", { claim: key, volume: name, node, path });
    this.recorder.event({ ...claim, apiVersion: "v1", kind: "PersistentVolumeClaim" }, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${name}`);
  }

  /**
   * Cleans up and deletes a Released volume of policy Delete that this provisioner made; a volume a user deletes is
   * cleaned up the same way once it is not Bound (policy Retain: let go without touching the directory).
   */
  async syncVolume(name: string): Promise<SyncResult | void> {
    const volume = this.volumes.get(name);
    const pod = this.pods.get(`${this.helperNamespace}/${helperPodName(name)}`);
    if (!volume) {
      // Deleted (by us once the helper succeeded, or by someone else): the helper is done with.
      if (pod) await this.deletePod(pod);
      return;
    }
    if (volume.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) return;
    const phase = volume.status?.phase ?? "Pending";
    const deleting = !!volume.metadata?.deletionTimestamp;
    // Bound: in use (a deleted one is kept by pv-protection until its claim lets go).
    if (phase === "Bound") return;
    if (volume.spec?.persistentVolumeReclaimPolicy !== "Delete") {
      if (deleting) await this.finish(volume);
      return;
    }
    if (phase !== "Released" && !deleting) return;
    const path = volume.spec?.hostPath?.path ?? volume.spec?.local?.path ?? "";
    const node = nodeOf(volume);
    const bad = unsafePath(path);
    if (bad || !node) {
      this.log.warn("volume not cleaned up: no node or no safe path", { volume: name, path, reason: bad ?? "no node affinity" });
      return this.finish(volume);
    }
    const nodeName = this.nodeNamed(node);
    if (!nodeName) {
      this.log.warn("volume's node is gone: deleting it without cleanup", { volume: name, node });
      return this.finish(volume);
    }
    if (!pod) {
      try {
        await this.opts.client.resource<PodObject>(resources.pods).create(this.helperNamespace, helperPod({ volume: name, node: nodeName, path, namespace: this.helperNamespace, image: this.opts.helperImage }));
        this.log.info("cleanup helper pod created", { volume: name, node: nodeName, path });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    const helperPhase = pod.status?.phase;
    if (helperPhase === "Succeeded") {
      await this.finish(volume);
      await this.deletePod(pod);
      return;
    }
    if (helperPhase === "Failed") {
      await this.deletePod(pod);
      throw new Error(`cleanup helper pod ${helperPodName(name)} for volume ${name} failed on node ${nodeName}; retrying`);
    }
  }

  /** The Node the affinity's hostname names (by its hostname label, else by name). */
  private nodeNamed(hostname: string): string | undefined {
    const byName = this.nodes.get(hostname);
    if (byName) return hostname;
    return this.nodes.list().find((n) => n.metadata?.labels?.[HOSTNAME_LABEL] === hostname)?.metadata?.name;
  }

  /** Done with the volume: its cleanup finalizer off (compare-and-swap), then the volume deleted. */
  private async finish(volume: VolumeObject): Promise<void> {
    const client = this.opts.client.resource<VolumeObject>(resources.persistentvolumes);
    try {
      if (volume.metadata?.finalizers?.includes(CLEANUP_FINALIZER)) {
        const next = structuredClone(volume);
        next.metadata = { ...next.metadata, finalizers: next.metadata?.finalizers?.filter((f) => f !== CLEANUP_FINALIZER) };
        await client.update(undefined, next);
      }
      if (!volume.metadata?.deletionTimestamp) await client.delete(undefined, volume.metadata!.name!, { preconditions: { uid: volume.metadata?.uid } });
      this.log.info("volume deleted", { volume: volume.metadata?.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async deletePod(pod: PodObject): Promise<void> {
    try {
      await this.opts.client.resource<PodObject>(resources.pods).delete(pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private tell(claim: ClaimObject, reason: string, message: string): void {
    const k = `${claim.metadata?.uid}/${reason}`;
    if (this.told.has(k)) return;
    this.told.add(k);
    this.recorder.event({ ...claim, apiVersion: "v1", kind: "PersistentVolumeClaim" }, "Warning", reason, message);
  }
}

/** The hostname a local-path volume's node affinity pins it to. */
export function nodeOf(v: VolumeObject): string | undefined {
  for (const t of v.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of t.matchExpressions ?? []) if (e.key === HOSTNAME_LABEL && e.operator === "In" && e.values?.length === 1) return e.values[0];
  }
  return undefined;
}

// The pod garbage collector (Kubernetes' podgc controller), for the pods nobody else will ever finish:
// orphaned pods, bound to a Node that does not exist: no kubelet will stop them, so they are force-deleted
// (grace period 0) after the Node's absence is confirmed by a live GET, and their owners (ReplicaSets, ...) create
// replacements. A pod bound to a node this controller never saw waits out a quarantine first (40 s, as Kubernetes:
// the node may be registering); for a Node seen deleted there is nothing to wait for. (Kubernetes' podgc also caps
// terminated pods and finishes unscheduled terminating pods; the API server here deletes those at once.)
// Before a force delete the pod gets the DisruptionTarget condition (reason DeletionByPodGC), as Kubernetes does.
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
import { isConflict, isNotFound } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { Controller } from "../types.js";

type PodObject = Pod & KubeObject;

export interface PodGcControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** How long a pod bound to a never-seen node waits before its node is checked (default 40 s, Kubernetes'). */
  quarantineMs?: number;
  /** How often every pod is looked at again (default 20 s, Kubernetes' gcCheckPeriod). */
  checkPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
}

/** Queue keys are node names: the pods bound to that node go if it is gone. */
export class PodGcController implements Controller {
  readonly name = "pod-garbage-collector";
  private readonly queue: WorkQueue<string>;
  private readonly pods: Lister<PodObject>;
  private readonly nodes: Lister<KubeObject>;
  private readonly log: Logger;
  private readonly quarantineMs: number;
  private readonly checkPeriodMs: number;
  /** Nodes seen in the cache at some point (their pods need no quarantine once they are gone). */
  private readonly seen = new Set<string>();

  constructor(private readonly opts: PodGcControllerOptions) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.quarantineMs = opts.quarantineMs ?? 40_000;
    this.checkPeriodMs = opts.checkPeriodMs ?? 20_000;
    this.queue = new WorkQueue({ name: "podgc", clock: opts.clock });
    const podInformer = opts.informers.forResource<PodObject>(resources.pods);
    const nodeInformer = opts.informers.forResource<KubeObject>(resources.nodes);
    this.pods = podInformer.lister();
    this.nodes = nodeInformer.lister();
    podInformer.addEventHandler({ onAdd: (p) => this.look(p), onUpdate: (_o, p) => this.look(p) });
    nodeInformer.addEventHandler({
      onAdd: (n) => this.seen.add(n.metadata!.name!),
      onUpdate: (_o, n) => this.seen.add(n.metadata!.name!),
      onDelete: (n) => {
        const name = unwrapTombstone(n).metadata?.name;
        if (name) this.queue.add(name);
      },
    });
  }

  /** Queues the pod's node to be checked when the cache does not have it. */
  private look(p: PodObject): void {
    const node = p.spec?.nodeName;
    if (!node || this.nodes.get(node)) return;
    if (this.seen.has(node)) this.queue.add(node);
    else this.queue.addAfter(node, this.quarantineMs);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    for (const n of this.nodes.list()) this.seen.add(n.metadata!.name!);
    const sweep = (): void => {
      for (const p of this.pods.list()) this.look(p);
    };
    sweep();
    const timer = setInterval(sweep, this.checkPeriodMs);
    try {
      await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: 1, log: this.log, signal });
    } finally {
      clearInterval(timer);
    }
  }

  async sync(node: string): Promise<void> {
    const bound = this.pods.list((p) => p.spec?.nodeName === node);
    if (bound.length === 0 || this.nodes.get(node)) return;
    // The cache may lag: only a live NotFound counts.
    try {
      await this.opts.client.resource(resources.nodes).get(undefined, node);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.log.info("deleting pods of a node that does not exist", { node, pods: bound.length });
    for (const p of bound) await this.forceDelete(p);
  }

  private async forceDelete(p: PodObject): Promise<void> {
    const client = this.opts.client.resource<PodObject>(resources.pods);
    const ns = p.metadata!.namespace!;
    const name = p.metadata!.name!;
    try {
      if (p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed") {
        // Kubernetes marks the pod Failed with the reason before deleting it, so watchers see why it went.
        const now = new Date().toISOString();
        const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== "DisruptionTarget");
        conditions.push({ type: "DisruptionTarget", status: "True", reason: "DeletionByPodGC", message: "PodGC: node no longer exists", lastTransitionTime: now });
        await client.patch(ns, name, "merge", { status: { phase: "Failed", conditions } }, { subresource: "status" });
      }
      await client.delete(ns, name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata!.uid } });
      this.log.info("pod deleted", { pod: `${ns}/${name}`, node: p.spec?.nodeName, reason: "orphaned" });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}

// The EndpointSlice controller: for every service with a selector, discovery.k8s.io/v1 EndpointSlices (labelled
// kubernetes.io/service-name and managed-by endpointslice-controller.k8s.io, owned by the service) holding the
// selected pods, at most 100 per slice, with ready/serving/terminating conditions, node, zone and hostname.
// Events only enqueue service keys; sync(key) plans against the cached slices (reconcile.ts) and writes the
// difference. Slices it just wrote may not be in its cache yet: until they are, it waits rather than planning
// from a stale view (which would create duplicates), as Kubernetes' endpointSliceTracker does.
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import { splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound } from "../../machinery/errors.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { hasSelector, selects, servicesSelecting, type PodObject, type ServiceObject } from "../endpoint/service_pods.js";
import type { Controller } from "../types.js";
import { desiredGroups, ZONE_LABEL } from "./desired.js";
import { CONTROLLER_NAME, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL, type SliceObject } from "./reconcile.js";
import { SliceTracker } from "./slice_tracker.js";

type NodeObject = Node & KubeObject;

/** How long to wait before looking again when the cache has not seen our own writes yet. */
const STALE_RECHECK_MS = 200;

export interface EndpointSliceControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  maxEndpointsPerSlice?: number;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class EndpointSliceController implements Controller {
  readonly name = "endpointslice-controller";
  readonly queue: WorkQueue<string>;
  private readonly services: SharedInformer<ServiceObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly slices: SharedInformer<SliceObject>;
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly api: ResourceClient<SliceObject>;
  private readonly tracker: SliceTracker;
  private readonly log: Logger;

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    const clock = opts.clock ?? realClock;
    this.tracker = new SliceTracker(() => clock.now());
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "endpointslices", clock });
    this.api = opts.client.resource<SliceObject>(resources.endpointslices);
    this.services = opts.informers.forResource<ServiceObject>(resources.services);
    this.pods = opts.informers.forResource<PodObject>(resources.pods);
    this.slices = opts.informers.forResource<SliceObject>(resources.endpointslices);
    this.nodes = opts.informers.forResource<NodeObject>(resources.nodes);
    this.services.addEventHandler({
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_o, s) => this.enqueue(s),
      onDelete: (s) => this.enqueue(unwrapTombstone(s)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion !== cur.metadata?.resourceVersion) this.podChanged(cur, old);
      },
      onDelete: (p) => this.podChanged(unwrapTombstone(p)),
    });
    this.slices.addEventHandler({
      onAdd: (s) => this.sliceChanged(s),
      onUpdate: (_o, s) => this.sliceChanged(s),
      onDelete: (obj) => {
        const s = unwrapTombstone(obj);
        const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
        if (svc) this.tracker.observedDeletion(`${s.metadata?.namespace ?? ""}/${svc}`, s.metadata?.name ?? "");
        this.sliceChanged(s);
      },
    });
    // A node's zone label is copied onto endpoints: a change re-syncs the services with pods there.
    this.nodes.addEventHandler({
      onUpdate: (old, cur) => {
        if (old.metadata?.labels?.[ZONE_LABEL] === cur.metadata?.labels?.[ZONE_LABEL]) return;
        for (const pod of this.pods.lister().list((p) => p.spec?.nodeName === cur.metadata?.name)) this.podChanged(pod);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  private enqueue(obj: KubeObject): void {
    this.queue.add(`${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`);
  }

  private podChanged(pod: PodObject, old?: PodObject): void {
    const candidates = this.services.lister().namespace(pod.metadata?.namespace ?? "").list();
    const keys = new Set(servicesSelecting(pod, candidates));
    if (old) for (const k of servicesSelecting(old, candidates)) keys.add(k);
    for (const k of keys) this.queue.add(k);
  }

  private sliceChanged(slice: SliceObject): void {
    const labels = slice.metadata?.labels ?? {};
    const svc = labels[SERVICE_NAME_LABEL];
    if (svc && labels[MANAGED_BY_LABEL] === CONTROLLER_NAME) this.queue.add(`${slice.metadata?.namespace ?? ""}/${svc}`);
  }

  /** The slices this controller manages for a service, from the cache. */
  private ownSlices(namespace: string, name: string): SliceObject[] {
    return this.slices
      .lister()
      .namespace(namespace)
      .list((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME);
  }

  async sync(key: string): Promise<SyncResult | void> {
    try {
      return await this.syncOnce(key);
    } catch (err) {
      if (!isConflict(err)) throw err;
      this.log.debug("endpointslice write raced, retrying", { key, err });
      this.queue.addRateLimited(key);
    }
  }

  private async syncOnce(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const existing = this.ownSlices(namespace, name);
    if (this.tracker.stale(key, existing)) return { requeueAfterMs: STALE_RECHECK_MS };
    const svc = this.services.indexer.get(key);
    if (!svc || !hasSelector(svc)) {
      // Gone (the garbage collector would get there too, through the owner reference) or no longer selecting.
      for (const s of existing) await this.deleteSlice(key, s);
      if (!svc) this.tracker.forget(key);
      return;
    }
    const pods = this.pods.lister().namespace(namespace).list((p) => selects(svc, p));
    const zoneOf = (node: string): string | undefined => this.nodes.indexer.get(node)?.metadata?.labels?.[ZONE_LABEL];
    const plan = planSlices(svc, { existing, desired: desiredGroups(svc, pods, { zoneOf }), maxEndpoints: this.opts.maxEndpointsPerSlice });
    for (const s of plan.create) {
      const made = await this.api.create(namespace, s);
      this.tracker.wrote(key, made);
    }
    for (const s of plan.update) {
      const written = await this.api.update(namespace, s);
      this.tracker.wrote(key, written);
    }
    for (const s of plan.delete) await this.deleteSlice(key, s);
    if (plan.create.length + plan.update.length + plan.delete.length > 0) {
      this.log.debug("endpointslices written", { key, created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length });
    }
  }

  private async deleteSlice(key: string, s: SliceObject): Promise<void> {
    try {
      await this.api.delete(s.metadata?.namespace, s.metadata?.name ?? "", { preconditions: { uid: s.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.tracker.deleted(key, s);
  }
}

// The Endpoints controller: for every service with a selector, a core/v1 Endpoints of the same name listing the
// selected pods (see subsets.ts). Services, pods and Endpoints only enqueue service keys; sync(key) recomputes the
// whole object from the listers and writes it when it differs. A service that is gone takes its Endpoints with
// it; a service without a selector is left to its users.
import type { Endpoints } from "kubernetes-types/core/v1.js";
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
import { isAlreadyExists, isConflict, isNotFound } from "../../machinery/errors.js";
import { silentLogger, type Logger } from "../../util/log.js";
import type { Controller } from "../types.js";
import { canonical, endpointLabels, hasSelector, selects, servicesSelecting, type PodObject, type ServiceObject } from "./service_pods.js";
import { computeSubsets, truncateSubsets } from "./subsets.js";

/** Set on an Endpoints whose addresses were cut to the 1000 it may hold. */
export const OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity";

export type EndpointsObject = Endpoints & KubeObject;

export interface EndpointsControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

export class EndpointsController implements Controller {
  readonly name = "endpoint-controller";
  readonly queue: WorkQueue<string>;
  private readonly services: SharedInformer<ServiceObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly endpoints: SharedInformer<EndpointsObject>;
  private readonly api: ResourceClient<EndpointsObject>;
  private readonly log: Logger;

  constructor(private readonly opts: EndpointsControllerOptions) {
    const clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "endpoints", clock });
    this.api = opts.client.resource<EndpointsObject>(resources.endpoints);
    this.services = opts.informers.forResource<ServiceObject>(resources.services);
    this.pods = opts.informers.forResource<PodObject>(resources.pods);
    this.endpoints = opts.informers.forResource<EndpointsObject>(resources.endpoints);
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
    // Someone else changed or deleted an Endpoints we manage: put it back.
    this.endpoints.addEventHandler({
      onUpdate: (_o, ep) => this.enqueue(ep),
      onDelete: (ep) => this.enqueue(unwrapTombstone(ep)),
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

  /** A pod change touches the services selecting it now and those that selected it before (labels changed). */
  private podChanged(pod: PodObject, old?: PodObject): void {
    const ns = pod.metadata?.namespace ?? "";
    const candidates = this.services.lister().namespace(ns).list();
    const keys = new Set(servicesSelecting(pod, candidates));
    if (old) for (const k of servicesSelecting(old, candidates)) keys.add(k);
    for (const k of keys) this.queue.add(k);
  }

  async sync(key: string): Promise<SyncResult | void> {
    try {
      await this.syncOnce(key);
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) throw err;
      // Our cache was behind the Endpoints: look again once the informer caught up.
      this.log.debug("endpoints write raced, retrying", { key, err });
      this.queue.addRateLimited(key);
    }
  }

  private async syncOnce(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.indexer.get(key);
    const current = this.endpoints.indexer.get(key);
    if (!svc) {
      if (!current) return;
      try {
        await this.api.delete(namespace, name, { preconditions: { uid: current.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    if (!hasSelector(svc)) return;
    const pods = this.pods.lister().namespace(namespace).list((p) => selects(svc, p));
    const { subsets, truncated } = truncateSubsets(computeSubsets(svc, pods));
    const labels = endpointLabels(svc);
    const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = "truncated";
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);
    if (current && same(current.subsets ?? [], subsets) && same(current.metadata?.labels ?? {}, labels) && same(current.metadata?.annotations ?? {}, annotations)) return;
    const desired: EndpointsObject = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { ...(current ? current.metadata : { name, namespace }), labels, annotations: Object.keys(annotations).length ? annotations : undefined },
      subsets,
    };
    if (current) {
      this.log.debug("updating endpoints", { key, subsets: subsets.length });
      await this.api.update(namespace, desired);
    } else {
      this.log.debug("creating endpoints", { key, subsets: subsets.length });
      await this.api.create(namespace, desired);
    }
  }
}


// The namespace controller: when a namespace is being deleted (deletionTimestamp set, "kubernetes" still in
// spec.finalizers) it deletes every namespaced object in it, waits until they are really gone (pods terminate
// gracefully, objects wait on finalizers), reports progress as status conditions, and finally removes
// "kubernetes" from spec.finalizers via the namespace's /finalize subresource, after which the API server
// deletes the namespace.
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { Clock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import { exponentialRateLimiter } from "../../client/rate_limiter.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceRef } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isNotFound, isStatusError } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { Controller } from "../types.js";
import { deletionConditions, mergeConditions, type DeletionOutcome } from "./conditions.js";

export const KUBERNETES_FINALIZER = "kubernetes";

type NamespaceObject = Namespace & KubeObject;

export interface NamespaceControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** The namespaced resources whose content is deleted (discovery supplies this later). */
  resources: ResourceRef[];
  /** How soon to look again while content remains (Kubernetes estimates from grace periods; a few seconds). */
  recheckMs?: number;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

const gr = (r: ResourceRef): string => `${r.resource}.${r.group}`;

export class NamespaceController implements Controller {
  readonly name = "namespace-controller";
  private readonly queue: WorkQueue<string>;
  private readonly log: Logger;

  constructor(private readonly opts: NamespaceControllerOptions) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    // Kubernetes' namespace queue backs off from 5 ms to 60 s: a stuck deletion is retried at least every minute.
    this.queue = new WorkQueue({ name: "namespace", clock: opts.clock, rateLimiter: exponentialRateLimiter({ baseDelayMs: 5, maxDelayMs: 60_000 }) });
    const enqueue = (ns: NamespaceObject): void => {
      if (ns.metadata?.deletionTimestamp && ns.metadata.name) this.queue.add(ns.metadata.name);
    };
    opts.informers.forResource<NamespaceObject>(resources.namespaces).addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, ns) => enqueue(ns),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (name) => this.sync(name), workers: this.opts.workers ?? 2, log: this.log, signal });
  }

  private namespaces() {
    return this.opts.client.resource<NamespaceObject>(resources.namespaces);
  }

  async sync(name: string): Promise<SyncResult | void> {
    let ns: NamespaceObject;
    try {
      // A live read: the cache may still show a namespace that was finalized a moment ago.
      ns = await this.namespaces().get(undefined, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp || !ns.spec?.finalizers?.includes(KUBERNETES_FINALIZER)) return;
    const outcome = await this.deleteContent(name);
    await this.reportConditions(ns, outcome);
    if (outcome.failures.length) throw new Error(`namespace ${name}: deleting content failed: ${outcome.failures.join("; ")}`);
    if (outcome.remaining.size) {
      this.log.info("namespace content remaining", { namespace: name, remaining: Object.fromEntries(outcome.remaining) });
      return { requeueAfterMs: this.opts.recheckMs ?? 2000 };
    }
    await this.finalize(name);
  }

  private async deleteContent(ns: string): Promise<DeletionOutcome> {
    const outcome: DeletionOutcome = { failures: [], remaining: new Map(), finalizers: new Map() };
    await Promise.all(
      this.opts.resources
        .filter((r) => r.namespaced)
        .map(async (ref) => {
          const rc = this.opts.client.resource(ref);
          try {
            await this.deleteAll(ref, ns);
            const left = await rc.list(ns);
            if (left.items.length) outcome.remaining.set(gr(ref), left.items.length);
            for (const item of left.items)
              for (const f of item.metadata?.finalizers ?? []) outcome.finalizers.set(f, (outcome.finalizers.get(f) ?? 0) + 1);
          } catch (err) {
            outcome.failures.push(`${gr(ref)}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
    );
    return outcome;
  }

  /** deletecollection when the resource serves it, else list and delete one by one, as Kubernetes does. */
  private async deleteAll(ref: ResourceRef, ns: string): Promise<void> {
    const rc = this.opts.client.resource(ref);
    try {
      await rc.deleteCollection(ns, { propagationPolicy: "Background" });
      return;
    } catch (err) {
      if (!isStatusError(err, "MethodNotAllowed")) throw err;
    }
    const list = await rc.list(ns);
    for (const item of list.items) {
      if (item.metadata?.deletionTimestamp) continue;
      try {
        await rc.delete(ns, item.metadata!.name!, { propagationPolicy: "Background", preconditions: { uid: item.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async reportConditions(ns: NamespaceObject, outcome: DeletionOutcome): Promise<void> {
    const now = new Date((this.opts.clock ?? { now: Date.now }).now()).toISOString().replace(/\.\d+Z$/, "Z");
    const merged = mergeConditions(ns.status?.conditions ?? [], deletionConditions(outcome), now);
    if (!merged) return;
    try {
      await this.namespaces().updateStatus(undefined, { ...ns, status: { ...ns.status, phase: "Terminating", conditions: merged } });
    } catch (err) {
      // Conditions are informative; the next pass writes them again. Do not fail the deletion over them.
      this.log.warn("could not update namespace conditions", { namespace: ns.metadata?.name, err });
    }
  }

  /** Removes our finalizer via /finalize, retrying on write conflicts with a fresh read. */
  private async finalize(name: string): Promise<void> {
    const ns = await this.namespaces().get(undefined, name);
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    await this.namespaces().updateSubresource(undefined, { ...ns, spec: { ...ns.spec, finalizers } }, { subresource: "finalize" });
    this.log.info("namespace finalized", { namespace: name });
  }
}

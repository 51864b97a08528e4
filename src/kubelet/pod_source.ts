// Pods bound to nodes, from one pod informer: for a single agent it lists and watches with
// fieldSelector spec.nodeName=<node>; for many hollow nodes one informer watches every bound pod
// (spec.nodeName!=) and fans changes out by spec.nodeName, so a hundred nodes cost one watch.
import type { Clock } from "../client/clock.js";
import { NODE_NAME_INDEX, nodeNameIndexFunc } from "../client/indexer.js";
import { SharedInformer, unwrapTombstone } from "../client/informer.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { Logger } from "../util/log.js";
import type { PodEventHandler, PodObject, PodSource } from "./types.js";

export interface InformerPodSourceOptions {
  client: Client;
  /** Watch only this node's pods; all bound pods when unset. */
  nodeName?: string;
  clock?: Clock;
  log?: Logger;
}

export class InformerPodSource implements PodSource {
  readonly informer: SharedInformer<PodObject>;
  private readonly handlers = new Map<string, Set<PodEventHandler>>();

  constructor(opts: InformerPodSourceOptions) {
    this.informer = new SharedInformer<PodObject>({
      source: {
        client: opts.client.resource<PodObject>(resources.pods),
        fieldSelector: opts.nodeName ? `spec.nodeName=${opts.nodeName}` : "spec.nodeName!=",
      },
      name: opts.nodeName ? `pods@${opts.nodeName}` : "pods@bound",
      indexers: { [NODE_NAME_INDEX]: nodeNameIndexFunc },
      // Pods are handed to workers that keep them: frozen objects protect the cache from their edits.
      freeze: true,
      clock: opts.clock,
      log: opts.log,
    });
    const to = (pod: PodObject): Set<PodEventHandler> | undefined => this.handlers.get(pod.spec?.nodeName ?? "");
    this.informer.addEventHandler({
      onAdd: (pod) => to(pod)?.forEach((h) => h.upsert(pod)),
      onUpdate: (old, pod) => {
        if (old.spec?.nodeName !== pod.spec?.nodeName) to(old)?.forEach((h) => h.remove(old));
        to(pod)?.forEach((h) => h.upsert(pod));
      },
      onDelete: (obj) => {
        const pod = unwrapTombstone(obj);
        to(pod)?.forEach((h) => h.remove(pod));
      },
    });
  }

  listForNode(nodeName: string): PodObject[] {
    return this.informer.indexer.byIndex(NODE_NAME_INDEX, nodeName);
  }

  subscribe(nodeName: string, handler: PodEventHandler): () => void {
    let set = this.handlers.get(nodeName);
    if (!set) this.handlers.set(nodeName, (set = new Set()));
    set.add(handler);
    if (this.informer.hasSynced()) for (const pod of this.listForNode(nodeName)) handler.upsert(pod);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(nodeName);
    };
  }

  waitForSync(signal: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  /** Lists and watches until the signal aborts. */
  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }
}

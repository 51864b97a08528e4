// The node IPAM controller (Kubernetes' range allocator): every Node without spec.podCIDR gets the lowest free
// subnet of the cluster CIDR (10.244.0.0/16 cut into /24s) in spec.podCIDR and spec.podCIDRs. A deleted Node's
// subnet is free again. The pool is recomputed from the Node cache on every sync, plus the subnets this controller
// handed out that the cache may not show yet, so a restart or a missed event never hands one subnet out twice.
import type { Node } from "kubernetes-types/core/v1.js";
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
import { CidrSet } from "./cidr_set.js";

export type NodeObject = Node & KubeObject;

export const DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export interface NodeIpamControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
  clock?: Clock;
  log?: Logger;
}

export class NodeIpamController implements Controller {
  readonly name = "node-ipam-controller";
  private readonly queue: WorkQueue<string>;
  private readonly lister: Lister<NodeObject>;
  private readonly log: Logger;
  private readonly clusterCidr: string;
  private readonly maskSize: number;
  /** Subnets this controller patched onto nodes, by node name, until the node is gone. */
  private readonly assigned = new Map<string, string>();

  constructor(private readonly opts: NodeIpamControllerOptions) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.clusterCidr = opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR;
    this.maskSize = opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE;
    // Fails early on a bad configuration rather than on the first node.
    new CidrSet(this.clusterCidr, this.maskSize);
    this.queue = new WorkQueue({ name: "nodeipam", clock: opts.clock });
    const informer = opts.informers.forResource<NodeObject>(resources.nodes);
    this.lister = informer.lister();
    const enqueue = (n: NodeObject): void => {
      if (n.metadata?.name) this.queue.add(n.metadata.name);
    };
    informer.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, n) => enqueue(n),
      onDelete: (n) => enqueue(unwrapTombstone(n)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    // One worker: allocation reads and extends one pool.
    await runWorkers({ queue: this.queue, sync: (name) => this.sync(name), workers: 1, log: this.log, signal });
  }

  /** The pool as the cache and this controller's own recent assignments say it is. */
  private pool(): CidrSet {
    const set = new CidrSet(this.clusterCidr, this.maskSize);
    for (const n of this.lister.list()) for (const c of podCidrsOf(n)) set.occupy(c);
    for (const c of this.assigned.values()) set.occupy(c);
    return set;
  }

  async sync(name: string): Promise<void> {
    const node = this.lister.get(name);
    if (!node) {
      if (this.assigned.delete(name)) this.log.info("node gone, pod CIDR released", { node: name });
      return;
    }
    const existing = podCidrsOf(node);
    if (existing.length > 0) {
      // The cache caught up (or another allocator set it): the node's own spec is the truth from now on.
      this.assigned.delete(name);
      return;
    }
    const mine = this.assigned.get(name);
    if (mine) {
      // Patched already; the cache has not shown it yet. Make sure it really is there (the patch may have been lost
      // with a recreated node of the same name).
      const live = await this.nodes().get(undefined, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (!live) {
        this.assigned.delete(name);
        return;
      }
      if (podCidrsOf(live).length > 0) return;
      this.assigned.delete(name);
    }
    const cidr = this.pool().allocateNext();
    try {
      await this.nodes().patch(undefined, name, "merge", { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.assigned.set(name, cidr);
    this.log.info("pod CIDR assigned", { node: name, podCIDR: cidr });
  }

  private nodes() {
    return this.opts.client.resource<NodeObject>(resources.nodes);
  }
}

export function podCidrsOf(n: Node): string[] {
  const list = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
  return list.filter((c) => !c.includes(":"));
}

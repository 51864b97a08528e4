// The pod network agent of one node (flannel's VXLAN backend with the Kubernetes subnet manager). From a Node
// informer it waits for its own node's spec.podCIDR (the node IPAM controller's), then keeps the node's side in
// shape: ip_forward on, the flannel.1 device addressed with the subnet's network address, the VTEP MAC and underlay
// IP published as Node annotations, pod traffic leaving the pod network masqueraded, optionally the CNI conflist,
// and routes/neighbours/FDB entries for exactly the other nodes that published theirs. Level-triggered: every Node
// change queues one key and the sync recomputes everything; a periodic resync repairs hand-made damage.
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import type { Clock } from "../client/clock.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import type { Lister } from "../client/lister.js";
import { runWorkers, type SyncResult } from "../client/queue_worker.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { WorkQueue } from "../client/workqueue.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { leaseAnnotations, leaseOf, VNI } from "./annotations.js";
import { writeConflist } from "./cni_config.js";
import { execRunner, mustRun } from "./exec.js";
import { ensureMasquerade } from "./masquerade.js";
import type { CommandRunner, NodeLease } from "./types.js";
import { ensureVxlanDevice, reconcilePeers, VXLAN_DEVICE } from "./vxlan.js";

type NodeObject = Node & KubeObject;

export const DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";
const KEY = "network";
/** Repairs routes or entries someone removed by hand within this long, as flannel's periodic checks do. */
const RESYNC_MS = 30_000;

export interface NetworkAgentOptions {
  client: Client;
  nodeName: string;
  /** The node's underlay address: VXLAN packets leave from it and peers send to it. */
  publicIP: string;
  /** Network namespace under /var/run/netns to program (default: this process's own). */
  netns?: string;
  /** Commands run through this (default: exec, inside netns). */
  runner?: CommandRunner;
  clusterCIDR?: string;
  /** Masquerade pod traffic leaving the cluster CIDR (default true, as flannel's --ip-masq). */
  ipMasq?: boolean;
  /** Write the CNI conflist here for the node's pod subnet (leave unset when the container runtime writes it). */
  cniConfDir?: string;
  cniIpamDir?: string;
  clock?: Clock;
  log?: Logger;
}

export class NetworkAgent {
  readonly name = "network-agent";
  private readonly runner: CommandRunner;
  private readonly log: Logger;
  private readonly informers: SharedInformerFactory;
  private readonly lister: Lister<NodeObject>;
  private readonly queue: WorkQueue<string>;
  private readonly ready: { resolve: () => void; promise: Promise<void> };
  /** What this node last set up, so an unchanged node costs no commands. */
  private local?: { podCIDR: string; vtepMAC: string };

  constructor(private readonly opts: NetworkAgentOptions) {
    this.runner = opts.runner ?? execRunner({ netns: opts.netns });
    this.log = (opts.log ?? silentLogger).with({ component: this.name });
    this.informers = new SharedInformerFactory({ client: opts.client, clock: opts.clock, log: this.log });
    const informer = this.informers.forResource<NodeObject>(resources.nodes);
    this.lister = informer.lister();
    this.queue = new WorkQueue({ name: "network", clock: opts.clock });
    const enqueue = (): void => this.queue.add(KEY);
    informer.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.ready = { resolve, promise };
  }

  /** Resolves once this node's own side (device, annotations) is set up. */
  whenReady(): Promise<void> {
    return this.ready.promise;
  }

  async run(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    try {
      if (!(await this.informers.waitForCacheSync(signal))) return;
      this.queue.add(KEY);
      await runWorkers({ queue: this.queue, sync: () => this.sync(), workers: 1, log: this.log, signal });
    } finally {
      await this.informers.shutdown();
    }
  }

  async sync(): Promise<SyncResult | void> {
    const me = this.lister.get(this.opts.nodeName);
    const podCIDR = me?.spec?.podCIDR ?? me?.spec?.podCIDRs?.[0];
    if (!me || !podCIDR) {
      this.log.debug("waiting for the node's pod CIDR", { node: this.opts.nodeName });
      return;
    }
    // Set up again when the subnet changed or the device went away (deleted by hand, namespace recreated).
    if (this.local?.podCIDR !== podCIDR || (await this.runner.run(["ip", "link", "show", "dev", VXLAN_DEVICE])).code !== 0) await this.setUpLocal(podCIDR);
    const vtepMAC = this.local!.vtepMAC;
    const want = leaseAnnotations({ vtepMAC, publicIP: this.opts.publicIP });
    const have = me.metadata?.annotations ?? {};
    if (Object.entries(want).some(([k, v]) => have[k] !== v)) {
      await this.opts.client.resource<NodeObject>(resources.nodes).patch(undefined, this.opts.nodeName, "merge", { metadata: { annotations: want } });
      this.log.info("VTEP published", { vtepMAC, publicIP: this.opts.publicIP, podCIDR });
    }
    const peers: NodeLease[] = [];
    for (const n of this.lister.list()) {
      if (n.metadata?.name === this.opts.nodeName) continue;
      const lease = leaseOf(n);
      if (lease && lease.publicIP !== this.opts.publicIP) peers.push(lease);
    }
    const changes = await reconcilePeers(this.runner, peers);
    if (changes.added.length || changes.removed.length) this.log.info("peers updated", { added: changes.added, removed: changes.removed, peers: peers.length });
    this.ready.resolve();
    return { requeueAfterMs: RESYNC_MS };
  }

  private async setUpLocal(podCIDR: string): Promise<void> {
    // Without forwarding the node's namespace would drop everything between cni0, flannel.1 and the underlay.
    await mustRun(this.runner, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    const vtepMAC = await ensureVxlanDevice(this.runner, { vni: VNI, localIP: this.opts.publicIP, podCIDR });
    const clusterCIDR = this.opts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR;
    if (this.opts.ipMasq ?? true) await ensureMasquerade(this.runner, clusterCIDR);
    if (this.opts.cniConfDir) await writeConflist(this.opts.cniConfDir, { podCIDR, ipamDataDir: this.opts.cniIpamDir ?? `${this.opts.cniConfDir}/../ipam` });
    this.local = { podCIDR, vtepMAC };
    this.log.info("VXLAN device ready", { podCIDR, vtepMAC });
  }
}

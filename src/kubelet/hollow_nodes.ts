// Many hollow nodes in one process (`k8ts sim --nodes N`): each is a full node agent with its own Node, Lease,
// status, capacity, labels, simulated runtime and pod workers, but they share one API client and one pod informer
// (every bound pod, fanned out by spec.nodeName), so a hundred nodes cost one watch instead of a hundred. The
// client bounds the requests in flight and gives node heartbeats about half the turns (hollow_client.ts); the
// service list for pods' env is read once for all nodes, and one node watch (label k8ts.io/hollow=true) replaces
// each agent's GET of its Node every status period.
import { setMaxListeners } from "node:events";
import { realClock, type Clock } from "../client/clock.js";
import type { Client } from "../client/rest_client.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { hollowClient, type HollowClient, type HollowClientOptions } from "./hollow_client.js";
import { Kubelet, type KubeletOptions } from "./kubelet.js";
import type { NodeConfig } from "./node_status.js";
import { annotationFetcher } from "./pod_metrics.js";
import { InformerPodSource } from "./pod_source.js";
import { SharedInformer } from "../client/informer.js";
import { resources } from "../client/resources.js";
import type { NodeObject } from "./types.js";
import { intToIp } from "./runtime/simulated/ip_allocator.js";
import { SimulatedProber } from "./runtime/simulated/simulated_prober.js";
import { SimulatedRuntime } from "./runtime/simulated/simulated_runtime.js";
import { clientObjectSource } from "./volumes/sources.js";

export interface HollowNodesOptions {
  client: Client;
  count: number;
  /** Node names are <prefix><index> (default "hollow-node-"). */
  namePrefix?: string;
  /** First index (default 0), so several sim processes can share a cluster. */
  startIndex?: number;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  instanceType?: string;
  clock?: Clock;
  log?: Logger;
  /** Bounds on the shared client's requests (hollow_client.ts). */
  requests?: HollowClientOptions;
  /** Passed to every agent (intervals, workers). */
  agent?: Pick<KubeletOptions, "leaseRenewIntervalMs" | "statusUpdateIntervalMs" | "statusReportIntervalMs" | "resyncIntervalMs" | "workers">;
}

/** Node i's own addresses: InternalIP 10.64.0.0/10 + i + 1, fallback pods 10.244.(i+1).0/24 (spilling upward past 255). */
export function hollowAddresses(i: number): { address: string; podCIDR: string } {
  const n = i + 1;
  const base = ((10 << 24) | (64 << 16)) >>> 0;
  // /24s from 10.244.0.0 up to 10.255.255.0 (3,071 nodes), then from 10.128.0.0/10 (16,384 more): hollow pod
  // IPs only need to be unique, and `k8ts sim` is asked for 5,000 nodes and more.
  const podNet = n < 3072 ? `10.${244 + (n >> 8)}.${n & 255}.0` : intToIp((((10 << 24) | (128 << 16)) + (n - 3072) * 256) >>> 0);
  return { address: intToIp((base + n) >>> 0), podCIDR: `${podNet}/24` };
}

/** Every pod is synced again at least this often: the kubelet's default syncFrequency (1 min). Changes (pod
 *  updates, container events, probe results, wake-ups) sync a pod at once regardless; the agent's own 10 s default
 *  made 100,000 hollow pods cost 10,000 syncs a second in one process. */
export const HOLLOW_RESYNC_MS = 60_000;

/** The label every hollow Node carries. */
export const HOLLOW_LABEL = "k8ts.io/hollow";

export class HollowNodes {
  readonly kubelets: Kubelet[] = [];
  readonly runtimes: SimulatedRuntime[] = [];
  readonly pods: InformerPodSource;
  /** Every hollow Node, for the agents' status updates. */
  readonly nodes: SharedInformer<NodeObject>;
  /** The client every agent sends through. */
  readonly client: HollowClient;
  private readonly log: Logger;

  constructor(private readonly o: HollowNodesOptions) {
    const clock = o.clock ?? realClock;
    this.log = o.log ?? silentLogger;
    this.client = hollowClient(o.client, o.requests);
    this.pods = new InformerPodSource({ client: this.client, clock, log: this.log });
    const objectSource = clientObjectSource(this.client, { now: () => clock.now() });
    this.nodes = new SharedInformer<NodeObject>({ source: { client: this.client.resource<NodeObject>(resources.nodes), labelSelector: `${HOLLOW_LABEL}=true` }, name: "nodes@hollow", clock, log: this.log });
    const nodeLister = (name: string): NodeObject | undefined => this.nodes.indexer.get(name);
    const prober = new SimulatedProber(clock);
    for (let k = 0; k < o.count; k++) {
      const i = (o.startIndex ?? 0) + k;
      const name = `${o.namePrefix ?? "hollow-node-"}${i}`;
      const { address, podCIDR } = hollowAddresses(i);
      const runtime = new SimulatedRuntime({ clock, fallbackPodCIDR: podCIDR });
      const node: NodeConfig = {
        address,
        capacity: o.capacity,
        instanceType: o.instanceType,
        labels: { ...o.labels, [HOLLOW_LABEL]: "true" },
        kernelVersion: "simulated",
        osImage: "k8ts hollow node",
      };
      this.runtimes.push(runtime);
      this.kubelets.push(new Kubelet({ client: this.client, objectSource, nodeLister, nodeName: name, runtime, prober, node, podSource: this.pods, clock, log: this.log, workers: 2, podMetrics: annotationFetcher, resyncIntervalMs: HOLLOW_RESYNC_MS, ...o.agent }));
    }
  }

  /** Runs the shared informer and every agent until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // Every agent listens on this one signal: that is by design, not a leak.
    setMaxListeners(0, signal);
    this.log.info("starting hollow nodes", { count: this.kubelets.length });
    await Promise.all([this.pods.run(signal), this.nodes.run(signal), ...this.kubelets.map((k) => k.run(signal))]);
  }

  /** Pods being handled across all nodes. */
  podCount(): number {
    return this.kubelets.reduce((n, k) => n + k.podCount(), 0);
  }
}

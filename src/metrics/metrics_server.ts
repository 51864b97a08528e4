// The resource metrics server: scrapes every node's agent on an interval (15 s by default, as metrics-server's
// --metric-resolution) and answers metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics from the latest readings.
// An API client like any component: it learns nodes and pods from informers; the API server reaches it through
// the provider methods below (wired in daemons/, aggregation style).
import { setMaxListeners } from "node:events";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { realClock, sleep, type Clock } from "../client/clock.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import { SharedInformer } from "../client/informer.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { parseFieldSelector } from "../machinery/fields.js";
import { parseSelector } from "../machinery/labels.js";
import { formatQuantity, Quantity } from "../machinery/quantity.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { CustomMetricsStore } from "./custom_metrics_store.js";
import { MetricsStore } from "./metrics_store.js";
import { HttpSummarySource } from "./summary_source.js";
import type { NodeAddressing, NodeMetrics, NodeMetricsPoint, NodeStatsSource, PodMetrics, PodMetricsPoint, Usage } from "./types.js";

export const METRICS_API_VERSION = "metrics.k8s.io/v1beta1";
/** metrics-server's default resolution. */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;
/** The pods metrics-server keeps: only running pods have usage to report (its runningPodMetadataInformer). Pods
 *  being created, scheduled or finished cost the API server no watch events for this informer. */
export const RUNNING_PODS = "status.phase=Running";

type NodeObject = Node & KubeObject;
type PodObject = Pod & KubeObject;

export interface MetricsServerOptions {
  client: Client;
  /** Where node usage comes from (default: each agent's /stats/summary over HTTP). */
  source?: NodeStatsSource;
  scrapeIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface MetricsQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export function nodeAddressing(node: NodeObject): NodeAddressing {
  const addresses = node.status?.addresses ?? [];
  const address = (addresses.find((a) => a.type === "InternalIP") ?? addresses[0])?.address;
  return { name: node.metadata?.name ?? "", address, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port, labels: node.metadata?.labels ?? {} };
}

function usageOf(u: Usage): Record<string, string> {
  return { cpu: formatQuantity(Quantity.fromNanos(BigInt(Math.max(0, Math.round(u.cpuNanoCores))))), memory: formatQuantity(Quantity.fromValue(Math.max(0, Math.round(u.memoryBytes)), "BinarySI")) };
}

/** A Go-style duration ("15.002s"), as metrics-server writes window. */
function windowOf(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

export class MetricsServer {
  readonly name = "metrics-server";
  readonly store = new MetricsStore();
  /** Pods' own Prometheus metrics (custom.metrics.k8s.io), from the same scrape. */
  readonly custom = new CustomMetricsStore();
  private readonly informers: SharedInformerFactory;
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly source: NodeStatsSource;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private rounds = 0;
  private nodesWithCustom = new Set<string>();

  constructor(private readonly opts: MetricsServerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ component: this.name });
    this.intervalMs = opts.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
    this.source = opts.source ?? new HttpSummarySource();
    this.informers = new SharedInformerFactory({ client: opts.client, clock: this.clock, log: this.log });
    this.nodes = this.informers.forResource<NodeObject>(resources.nodes);
    // Not from the factory: it shares one informer per resource, and this one is narrowed to running pods.
    this.pods = new SharedInformer<PodObject>({ source: { client: opts.client.resource<PodObject>(resources.pods), fieldSelector: RUNNING_PODS }, name: "pods", clock: this.clock, log: this.log });
  }

  /** True once a full scrape round has finished: before that, answers would be misleadingly empty. */
  get ready(): boolean {
    return this.rounds > 0;
  }

  async run(signal: AbortSignal): Promise<void> {
    // Every node's scrape listens on this one signal (a thousand nodes, a thousand listeners): by design.
    setMaxListeners(0, signal);
    this.informers.start(signal);
    const pods = this.pods.run(signal);
    try {
      if (!(await this.informers.waitForCacheSync(signal)) || !(await this.pods.waitForSync(signal))) return;
      while (!signal.aborted) {
        await this.scrape(signal);
        await sleep(this.clock, this.intervalMs, signal);
      }
    } finally {
      await Promise.allSettled([this.informers.shutdown(), pods]);
      if (this.source instanceof HttpSummarySource) this.source.close();
    }
  }

  /** A node that cannot be scraped this round: its readings are left out until it answers again. */
  private forgetNode(name: string): void {
    this.store.dropNode(name);
    this.custom.dropNode(name);
  }

  /** One round: every node scraped concurrently; a node that fails is left out until it answers again. */
  async scrape(signal?: AbortSignal): Promise<void> {
    const started = this.clock.now();
    const nodes = this.nodes.lister().list();
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ""));
    await Promise.all(
      nodes.map(async (node) => {
        const addr = nodeAddressing(node);
        // Thousands of hollow nodes would each cost a rejected promise and an Error per round.
        if (this.source.reachable?.(addr) === false) return this.forgetNode(addr.name);
        try {
          const summary = await this.source.summary(addr, signal);
          const o = { now: this.clock.now(), defaultWindowMs: this.intervalMs };
          this.store.ingest(addr.name, summary, o);
          this.custom.ingest(addr.name, summary, o);
        } catch (err) {
          this.forgetNode(addr.name);
          this.log.debug("node scrape failed", { node: addr.name, err });
        }
      }),
    );
    for (const n of this.store.allNodes()) if (!names.has(n.name)) this.store.dropNode(n.name);
    for (const n of this.nodesWithCustom) if (!names.has(n)) this.custom.dropNode(n);
    this.nodesWithCustom = names;
    // Readings of pods gone for several rounds only cost memory.
    this.store.prune(started - 4 * this.intervalMs);
    this.custom.prune(started - 4 * this.intervalMs);
    this.rounds++;
    this.log.debug("scrape round done", { nodes: nodes.length, ms: this.clock.now() - started });
  }

  private podMetrics(p: PodMetricsPoint, pod: PodObject): PodMetrics {
    return {
      kind: "PodMetrics",
      apiVersion: METRICS_API_VERSION,
      metadata: { name: p.name, namespace: p.namespace, creationTimestamp: new Date(this.clock.now()).toISOString(), ...(pod.metadata?.labels ? { labels: pod.metadata.labels } : {}) },
      timestamp: new Date(p.timestamp).toISOString(),
      window: windowOf(p.windowMs),
      containers: p.containers.map((c) => ({ name: c.name, usage: usageOf(c.usage) })),
    };
  }

  private nodeMetrics(p: NodeMetricsPoint, node: NodeObject): NodeMetrics {
    return {
      kind: "NodeMetrics",
      apiVersion: METRICS_API_VERSION,
      metadata: { name: p.name, creationTimestamp: new Date(this.clock.now()).toISOString(), ...(node.metadata?.labels ? { labels: node.metadata.labels } : {}) },
      timestamp: new Date(p.timestamp).toISOString(),
      window: windowOf(p.windowMs),
      usage: usageOf(p.usage),
    };
  }

  /** The API client this server reads with (the custom metrics API reads described objects through it). */
  get client(): Client {
    return this.opts.client;
  }

  /** Running pods of a namespace (all namespaces when undefined) matching a label selector, as the informer has them. */
  listPods(namespace: string | undefined, labelSelector = ""): PodObject[] {
    const lister = this.pods.lister();
    const sel = parseSelector(labelSelector);
    return namespace !== undefined ? lister.namespace(namespace).list(sel) : lister.list(sel);
  }

  /** Whether the API knows the pod and it is running. */
  hasPod(namespace: string, name: string): boolean {
    return this.pods.indexer.get(`${namespace}/${name}`) !== undefined;
  }

  /** Whether the API knows the node. */
  hasNode(name: string): boolean {
    return this.nodes.indexer.get(name) !== undefined;
  }

  /** Names of the nodes the API knows. */
  nodeNames(): string[] {
    return this.nodes.lister().list().map((n) => n.metadata?.name ?? "");
  }

  /** Metrics of a running pod the API knows; undefined when it has none (yet). */
  podMetricsOf(namespace: string, name: string): PodMetrics | undefined {
    const pod = this.pods.indexer.get(`${namespace}/${name}`);
    const p = this.store.pod(namespace, name);
    return pod && p ? this.podMetrics(p, pod) : undefined;
  }

  /** Pods matching the query that have metrics, sorted by namespace and name. */
  listPodMetrics(q: MetricsQuery = {}): PodMetrics[] {
    const labels = parseSelector(q.labelSelector ?? "");
    const fields = parseFieldSelector(q.fieldSelector ?? "");
    const lister = this.pods.lister();
    const pods = q.namespace ? lister.namespace(q.namespace).list(labels) : lister.list(labels);
    const out: PodMetrics[] = [];
    for (const pod of pods) {
      const m = pod.metadata ?? {};
      if (!fields.matches({ "metadata.name": m.name ?? "", "metadata.namespace": m.namespace ?? "" })) continue;
      const p = this.store.pod(m.namespace ?? "", m.name ?? "");
      if (p) out.push(this.podMetrics(p, pod));
    }
    return out.sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  }

  nodeMetricsOf(name: string): NodeMetrics | undefined {
    const node = this.nodes.indexer.get(name);
    const p = this.store.node(name);
    return node && p ? this.nodeMetrics(p, node) : undefined;
  }

  listNodeMetrics(q: MetricsQuery = {}): NodeMetrics[] {
    const labels = parseSelector(q.labelSelector ?? "");
    const fields = parseFieldSelector(q.fieldSelector ?? "");
    const out: NodeMetrics[] = [];
    for (const node of this.nodes.lister().list(labels)) {
      const name = node.metadata?.name ?? "";
      if (!fields.matches({ "metadata.name": name })) continue;
      const p = this.store.node(name);
      if (p) out.push(this.nodeMetrics(p, node));
    }
    return out.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  }
}

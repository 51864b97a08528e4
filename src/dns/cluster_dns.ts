// Cluster DNS as one long-running component: informers on Services, EndpointSlices, Namespaces (and Pods), the
// Kubernetes handler in front of an optional forwarder, a UDP+TCP server and an optional health/metrics port.
// It binds at once and answers from the first moment; until the caches are filled, names it cannot find are
// SERVFAIL (retry later) instead of NXDOMAIN, and /ready says 503.
import type { Client } from "../client/rest_client.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import { silentLogger, type Logger } from "../util/log.js";
import { InformerClusterView } from "./cluster_view.js";
import { Forwarder } from "./forwarder.js";
import { HealthServer } from "./health.js";
import { KubeHandler } from "./kube_handler.js";
import type { PodRecordsMode } from "./kube_records.js";
import { DnsMetrics } from "./metrics.js";
import { DnsServer } from "./server.js";
import type { HostPort } from "./types.js";

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export interface ClusterDnsOptions {
  client: Client;
  /** Where to serve DNS (UDP and TCP); port 0 picks a free port. */
  listen: HostPort;
  clusterDomain?: string;
  ttl?: number;
  /** Servers for names outside the cluster domain, tried in order. None: such queries are REFUSED. */
  upstreams?: HostPort[];
  /** Pod records <a-b-c-d>.<ns>.pod.<domain>: "verified" (default; watches Pods), "insecure", "disabled". */
  podRecords?: PodRecordsMode;
  /** HTTP port for /health, /ready and /metrics. */
  health?: HostPort;
  /** Share informers with other components of the process; its owner starts it. */
  informers?: SharedInformerFactory;
  metrics?: DnsMetrics;
  log?: Logger;
}

export interface ClusterDnsAddresses {
  dns: HostPort;
  health?: HostPort;
}

export class ClusterDns {
  readonly name = "cluster-dns";
  readonly metrics: DnsMetrics;
  private readonly view: InformerClusterView;
  private readonly factory: SharedInformerFactory;
  private readonly server: DnsServer;
  private readonly health?: HealthServer;
  private readonly log: Logger;
  private listening = false;
  private resolveAddresses!: (a: ClusterDnsAddresses) => void;
  private rejectAddresses!: (e: Error) => void;
  /** Resolves once the ports are bound (rejects if binding fails). */
  readonly addresses: Promise<ClusterDnsAddresses>;

  constructor(private readonly opts: ClusterDnsOptions) {
    this.log = opts.log ?? silentLogger;
    this.metrics = opts.metrics ?? new DnsMetrics();
    this.factory = opts.informers ?? new SharedInformerFactory({ client: opts.client, log: this.log });
    const podRecords = opts.podRecords ?? "verified";
    this.view = new InformerClusterView(this.factory, { pods: podRecords === "verified" });
    const next = opts.upstreams?.length ? new Forwarder({ upstreams: opts.upstreams, metrics: this.metrics, log: this.log }) : undefined;
    const handler = new KubeHandler({ view: this.view, zone: opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, ttl: opts.ttl, podRecords, next });
    this.server = new DnsServer({ handler, metrics: this.metrics, log: this.log });
    if (opts.health) this.health = new HealthServer({ ready: () => this.ready(), metrics: this.metrics });
    this.addresses = new Promise((resolve, reject) => {
      this.resolveAddresses = resolve;
      this.rejectAddresses = reject;
    });
    // Callers that never look at addresses must not see an unhandled rejection; run() rethrows the error.
    this.addresses.catch(() => undefined);
  }

  /** Bound and every cache filled. */
  ready(): boolean {
    return this.listening && this.view.synced();
  }

  /** True once ready; false if the signal aborts first. */
  async waitReady(signal: AbortSignal): Promise<boolean> {
    await this.addresses;
    return this.view.waitForSync(signal);
  }

  async run(signal: AbortSignal): Promise<void> {
    let addrs: ClusterDnsAddresses;
    try {
      const dns = await this.server.listen(this.opts.listen);
      const health = this.opts.health ? await this.health!.listen(this.opts.health) : undefined;
      addrs = { dns, health };
    } catch (err) {
      await this.server.close();
      await this.health?.close();
      this.rejectAddresses(err as Error);
      throw err;
    }
    this.listening = true;
    // A shared factory is started (and stopped) by its owner; ours starts here.
    if (!this.opts.informers) this.factory.start(signal);
    this.log.info("cluster dns serving", { dns: `${addrs.dns.host}:${addrs.dns.port}`, health: addrs.health ? `${addrs.health.host}:${addrs.health.port}` : undefined, domain: this.opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN });
    this.resolveAddresses(addrs);
    void this.view.waitForSync(signal).then((ok) => ok && this.log.info("cluster dns caches synced", {}));
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    this.listening = false;
    await this.server.close();
    await this.health?.close();
    if (!this.opts.informers) await this.factory.shutdown();
  }
}

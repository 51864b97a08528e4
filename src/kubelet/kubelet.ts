// The node agent: registers its Node, renews its Lease, reports node status, and runs one sync per pod bound to it
// (pod_sync.ts) from a work queue fed by pod changes, runtime events, probe results and a periodic resync.
import { setMaxListeners } from "node:events";
import type { Pod } from "kubernetes-types/core/v1.js";
import { realClock, sleep, type Clock, type TimerHandle } from "../client/clock.js";
import { exponentialRateLimiter } from "../client/rate_limiter.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { WorkQueue } from "../client/workqueue.js";
import { runWorkers } from "../client/queue_worker.js";
import { isNotFound } from "../machinery/errors.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import type { MetricsSource } from "../util/metrics/render.js";
import { KubeletMetrics } from "./metrics.js";
import { EventRecorder, discardEvents, type EventSink } from "../client/event_recorder.js";
import { NodeLease, DEFAULT_LEASE_DURATION_S } from "./node_lease.js";
import { NodeStatusReporter, nodeAllocatable, type NodeConfig } from "./node_status.js";
import { InformerPodSource } from "./pod_source.js";
import { PodSyncer } from "./pod_sync.js";
import { ProbeManager } from "./probe_manager.js";
import { httpFetcher, scrapePods, type ExpositionFetcher } from "./pod_metrics.js";
import { collectSummary, type Summary } from "./stats.js";
import type { ContainerRuntime, RuntimeVersion } from "./runtime/types.js";
import type { LeaseObject, NodeObject, PodObject, PodSource, Prober } from "./types.js";
import { ContainerInputs } from "./volumes/container_inputs.js";
import { clientObjectSource, type PodObjectSource } from "./volumes/sources.js";

export interface KubeletOptions {
  client: Client;
  nodeName: string;
  runtime: ContainerRuntime;
  /** Runs probes; required when pods have probes (the simulated runtime comes with SimulatedProber). */
  prober?: Prober;
  node: NodeConfig;
  /** Where pods come from; by default the agent runs its own informer for spec.nodeName=<node>. */
  podSource?: PodSource;
  clock?: Clock;
  log?: Logger;
  leaseDurationSeconds?: number;
  /** Lease renewal period (default 10 s). */
  leaseRenewIntervalMs?: number;
  /** How often node status is checked for changes (default 10 s). */
  statusUpdateIntervalMs?: number;
  /** How often unchanged node status is still reported (default 5 min). */
  statusReportIntervalMs?: number;
  /** Every pod is synced at least this often (default 10 s). */
  resyncIntervalMs?: number;
  /** Concurrent pod syncs (default 4). */
  workers?: number;
  /** Record Events about pods (default true). */
  recordEvents?: boolean;
  /**
   * The agent's state directory: pod volumes live under <rootDir>/pods/<uid>/volumes. Without it no volume is
   * materialized (hollow nodes); env is resolved either way.
   */
  rootDir?: string;
  /** How the Prometheus metrics of pods annotated prometheus.io/scrape are read for /stats/summary (default: HTTP
   *  GET of the pod IP; hollow nodes read the sim.k8ts.io/metrics annotation); false: not at all. */
  podMetrics?: ExpositionFetcher | false;
  /** Where config maps, secrets and services for pods are read (default: the client, services cached a few
   *  seconds); hollow nodes share one, so one service list serves every node of the process. */
  objectSource?: PodObjectSource;
  /** The Node as an informer last saw it (hollow nodes share one node watch): when it answers, the periodic status
   *  update reads the Node from it instead of a GET each period; when it does not, the GET is made as before. */
  nodeLister?: (name: string) => NodeObject | undefined;
}

/** Until a real prober exists (exec/http/tcp come with the CRI runtime), probes fail: a pod never looks healthier than it is. */
const noProber: Prober = {
  probe: async () => "failure",
};

export class Kubelet {
  readonly name: string;
  readonly syncer: PodSyncer;
  readonly probes: ProbeManager;
  readonly queue: WorkQueue<string>;
  readonly status: NodeStatusReporter;
  readonly lease: NodeLease;
  readonly recorder?: EventRecorder;
  readonly metrics: KubeletMetrics;
  private readonly clock: Clock;
  private readonly log: Logger;
  private version?: RuntimeVersion;
  private podCIDR = "";
  private readonly startedAt: number;
  private active = 0;
  private podMetricsFetcher?: ExpositionFetcher;

  constructor(private readonly o: KubeletOptions) {
    this.name = `kubelet@${o.nodeName}`;
    this.clock = o.clock ?? realClock;
    this.log = (o.log ?? silentLogger).with({ node: o.nodeName });
    this.startedAt = this.clock.now();
    this.metrics = new KubeletMetrics(o.nodeName);
    // Pod syncs retry failures quickly at first, then at most every 30 s.
    if (o.recordEvents ?? true) this.recorder = new EventRecorder({ client: o.client, clock: this.clock, log: this.log, component: "kubelet", host: o.nodeName, objectKind: { apiVersion: "v1", kind: "Pod" }, failureLevel: "debug" });
    const events: EventSink = this.recorder ?? discardEvents;
    this.queue = new WorkQueue<string>({ name: this.name, clock: this.clock, rateLimiter: exponentialRateLimiter({ baseDelayMs: 200, maxDelayMs: 30_000 }) });
    this.probes = new ProbeManager({
      clock: this.clock,
      prober: o.prober ?? noProber,
      podOf: (uid) => this.syncer.states.get(uid)?.pod,
      onChange: (uid) => this.queue.add(uid),
      onFailure: (uid, container, kind) => {
        const pod = this.syncer.states.get(uid)?.pod;
        const what = kind === "readiness" ? "Readiness" : kind === "liveness" ? "Liveness" : "Startup";
        if (pod) events.event(pod, "Warning", "Unhealthy", `${what} probe failed: container ${container}`);
      },
      log: this.log,
    });
    this.syncer = new PodSyncer({
      pods: o.client.resource<PodObject>(resources.pods),
      runtime: o.runtime,
      probes: this.probes,
      clock: this.clock,
      log: this.log,
      hostIP: () => o.node.address,
      runtimeName: () => this.version?.runtimeName ?? "unknown",
      events,
      prober: o.prober,
      allocatable: () => nodeAllocatable(o.node),
      enqueue: (uid, ms) => this.queue.addAfter(uid, ms ?? 0),
      inputs: new ContainerInputs({
        source: o.objectSource ?? clientObjectSource(o.client, { now: () => this.clock.now() }),
        log: this.log,
        rootDir: o.rootDir,
        now: () => this.clock.now(),
        allocatable: () => nodeAllocatable(o.node),
      }),
    });
    this.status = new NodeStatusReporter({
      nodes: o.client.resource<NodeObject>(resources.nodes),
      name: o.nodeName,
      config: o.node,
      clock: this.clock,
      log: this.log,
      version: async () => (this.version ??= await o.runtime.version()),
      runtimeStatus: () => o.runtime.status().catch(() => undefined),
      reportIntervalMs: o.statusReportIntervalMs,
    });
    this.lease = new NodeLease({
      leases: o.client.resource<LeaseObject>(resources.leases),
      nodeName: o.nodeName,
      clock: this.clock,
      durationSeconds: o.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_S,
      owner: () => this.status.node,
    });
  }

  /** True when no pod sync is queued or running (tests use it to let the agent settle between clock steps). */
  idle(): boolean {
    const m = this.queue.metrics();
    return m.depth === 0 && m.processing === 0 && this.active === 0 && (this.recorder?.pending() ?? 0) === 0;
  }

  /** Resource usage of the node and its pods, as the Summary API reports it; with customMetrics, also the samples
   *  of pods that ask to be scraped (pod_metrics.ts). */
  async statsSummary(opts: { customMetrics?: boolean } = {}): Promise<Summary> {
    const summary = await collectSummary(this.o.runtime, this.o.nodeName, { now: this.clock.now(), nodeStartTime: this.startedAt });
    const fetch = this.o.podMetrics ?? (this.podMetricsFetcher ??= httpFetcher());
    if (!opts.customMetrics || fetch === false) return summary;
    const present = new Set(summary.pods.map((p) => `${p.podRef.namespace}/${p.podRef.name}`));
    const pods = this.pods().filter((p) => present.has(`${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`));
    const scraped = await scrapePods(pods, fetch, () => this.clock.now());
    for (const p of summary.pods) {
      const m = scraped.get(`${p.podRef.namespace}/${p.podRef.name}`);
      if (m) p.customMetrics = m;
    }
    return summary;
  }

  /** The agent's metrics, runtime gauges refreshed (for GET /metrics). */
  async scrapeMetrics(): Promise<MetricsSource[]> {
    await this.metrics.refresh(this.o.runtime);
    return [this.metrics.registry];
  }

  /** The pods the agent is handling, as last seen from the API (cached objects: do not modify). */
  pods(): Pod[] {
    return [...this.syncer.states.values()].filter((s) => !s.removed).map((s) => s.pod);
  }

  /** Number of pods the agent is handling. */
  podCount(): number {
    return this.syncer.states.size;
  }

  /** Writes the pod's status again at its next sync even if unchanged (a static pod's mirror pod was recreated). */
  resendStatus(uid: string): void {
    const st = this.syncer.states.get(uid);
    if (!st) return;
    st.lastWritten = undefined;
    this.queue.add(uid);
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.metrics.podSeen(pod, this.clock.now());
    const st = this.syncer.states.get(uid);
    if (st) st.pod = pod;
    else this.syncer.states.set(uid, { uid, pod, removed: false });
    this.queue.add(uid);
  }

  private remove(pod: Pod): void {
    const uid = pod.metadata?.uid;
    const st = uid ? this.syncer.states.get(uid) : undefined;
    if (!st) return;
    this.metrics.podGone(st.uid);
    st.removed = true;
    this.queue.add(st.uid);
  }

  /** Repeats fn every intervalMs on the clock until the signal aborts; failures are logged and retried next tick. */
  private every(signal: AbortSignal, interval: number | (() => number), what: string, fn: () => Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const tick = async (): Promise<void> => {
        if (signal.aborted) return resolve();
        this.active++;
        try {
          await fn();
        } catch (err) {
          this.log.warn(`${what} failed`, { err });
        } finally {
          this.active--;
        }
        if (signal.aborted) return resolve();
        timer = this.clock.setTimer(() => void tick(), typeof interval === "number" ? interval : interval());
      };
      signal.addEventListener("abort", () => {
        timer?.cancel();
        resolve();
      }, { once: true });
      void tick();
    });
  }

  private async register(signal: AbortSignal): Promise<boolean> {
    for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 7000)) {
      try {
        await this.status.register();
        return true;
      } catch (err) {
        this.log.warn("node registration failed, retrying", { err, retryInMs: delay });
        await sleep(this.clock, delay, signal);
      }
    }
    return false;
  }

  /** Reads the Node (registering it again if someone deleted it), hands a new pod CIDR to the runtime, reports status. */
  private async syncNodeStatus(): Promise<void> {
    let node = this.o.nodeLister?.(this.o.nodeName);
    if (!node) {
      try {
        node = await this.o.client.resource<NodeObject>(resources.nodes).get(undefined, this.o.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.log.warn("node object is gone, registering again");
        this.podCIDR = "";
        node = await this.status.register();
      }
    }
    const cidr = node.spec?.podCIDR;
    if (cidr && cidr !== this.podCIDR) {
      await this.o.runtime.updateRuntimeConfig({ podCIDR: cidr });
      this.podCIDR = cidr;
      this.log.info("pod CIDR set", { podCIDR: cidr });
    }
    await this.status.report();
  }

  /** Runs the agent until the signal aborts. */
  async run(parent: AbortSignal): Promise<void> {
    // One listener on the caller's signal however many loops the agent runs (hollow nodes share one signal).
    const ac = new AbortController();
    const signal = ac.signal;
    setMaxListeners(0, signal);
    const onAbort = (): void => ac.abort();
    if (parent.aborted) ac.abort();
    parent.addEventListener("abort", onAbort, { once: true });
    try {
      await this.runUntil(signal);
    } finally {
      parent.removeEventListener("abort", onAbort);
    }
  }

  private async runUntil(signal: AbortSignal): Promise<void> {
    this.version = await this.o.runtime.version();
    if (!(await this.register(signal))) return;
    const loops: Promise<void>[] = [];
    loops.push(this.every(signal, this.o.leaseRenewIntervalMs ?? 10_000, "lease renewal", async () => void (await this.lease.renew())));
    // Until the node is first Ready (e.g. waiting for its pod CIDR to configure the network), status is checked every
    // second rather than every period, as the kubelet's fast status update at startup does.
    const statusEvery = this.o.statusUpdateIntervalMs ?? 10_000;
    let wasReady = false;
    const statusInterval = (): number => ((wasReady ||= this.status.ready()) ? statusEvery : Math.min(statusEvery, 1000));
    loops.push(this.every(signal, statusInterval, "node status update", () => this.syncNodeStatus()));

    let source = this.o.podSource;
    if (!source) {
      const own = new InformerPodSource({ client: this.o.client, nodeName: this.o.nodeName, clock: this.clock, log: this.log });
      loops.push(own.run(signal));
      source = own;
    }
    const unsubscribe = source.subscribe(this.o.nodeName, { upsert: (p) => this.upsert(p), remove: (p) => this.remove(p) });
    const offEvents = this.o.runtime.subscribeContainerEvents?.((ev) => {
      if (this.syncer.states.has(ev.podUid)) this.queue.add(ev.podUid);
    });
    const workers = runWorkers({
      queue: this.queue,
      workers: this.o.workers ?? 4,
      log: this.log,
      signal,
      sync: async (uid) => {
        const t0 = this.clock.now();
        try {
          const after = await this.syncer.sync(uid);
          return after === undefined ? undefined : { requeueAfterMs: after };
        } finally {
          this.metrics.podSynced(uid, this.clock.now() - t0);
        }
      },
    });
    if (await source.waitForSync(signal)) {
      // Sandboxes of pods deleted while the agent was down: the API no longer knows them.
      try {
        await this.syncer.removeOrphans();
      } catch (err) {
        this.log.warn("removing orphaned sandboxes failed", { err });
      }
      loops.push(
        this.every(signal, this.o.resyncIntervalMs ?? 10_000, "pod resync", async () => {
          for (const uid of this.syncer.states.keys()) this.queue.add(uid);
        }),
      );
    }
    await Promise.all(loops);
    unsubscribe();
    offEvents?.();
    await workers;
    this.probes.stopAll();
    await this.recorder?.flush();
  }
}

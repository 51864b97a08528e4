// kube-proxy: watches Services and EndpointSlices and keeps this node's packet rules equal to what they describe.
// Every event only requests a sync; a sync recomputes the whole rule set from the listers (level-triggered, so a
// missed event is healed by the next one or by the periodic resync) and hands it to the mode's backend, which
// replaces the previous rules atomically. Stale UDP conntrack entries are flushed after a successful apply.
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { KubeObject } from "../api/object.js";
import { realClock, type Clock } from "../client/clock.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import { resources } from "../client/resources.js";
import type { Client } from "../client/rest_client.js";
import { silentLogger, type Logger } from "../util/log.js";
import { flushConntrack, staleConntrackDeletes } from "./conntrack.js";
import { buildProxyState } from "./service_model.js";
import { ProxyMetrics } from "./metrics.js";
import { SyncRunner } from "./sync_runner.js";
import type { CommandRunner, ProxyState, RuleBackend } from "./types.js";

export interface ProxierOptions {
  client: Client;
  nodeName: string;
  backend: RuleBackend;
  /** Runs conntrack and sysctl in the same place the backend programs (host or node namespace). */
  runner: CommandRunner;
  /** Share a process's informers; by default the proxier starts its own. */
  informers?: SharedInformerFactory;
  /** Least time between two syncs (Kubernetes' --iptables-min-sync-period, default 1 s). */
  minSyncIntervalMs?: number;
  /** Full resync period (Kubernetes' --iptables-sync-period, default 30 s). */
  syncPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Called after every sync attempt: for tests and health reporting. */
  onSync?: (result: { state: ProxyState; error?: Error }) => void;
}

/** Has the Controller shape of controller/types.ts (name + run(signal)); proxy/ may not import that layer. */
export class Proxier {
  readonly name = "kube-proxy";
  readonly metrics = new ProxyMetrics();
  private readonly log: Logger;
  private readonly clock: Clock;
  private services?: () => Service[];
  private slices?: () => EndpointSlice[];
  private lastApplied?: ProxyState;
  private lastSyncAt?: number;

  constructor(private readonly opts: ProxierOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ component: "kube-proxy", mode: opts.backend.mode, node: opts.nodeName });
  }

  /** When the rules were last applied successfully (epoch ms), for health checks. */
  lastSuccessfulSync(): number | undefined {
    return this.lastSyncAt;
  }

  async run(signal: AbortSignal): Promise<void> {
    const own = !this.opts.informers;
    const factory = this.opts.informers ?? new SharedInformerFactory({ client: this.opts.client, clock: this.clock, log: this.opts.log });
    const svcInf = factory.forResource<Service & KubeObject>(resources.services);
    const sliceInf = factory.forResource<EndpointSlice & KubeObject>(resources.endpointslices);
    const runner = new SyncRunner({
      fn: () => this.sync(),
      minIntervalMs: this.opts.minSyncIntervalMs ?? 1000,
      periodMs: this.opts.syncPeriodMs ?? 30_000,
      clock: this.clock,
      log: this.log,
    });
    const handler = (changes: { inc(): void }) => {
      const changed = (): void => {
        changes.inc();
        runner.request();
      };
      return { onAdd: changed, onUpdate: changed, onDelete: changed };
    };
    const regs = [svcInf.addEventHandler(handler(this.metrics.serviceChanges)), sliceInf.addEventHandler(handler(this.metrics.endpointChanges))];
    const svcLister = svcInf.lister();
    const sliceLister = sliceInf.lister();
    this.services = () => svcLister.list();
    this.slices = () => sliceLister.list();
    if (own) factory.start(signal);
    try {
      // Rules written from a half-filled cache would drop live services: wait for the first full lists.
      if (!(await factory.waitForCacheSync(signal))) return;
      await this.checkBridgeNetfilter();
      this.log.info("proxier started");
      runner.request();
      await runner.run(signal);
    } finally {
      for (const r of regs) r.remove();
      if (own) await factory.shutdown();
    }
  }

  /** One full sync: recompute, apply, flush stale UDP flows. Throws so the runner retries. */
  private async sync(): Promise<void> {
    const state = buildProxyState(this.services?.() ?? [], this.slices?.() ?? [], { nodeName: this.opts.nodeName });
    const started = this.clock.now();
    try {
      await this.opts.backend.apply(state);
    } catch (err) {
      this.metrics.synced(this.clock.now() - started, undefined);
      this.opts.onSync?.({ state, error: err as Error });
      throw err;
    }
    const deletes = staleConntrackDeletes(this.lastApplied, state);
    this.lastApplied = state;
    this.lastSyncAt = this.clock.now();
    this.metrics.synced(this.lastSyncAt - started, this.lastSyncAt);
    if (deletes.length > 0) await flushConntrack(this.opts.runner, deletes, { log: this.log });
    this.log.debug("rules synced", { servicePorts: state.ports.length, ms: this.clock.now() - started });
    this.opts.onSync?.({ state });
  }

  /**
   * Pod-to-service traffic answered by a pod on the same bridge never crosses IP routing unless bridged frames go
   * through netfilter; without it the reply skips the reverse DNAT and the connection fails.
   */
  private async checkBridgeNetfilter(): Promise<void> {
    try {
      const res = await this.opts.runner.run(["sysctl", "-n", "net.bridge.bridge-nf-call-iptables"]);
      if (res.code === 0 && res.stdout.trim() !== "1") this.log.warn("net.bridge.bridge-nf-call-iptables is not 1: same-bridge pod-to-service traffic will fail");
    } catch {
      // No sysctl binary: nothing to check with.
    }
  }
}

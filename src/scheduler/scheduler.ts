// The scheduler component: informers feed the cache and the queue; one loop pops pods and runs the scheduling
// cycle of the pod's profile (chosen by spec.schedulerName); bindings run in the background. With leader election
// (the default) only the holder of the kube-system/kube-scheduler Lease schedules.
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { realClock, type Clock, type TimerHandle } from "../client/clock.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import { LeaderElector } from "../client/leader_election.js";
import type { Client } from "../client/rest_client.js";
import { silentLogger, type Logger } from "../util/log.js";
import { SchedulerCache } from "./cache/cache.js";
import { Snapshot } from "./cache/snapshot.js";
import { ConfigError, resolveConfig, type ResolvedConfig, type ResolveOptions } from "./config/load.js";
import type { ExtensionPoint } from "./config/types.js";
import { podKey, type Pod } from "./framework/api_types.js";
import { Framework } from "./framework/framework.js";
import type { ClusterEvent, QueuedPodInfo } from "./framework/types.js";
import { EventRecorder } from "../client/event_recorder.js";
import { SchedulerInformers } from "./informers.js";
import { SchedulerMetrics } from "./metrics.js";
import { IN_TREE_REGISTRY, type Registry } from "./plugins/registry.js";
import { patchPodStatus, unschedulablePatch } from "./pod_status.js";
import { addEventHandlers } from "./event_handlers.js";
import { SchedulingQueue } from "./queue/scheduling_queue.js";
import { tieBreakRandom } from "./random.js";
import { Algorithm, type SchedulingContext } from "./schedule_one.js";
import type { Status } from "./framework/status.js";
import type { FitError } from "./framework/fit_error.js";

export interface SchedulerOptions {
  client: Client;
  /** Resolved configuration (profiles, backoff, leader election); defaults to Kubernetes' defaults. */
  config?: ResolvedConfig;
  registry?: Registry;
  /** Overrides config.leaderElect. */
  leaderElect?: boolean;
  identity?: string;
  clock?: Clock;
  log?: Logger;
  metrics?: SchedulerMetrics;
  /** Share informers with other components of the process; otherwise the scheduler makes its own. */
  informers?: SharedInformerFactory;
  /** Tie-breaking between equally scored nodes (tests pass a seeded one); default: tieBreakRandom() (random.ts). */
  random?: () => number;
  assumedPodTtlMs?: number;
  /** Leader election timings (Kubernetes' defaults: 15 s / 10 s / 2 s). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export function registryResolveOptions(registry: Registry = IN_TREE_REGISTRY): ResolveOptions {
  return {
    knownPlugin: (n) => n in registry,
    implementsPoint: (n, p: ExtensionPoint) => registry[n]?.points.includes(p) ?? false,
  };
}

/** Kubernetes' default configuration: one profile "default-scheduler" with the default plugins. */
export function defaultConfig(registry: Registry = IN_TREE_REGISTRY): ResolvedConfig {
  return resolveConfig({}, registryResolveOptions(registry));
}

/**
 * Builds every profile's plugins once with their pluginConfig args, so bad args (an unknown scoring strategy, a
 * weight out of range) are refused at start-up rather than when leadership begins. Throws ConfigError.
 */
export function validatePluginArgs(config: ResolvedConfig, registry: Registry = IN_TREE_REGISTRY): void {
  const errs: string[] = [];
  for (const p of config.profiles) {
    try {
      new Framework(p, registry, {
        log: silentLogger,
        clock: realClock,
        namespaceLabels: () => undefined,
        priorityClassValue: () => undefined,
        defaultSpreadSelectors: () => [],
        nominatedPodsForNode: () => [],
        snapshot: () => new Snapshot(),
      });
    } catch (err) {
      errs.push(`profile ${JSON.stringify(p.schedulerName)}: ${(err as Error).message}`);
    }
  }
  if (errs.length) throw new ConfigError(`invalid scheduler configuration: ${errs.join("; ")}`);
}

/** Has the component shape of controller/types.ts (name, run(signal)); structural, as components may not import each other. */
export class Scheduler {
  readonly name = "scheduler";
  readonly metrics: SchedulerMetrics;
  readonly config: ResolvedConfig;
  readonly identity: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly registry: Registry;
  /** Set while scheduling (leading); for tests and debugging. */
  queue?: SchedulingQueue;
  cache?: SchedulerCache;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ component: "scheduler" });
    this.registry = opts.registry ?? IN_TREE_REGISTRY;
    this.config = opts.config ?? defaultConfig(this.registry);
    this.metrics = opts.metrics ?? new SchedulerMetrics();
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
  }

  async run(signal: AbortSignal): Promise<void> {
    // Every informer and timer of a term listens on the signal by design: no leak to warn about.
    setMaxListeners(0, signal);
    const leaderElect = this.opts.leaderElect ?? this.config.leaderElect;
    if (!leaderElect) return this.runScheduling(signal);
    while (!signal.aborted) {
      let term: Promise<void> | undefined;
      const elector = new LeaderElector({
        client: this.opts.client,
        namespace: this.config.leaseNamespace,
        name: this.config.leaseName,
        identity: this.identity,
        clock: this.clock,
        log: this.log,
        leaseDurationMs: this.opts.leaseDurationMs,
        renewDeadlineMs: this.opts.renewDeadlineMs,
        retryPeriodMs: this.opts.retryPeriodMs,
        releaseOnCancel: true,
        callbacks: {
          onStartedLeading: (lead) => {
            term = this.runScheduling(lead);
          },
          onNewLeader: (id) => this.log.info("new scheduler leader", { leader: id }),
        },
      });
      await elector.run(signal);
      await term;
      // A lost lease ends the term (its cache and queue are dropped); campaign again from scratch.
      if (!signal.aborted) this.log.warn("scheduler lost its lease; campaigning again");
    }
  }

  /** Schedules until the signal aborts (the body of leadership). */
  async runScheduling(signal: AbortSignal): Promise<void> {
    setMaxListeners(0, signal);
    const own = !this.opts.informers;
    const factory = this.opts.informers ?? new SharedInformerFactory({ client: this.opts.client, clock: this.clock, log: this.log });
    const inf = new SchedulerInformers(factory);
    const cache = (this.cache = new SchedulerCache({ clock: this.clock, assumedTtlMs: this.opts.assumedPodTtlMs }));
    const snapshot = new Snapshot();
    // One recorder per profile, reporting as the profile's schedulerName, as Kubernetes gives each profile its own.
    const recorders: EventRecorder[] = [];
    let queue: SchedulingQueue | undefined;
    const frameworks = new Map<string, Framework>();
    for (const p of this.config.profiles) {
      const recorder = new EventRecorder({ client: this.opts.client, clock: this.clock, log: this.log, component: p.schedulerName, instance: this.identity, objectKind: { apiVersion: "v1", kind: "Pod" } });
      recorders.push(recorder);
      frameworks.set(
        p.schedulerName,
        new Framework(p, this.registry, {
          client: this.opts.client,
          log: this.log,
          clock: this.clock,
          namespaceLabels: (ns) => inf.namespaceLabels(ns),
          priorityClassValue: (n) => inf.priorityClassValue(n),
          defaultSpreadSelectors: (pod) => inf.defaultSpreadSelectors(pod),
          nominatedPodsForNode: (n) => queue?.nominator.podsForNode(n) ?? [],
          hasNominatedPods: () => !(queue?.nominator.empty() ?? true),
          disruptionBudgets: () => inf.disruptionBudgets(),
          snapshot: () => snapshot,
          recordEvent: (pod, type, reason, message) => recorder.event(pod, type, reason, message),
          volumes: inf.volumeLookup(),
        }),
      );
    }
    const eventsByPlugin = new Map<string, ClusterEvent[]>();
    for (const f of frameworks.values()) for (const [k, v] of f.eventsByPlugin()) eventsByPlugin.set(k, [...(eventsByPlugin.get(k) ?? []), ...v]);
    const first = frameworks.values().next().value as Framework;
    queue = this.queue = new SchedulingQueue({
      clock: this.clock,
      less: (a, b) => first.queueSort.less(a, b),
      initialBackoffMs: this.config.podInitialBackoffMs,
      maxBackoffMs: this.config.podMaxBackoffMs,
      eventsByPlugin,
      onGated: (pod) => void this.markGated(pod),
    });
    const q = queue;
    const withPriority = (pod: Pod): Pod => inf.withPriority(pod);
    const responsible = (pod: Pod): boolean => frameworks.has(pod.spec?.schedulerName ?? "default-scheduler");

    // Handlers go on once every cache is filled, so a pod never arrives before the PriorityClass it names.
    if (own) factory.start(signal);
    const synced = await Promise.all(inf.all().map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) {
      if (own) await factory.shutdown();
      return;
    }
    const regs = addEventHandlers({ inf, cache, queue: q, withPriority, responsible });
    this.log.info("scheduler caches synced", { nodes: cache.nodeCount(), profiles: [...frameworks.keys()] });
    q.run();
    let cleanupTimer: TimerHandle | undefined;
    const cleanup = (): void => {
      for (const p of cache.cleanupExpiredAssumedPods()) this.log.warn("assumed pod expired before its binding was observed", { pod: podKey(p) });
      if (!signal.aborted) cleanupTimer = this.clock.setTimer(cleanup, 1000);
    };
    cleanupTimer = this.clock.setTimer(cleanup, 1000);

    const bindings = new Set<Promise<void>>();
    const ctx: SchedulingContext = {
      cache,
      queue: q,
      snapshot,
      metrics: this.metrics,
      clock: this.clock,
      log: this.log,
      percentageOfNodesToScore: this.config.percentageOfNodesToScore,
      random: this.opts.random ?? tieBreakRandom(),
      bindings,
      onFailure: (fwk, qpi, status, o) => this.handleFailure(inf, q, withPriority, fwk, qpi, status, o),
      onBound: (fwk, qpi, host, started) => {
        q.done(qpi.pod);
        this.metrics.observeAttempt("scheduled", fwk.profileName, (this.clock.now() - started) / 1000);
        fwk.recordEvent(qpi.pod, "Normal", "Scheduled", `Successfully assigned ${podKey(qpi.pod)} to ${host}`);
        this.log.debug("pod bound", { pod: podKey(qpi.pod), node: host });
      },
    };
    const algo = new Algorithm(ctx);
    signal.addEventListener("abort", () => q.close(), { once: true });
    try {
      for (;;) {
        const qpi = await q.pop();
        if (!qpi || signal.aborted) break;
        const fwk = frameworks.get(qpi.pod.spec?.schedulerName ?? "default-scheduler");
        if (!fwk || this.skip(inf, qpi.pod)) q.done(qpi.pod);
        else {
          try {
            await algo.scheduleOne(fwk, qpi);
          } catch (err) {
            // A plugin bug must not stop the scheduler: the pod is retried with backoff.
            this.log.error("scheduling cycle failed", { pod: podKey(qpi.pod), err });
            qpi.unschedulablePlugins = new Set();
            q.addUnschedulable(qpi, q.cycleOf(qpi.pod));
          }
        }
        this.updatePendingGauge(q);
        // Let network I/O (binding answers, watch events) in between pods.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      cleanupTimer?.cancel();
      q.close();
      await Promise.allSettled([...bindings]);
      await Promise.all(recorders.map((r) => r.flush()));
      for (const r of regs) r.remove();
      if (own) await factory.shutdown();
    }
  }

  private nowRfc3339(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
  }

  /** A pod held back by scheduling gates says so, as Kubernetes' SchedulingGates plugin makes it. */
  private async markGated(pod: Pod): Promise<void> {
    const patch = unschedulablePatch(pod, { reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates", now: this.nowRfc3339() });
    if (!patch) return;
    try {
      await patchPodStatus(this.opts.client, pod, patch);
    } catch (err) {
      this.log.warn("updating pod status failed", { pod: podKey(pod), err });
    }
  }

  /** Pods deleted or already bound since they were queued are not scheduled. */
  private skip(inf: SchedulerInformers, pod: Pod): boolean {
    const cur = inf.pods.indexer.get(podKey(pod));
    if (!cur || cur.metadata?.uid !== pod.metadata?.uid) return true;
    return !!cur.metadata?.deletionTimestamp || !!cur.spec?.nodeName;
  }

  private updatePendingGauge(q: SchedulingQueue): void {
    Object.assign(this.metrics.pending, q.counts());
  }

  private async handleFailure(
    inf: SchedulerInformers,
    q: SchedulingQueue,
    withPriority: (p: Pod) => Pod,
    fwk: Framework,
    qpi: QueuedPodInfo,
    status: Status,
    o: { nominatedNodeName?: string; fitError?: FitError; started: number },
  ): Promise<void> {
    const pod = qpi.pod;
    const rejected = status.isRejected();
    this.metrics.observeAttempt(rejected ? "unschedulable" : "error", fwk.profileName, (this.clock.now() - o.started) / 1000);
    const cycle = q.cycleOf(pod);
    const cur = inf.pods.indexer.get(podKey(pod));
    if (!cur || cur.metadata?.uid !== pod.metadata?.uid || cur.spec?.nodeName) {
      q.done(pod);
      return;
    }
    qpi.unschedulablePlugins = new Set(o.fitError ? o.fitError.diagnosis.unschedulablePlugins : rejected && status.plugin ? [status.plugin] : []);
    const latest = withPriority(cur);
    qpi.pod = o.nominatedNodeName ? { ...latest, status: { ...latest.status, nominatedNodeName: o.nominatedNodeName } } : latest;
    q.addUnschedulable(qpi, cycle);
    if (o.nominatedNodeName) q.nominator.addFromPod(qpi.pod, o.nominatedNodeName);
    const message = status.message();
    fwk.recordEvent(pod, "Warning", "FailedScheduling", message);
    this.log.info("unable to schedule pod", { pod: podKey(pod), reason: rejected ? "Unschedulable" : "SchedulerError", message });
    const patch = unschedulablePatch(cur, { reason: rejected ? "Unschedulable" : "SchedulerError", message, nominatedNodeName: o.nominatedNodeName, now: this.nowRfc3339() });
    if (!patch) return;
    try {
      await patchPodStatus(this.opts.client, cur, patch);
    } catch (err) {
      this.log.warn("updating pod status failed", { pod: podKey(pod), err });
    }
  }
}

// Work queue metrics under client-go's names (workqueue_depth, workqueue_adds_total, workqueue_retries_total,
// workqueue_queue_duration_seconds, workqueue_work_duration_seconds, workqueue_unfinished_work_seconds,
// workqueue_longest_running_processor_seconds, all by {name}). A WorkQueueMetrics is a provider: queues attach to
// it when created and detach when shut down; counters and histograms are kept per queue name, so they keep
// counting across leadership terms that build fresh queues.
//
// Queues find their provider either in their options or, so that controllers need not thread it through, in the
// async context: everything constructed inside withWorkQueueMetrics(provider, fn) reports to that provider (the
// way client-go's global workqueue.SetProvider works, but scoped to one component of the process).
import { AsyncLocalStorage } from "node:async_hooks";
import type { Counter } from "../util/metrics/counter.js";
import type { Histogram } from "../util/metrics/histogram.js";
import { MetricsRegistry } from "../util/metrics/registry.js";

/** client-go's buckets for queue and work durations: 10 ns to 10 s, by factors of ten. */
export const WORKQUEUE_DURATION_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];

/** What the provider reads from a live queue at scrape time. */
export interface QueueProbe {
  len(): number;
  /** Milliseconds each item now held by a worker has been processing. */
  processingAges(): number[];
}

/** What a queue reports as it works. Durations in milliseconds. */
export interface QueueMetricsHooks {
  added(): void;
  started(queuedMs: number): void;
  finished(workMs: number): void;
  retried(): void;
  /** The queue shut down: its depth and running work no longer count. */
  detach(): void;
}

const scope = new AsyncLocalStorage<WorkQueueMetrics>();

/** Runs fn with provider as the default for every WorkQueue constructed inside it (synchronously or after awaits). */
export function withWorkQueueMetrics<R>(provider: WorkQueueMetrics, fn: () => R): R {
  return scope.run(provider, fn);
}

export function currentWorkQueueMetrics(): WorkQueueMetrics | undefined {
  return scope.getStore();
}

export class WorkQueueMetrics {
  readonly registry = new MetricsRegistry();
  private readonly live = new Map<string, Set<QueueProbe>>();
  private readonly adds: Counter;
  private readonly retries: Counter;
  private readonly queueDuration: Histogram;
  private readonly workDuration: Histogram;

  constructor() {
    const r = this.registry;
    const labelNames = ["name"];
    r.gaugeFunc({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames, collect: () => this.perName((qs) => qs.reduce((n, q) => n + q.len(), 0)) });
    this.adds = r.counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames });
    this.retries = r.counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames });
    this.queueDuration = r.histogram({ name: "workqueue_queue_duration_seconds", help: "How long in seconds an item stays in workqueue before being requested.", labelNames, buckets: WORKQUEUE_DURATION_BUCKETS });
    this.workDuration = r.histogram({ name: "workqueue_work_duration_seconds", help: "How long in seconds processing an item from workqueue takes.", labelNames, buckets: WORKQUEUE_DURATION_BUCKETS });
    r.gaugeFunc({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames,
      collect: () => this.perName((qs) => qs.flatMap((q) => q.processingAges()).reduce((n, ms) => n + ms, 0) / 1000),
    });
    r.gaugeFunc({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames,
      collect: () => this.perName((qs) => Math.max(0, ...qs.flatMap((q) => q.processingAges())) / 1000),
    });
  }

  /** Attaches a queue; unnamed queues are not reported (as in client-go). */
  attach(name: string, probe: QueueProbe): QueueMetricsHooks | undefined {
    if (!name) return undefined;
    let set = this.live.get(name);
    if (!set) this.live.set(name, (set = new Set()));
    set.add(probe);
    const labels = { name };
    const adds = this.adds.with(labels);
    const retries = this.retries.with(labels);
    const queued = this.queueDuration.with(labels);
    const work = this.workDuration.with(labels);
    return {
      added: () => adds.inc(),
      started: (ms) => queued.observe(ms / 1000),
      finished: (ms) => work.observe(ms / 1000),
      retried: () => retries.inc(),
      detach: () => set.delete(probe),
    };
  }

  private perName(f: (qs: QueueProbe[]) => number): Array<{ labels: { name: string }; value: number }> {
    return [...this.live].map(([name, qs]) => ({ labels: { name }, value: f([...qs]) }));
  }
}

// Scheduler metrics under Kubernetes' names, in a registry any endpoint can render (the scheduler's own
// --metrics-bind-address, or the server's /metrics when it runs in-process): scheduler_schedule_attempts_total
// {profile,result}, the scheduler_scheduling_attempt_duration_seconds histogram (same labels), the pending pods
// gauge per queue and preemption counters.
import type { Counter } from "../util/metrics/counter.js";
import type { Histogram } from "../util/metrics/histogram.js";
import { MetricsRegistry } from "../util/metrics/registry.js";
import { renderMetrics } from "../util/metrics/render.js";

export type AttemptResult = "scheduled" | "unschedulable" | "error";

/** Kubernetes' buckets for attempt durations: 1 ms doubling 15 times (up to ~16 s). */
export const DURATION_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

interface AttemptSeries {
  attempts: ReturnType<Counter["with"]>;
  durations: ReturnType<Histogram["with"]>;
}

export class SchedulerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly attempts: Counter;
  private readonly durations: Histogram;
  /** Set by the scheduling queue after every change; read at scrape time. */
  readonly pending = { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
  preemptionAttempts = 0;
  preemptionVictims = 0;
  private readonly series = new Map<string, Map<AttemptResult, AttemptSeries>>();

  constructor() {
    const r = this.registry;
    this.attempts = r.counter({
      name: "scheduler_schedule_attempts_total",
      help: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
      labelNames: ["profile", "result"],
    });
    this.durations = r.histogram({
      name: "scheduler_scheduling_attempt_duration_seconds",
      help: "Scheduling attempt latency in seconds (scheduling algorithm + binding)",
      labelNames: ["profile", "result"],
      buckets: DURATION_BUCKETS,
    });
    r.gaugeFunc({
      name: "scheduler_pending_pods",
      help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ["queue"],
      collect: () => Object.entries(this.pending).map(([queue, value]) => ({ labels: { queue }, value })),
    });
    r.counterFunc({ name: "scheduler_preemption_attempts_total", help: "Total preemption attempts in the cluster till now", collect: () => [{ value: this.preemptionAttempts }] });
    r.counterFunc({ name: "scheduler_preemption_victims", help: "Number of selected preemption victims", collect: () => [{ value: this.preemptionVictims }] });
  }

  observeAttempt(result: AttemptResult, profile: string, seconds: number): void {
    const s = this.seriesOf(result, profile);
    s.attempts.inc();
    s.durations.observe(seconds);
  }

  /** The two series of a (result, profile), looked up once: an attempt is observed for every pod scheduled. */
  private seriesOf(result: AttemptResult, profile: string): AttemptSeries {
    let byResult = this.series.get(profile);
    if (!byResult) this.series.set(profile, (byResult = new Map()));
    let s = byResult.get(result);
    if (!s) byResult.set(result, (s = { attempts: this.attempts.with({ profile, result }), durations: this.durations.with({ profile, result }) }));
    return s;
  }

  /** Attempts so far with this result (and profile, when given). */
  attemptCount(result: AttemptResult, profile?: string): number {
    let n = 0;
    for (const [s] of this.attempts.collect()) if (s!.labels.result === result && (profile === undefined || s!.labels.profile === profile)) n += s!.value;
    return n;
  }

  /** The Prometheus text exposition of every scheduler metric. */
  render(): string {
    return renderMetrics([this.registry]);
  }
}

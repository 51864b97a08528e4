// Scheduler metrics kept in memory for another component to render in the Prometheus text format:
// scheduler_schedule_attempts_total{result,profile} and the scheduler_scheduling_attempt_duration_seconds
// histogram (same labels), plus the pending pods gauge per queue.

export type AttemptResult = "scheduled" | "unschedulable" | "error";

/** Kubernetes' buckets for attempt durations: 1 ms doubling 15 times (up to ~16 s). */
export const DURATION_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const labelKey = (result: string, profile: string): string => `${result}\u0000${profile}`;
const esc = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class SchedulerMetrics {
  private readonly attempts = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  readonly pending = { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
  preemptionAttempts = 0;
  preemptionVictims = 0;

  observeAttempt(result: AttemptResult, profile: string, seconds: number): void {
    const k = labelKey(result, profile);
    this.attempts.set(k, (this.attempts.get(k) ?? 0) + 1);
    let h = this.durations.get(k);
    if (!h) this.durations.set(k, (h = { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    DURATION_BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** Attempts so far with this result (and profile, when given). */
  attemptCount(result: AttemptResult, profile?: string): number {
    let n = 0;
    for (const [k, v] of this.attempts) {
      const [r, p] = k.split("\u0000");
      if (r === result && (profile === undefined || p === profile)) n += v;
    }
    return n;
  }

  /** The Prometheus text exposition of every scheduler metric. */
  render(): string {
    const lines: string[] = [];
    lines.push("# HELP scheduler_schedule_attempts_total Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.");
    lines.push("# TYPE scheduler_schedule_attempts_total counter");
    for (const [k, v] of [...this.attempts].sort()) {
      const [r, p] = k.split("\u0000");
      lines.push(`scheduler_schedule_attempts_total{profile="${esc(p!)}",result="${esc(r!)}"} ${v}`);
    }
    lines.push("# HELP scheduler_scheduling_attempt_duration_seconds Scheduling attempt latency in seconds (scheduling algorithm + binding)");
    lines.push("# TYPE scheduler_scheduling_attempt_duration_seconds histogram");
    for (const [k, h] of [...this.durations].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [r, p] = k.split("\u0000");
      const l = `profile="${esc(p!)}",result="${esc(r!)}"`;
      DURATION_BUCKETS.forEach((b, i) => lines.push(`scheduler_scheduling_attempt_duration_seconds_bucket{${l},le="${b}"} ${h.counts[i]}`));
      lines.push(`scheduler_scheduling_attempt_duration_seconds_bucket{${l},le="+Inf"} ${h.count}`);
      lines.push(`scheduler_scheduling_attempt_duration_seconds_sum{${l}} ${h.sum}`);
      lines.push(`scheduler_scheduling_attempt_duration_seconds_count{${l}} ${h.count}`);
    }
    lines.push("# HELP scheduler_pending_pods Number of pending pods, by the queue type.");
    lines.push("# TYPE scheduler_pending_pods gauge");
    for (const [q, v] of Object.entries(this.pending)) lines.push(`scheduler_pending_pods{queue="${q}"} ${v}`);
    lines.push("# HELP scheduler_preemption_attempts_total Total preemption attempts in the cluster till now");
    lines.push("# TYPE scheduler_preemption_attempts_total counter");
    lines.push(`scheduler_preemption_attempts_total ${this.preemptionAttempts}`);
    lines.push("# HELP scheduler_preemption_victims Number of selected preemption victims");
    lines.push("# TYPE scheduler_preemption_victims counter");
    lines.push(`scheduler_preemption_victims ${this.preemptionVictims}`);
    return lines.join("\n") + "\n";
  }
}

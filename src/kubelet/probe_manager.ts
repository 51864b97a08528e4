// The probe state machine: one worker per running container instance and probe kind, ticking on the clock every
// periodSeconds after initialDelaySeconds, counting consecutive results against successThreshold/failureThreshold.
// Readiness starts failed, liveness starts successful, startup gates the other two until it succeeds once.
// Results that change call onChange(podUid) so the pod's status is recomputed. The checks themselves are the
// Prober's job.
import type { Container, Pod, Probe } from "kubernetes-types/core/v1.js";
import type { Clock, TimerHandle } from "../client/clock.js";
import type { Logger } from "../util/log.js";
import type { ProbeKind, Prober } from "./types.js";

const DEFAULT_PERIOD_S = 10;
const DEFAULT_TIMEOUT_S = 1;
const DEFAULT_FAILURE_THRESHOLD = 3;

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  container: Container;
  containerId: string;
  startedAt: number;
  podUid: string;
  timer?: TimerHandle;
  successes: number;
  failures: number;
  /** The current verdict: readiness starts false, liveness true, startup false. */
  ok: boolean;
  stopped: boolean;
}

export interface ProbeManagerOptions {
  clock: Clock;
  prober: Prober;
  /** The pod as currently known (probes read its latest annotations). */
  podOf: (uid: string) => Pod | undefined;
  onChange: (podUid: string) => void;
  /** Told of every failed probe attempt (for Unhealthy events). */
  onFailure?: (podUid: string, container: string, kind: ProbeKind) => void;
  log: Logger;
}

export class ProbeManager {
  /** containerId -> its pod and its workers by kind */
  private readonly workers = new Map<string, { podUid: string; byKind: Map<ProbeKind, Worker> }>();

  constructor(private readonly opts: ProbeManagerOptions) {}

  /** Starts the probe workers of a running container instance (once per instance). */
  ensure(podUid: string, container: Container, containerId: string, startedAt: number, opts: { wasReady?: boolean } = {}): void {
    if (this.workers.has(containerId)) return;
    const byKind = new Map<ProbeKind, Worker>();
    this.workers.set(containerId, { podUid, byKind });
    const specs: Array<[ProbeKind, Probe | undefined]> = [
      ["startup", container.startupProbe],
      ["readiness", container.readinessProbe],
      ["liveness", container.livenessProbe],
    ];
    for (const [kind, probe] of specs) {
      if (!probe) continue;
      // An agent restarted under a running container keeps the readiness it reported (and so a passed startup
      // probe) instead of flapping the pod to unready until the next probe.
      const ok = kind === "liveness" || opts.wasReady === true;
      const w: Worker = { kind, probe, container, containerId, startedAt, podUid, successes: 0, failures: 0, ok, stopped: false };
      byKind.set(kind, w);
      const firstAt = startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
      this.schedule(w, Math.max(0, firstAt - this.opts.clock.now()));
    }
  }

  private schedule(w: Worker, ms: number): void {
    if (w.stopped) return;
    w.timer = this.opts.clock.setTimer(() => void this.tick(w), ms);
  }

  private startupPassed(containerId: string): boolean {
    const s = this.workers.get(containerId)?.byKind.get("startup");
    return !s || s.ok;
  }

  private async tick(w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = (w.probe.periodSeconds ?? DEFAULT_PERIOD_S) * 1000;
    if (w.kind !== "startup" && !this.startupPassed(w.containerId)) return this.schedule(w, period);
    const pod = this.opts.podOf(w.podUid);
    if (!pod) return;
    let passed: boolean;
    let timeout: TimerHandle | undefined;
    try {
      const timeoutMs = (w.probe.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
      const res = await Promise.race([
        this.opts.prober.probe({ kind: w.kind, pod, container: w.container, containerId: w.containerId, probe: w.probe, startedAt: w.startedAt }),
        // A prober that overruns its timeout counts as a failure.
        new Promise<"failure">((resolve) => (timeout = this.opts.clock.setTimer(() => resolve("failure"), timeoutMs))),
      ]);
      passed = res === "success";
    } catch (err) {
      this.opts.log.debug("probe errored", { kind: w.kind, container: w.container.name, err });
      passed = false;
    } finally {
      timeout?.cancel();
    }
    if (w.stopped) return;
    const before = w.ok;
    if (passed) {
      w.successes++;
      w.failures = 0;
      if (w.successes >= (w.probe.successThreshold ?? 1)) w.ok = true;
    } else {
      this.opts.onFailure?.(w.podUid, w.container.name, w.kind);
      w.failures++;
      w.successes = 0;
      if (w.failures >= (w.probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD)) w.ok = false;
    }
    if (w.ok !== before || (w.kind === "startup" && !w.ok && w.failures >= (w.probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD))) this.opts.onChange(w.podUid);
    // A passed startup probe is done for this container instance.
    if (w.kind === "startup" && w.ok) return;
    this.schedule(w, period);
  }

  /** Whether the container counts as ready: undefined when it has no readiness probe. */
  ready(containerId: string): boolean | undefined {
    const w = this.workers.get(containerId)?.byKind.get("readiness");
    return w ? w.ok && this.startupPassed(containerId) : undefined;
  }

  /** Whether the startup probe has passed (true without one). */
  started(containerId: string): boolean {
    return this.startupPassed(containerId);
  }

  /** Why the container must be restarted ("liveness" or "startup" probe failed), or undefined. */
  failed(containerId: string): "liveness" | "startup" | undefined {
    const byKind = this.workers.get(containerId)?.byKind;
    const s = byKind?.get("startup");
    if (s && !s.ok && s.failures >= (s.probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD)) return "startup";
    const l = byKind?.get("liveness");
    if (l && !l.ok) return "liveness";
    return undefined;
  }

  /** Stops the workers of one container instance. */
  stop(containerId: string): void {
    for (const w of this.workers.get(containerId)?.byKind.values() ?? []) {
      w.stopped = true;
      w.timer?.cancel();
    }
    this.workers.delete(containerId);
  }

  /** Stops every worker of a pod except those of the given (still running) container instances. */
  retain(podUid: string, keep: Set<string>): void {
    for (const [id, entry] of [...this.workers]) if (entry.podUid === podUid && !keep.has(id)) this.stop(id);
  }

  stopAll(): void {
    for (const id of [...this.workers.keys()]) this.stop(id);
  }
}

// Container lifecycle hooks, as the kubelet runs them. postStart runs right after the container started; the pod's
// sync waits for it, so the container is not reported running (nor its probes started) before it completes, and a
// failed postStart kills the container (Event FailedPostStartHook) which then restarts per restartPolicy. preStop
// runs before the container is sent SIGTERM (pod deletion, liveness failure), within the grace period: the time it
// takes is subtracted from the period left for SIGTERM (at least 2 s are kept, as the kubelet does), and a preStop
// that overruns the period is abandoned. Handlers: exec (ExecSync in the container), httpGet (through the node's
// prober, against the pod IP unless a host is given) and sleep.
import type { Container, LifecycleHandler, Pod } from "kubernetes-types/core/v1.js";
import type { Clock, TimerHandle } from "../client/clock.js";
import type { Logger } from "../util/log.js";
import type { EventSink } from "../client/event_recorder.js";
import type { ContainerRuntime } from "./runtime/types.js";
import type { Prober } from "./types.js";

/** What the kubelet keeps for SIGTERM after a preStop hook used up the grace period. */
const MIN_GRACE_AFTER_PRESTOP_S = 2;
/** A postStart hook may run this long before it counts as failed (the kubelet waits without a bound). */
const POST_START_TIMEOUT_S = 120;

export interface HookRunnerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  events: EventSink;
  log: Logger;
  /** Runs httpGet handlers (the node's prober: it reaches the pod network); without it they fail. */
  prober?: Prober;
}

const podRef = (pod: Pod): string => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

export class HookRunner {
  constructor(private readonly o: HookRunnerOptions) {}

  /**
   * Runs one handler within timeoutS; answers undefined on success, else the failure message (as the kubelet words
   * it) and whether the time ran out.
   */
  async run(pod: Pod, c: Container, containerId: string, handler: LifecycleHandler, opts: { timeoutS: number; podIP?: string }): Promise<{ failure: string; timedOut: boolean } | undefined> {
    let timer: TimerHandle | undefined;
    const overrun = new Promise<{ failure: string; timedOut: boolean }>(
      (resolve) => (timer = this.o.clock.setTimer(() => resolve({ failure: `lifecycle hook for Container "${c.name}" in Pod "${podRef(pod)}" did not complete within ${opts.timeoutS}s`, timedOut: true }), opts.timeoutS * 1000)),
    );
    try {
      return await Promise.race([this.runHandler(pod, c, containerId, handler, opts).then((failure) => (failure === undefined ? undefined : { failure, timedOut: false })), overrun]);
    } finally {
      timer?.cancel();
    }
  }

  private async runHandler(pod: Pod, c: Container, containerId: string, h: LifecycleHandler, opts: { timeoutS: number; podIP?: string }): Promise<string | undefined> {
    const where = `for Container "${c.name}" in Pod "${podRef(pod)}"`;
    if (h.exec) {
      const cmd = h.exec.command ?? [];
      try {
        const res = await this.o.runtime.execSync(containerId, cmd, opts.timeoutS);
        if (res.exitCode === 0) return undefined;
        return `Exec lifecycle hook ([${cmd.join(" ")}]) ${where} failed - error: command '${cmd.join(" ")}' exited with ${res.exitCode}: ${res.stderr.trim()}, message: ${JSON.stringify(res.stdout + res.stderr)}`;
      } catch (err) {
        return `Exec lifecycle hook ([${cmd.join(" ")}]) ${where} failed - error: ${(err as Error).message}, message: ""`;
      }
    }
    if (h.httpGet) {
      const path = h.httpGet.path ?? "";
      if (!this.o.prober) return `HTTP lifecycle hook (${path}) ${where} failed - error: no prober on this node`;
      // The pod in the informer may not carry its IP yet (its first status is written after this sync).
      const withIP: Pod = opts.podIP ? { ...pod, status: { ...pod.status, podIP: opts.podIP } } : pod;
      try {
        const res = await this.o.prober.probe({ kind: "liveness", pod: withIP, container: c, containerId, probe: { httpGet: h.httpGet, timeoutSeconds: opts.timeoutS }, startedAt: this.o.clock.now() });
        return res === "success" ? undefined : `HTTP lifecycle hook (${path}) ${where} failed - error: Get ${h.httpGet.scheme ?? "HTTP"} ${h.httpGet.host || opts.podIP || pod.status?.podIP}:${h.httpGet.port}${path} failed`;
      } catch (err) {
        return `HTTP lifecycle hook (${path}) ${where} failed - error: ${(err as Error).message}`;
      }
    }
    if (h.sleep) {
      // Bounded by the caller's timeout too, so an abandoned sleep leaves no timer behind.
      const ms = Math.max(0, Math.min(h.sleep.seconds, opts.timeoutS)) * 1000;
      await new Promise<void>((resolve) => this.o.clock.setTimer(resolve, ms));
      return undefined;
    }
    return `invalid lifecycle handler ${where}: only exec, httpGet and sleep are supported`;
  }

  /** Runs the container's postStart hook, if any; answers the failure message. */
  async postStart(pod: Pod, c: Container, containerId: string, podIP?: string): Promise<string | undefined> {
    const h = c.lifecycle?.postStart;
    if (!h) return undefined;
    return (await this.run(pod, c, containerId, h, { timeoutS: POST_START_TIMEOUT_S, podIP }))?.failure;
  }

  /**
   * Stops a container as the kubelet kills one: its preStop hook first (Event FailedPreStopHook when it fails), then
   * SIGTERM with what is left of the grace period, SIGKILL after it.
   */
  async kill(pod: Pod, c: Container | undefined, containerId: string, graceS: number): Promise<void> {
    let grace = graceS;
    const preStop = c?.lifecycle?.preStop;
    if (c && preStop && grace > 0) {
      const t0 = this.o.clock.now();
      const res = await this.run(pod, c, containerId, preStop, { timeoutS: grace, podIP: pod.status?.podIP ?? undefined });
      const where = { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: c.name };
      // As the kubelet: a hook still running when the grace period is up is abandoned without an Event.
      if (res?.timedOut) this.o.log.info("preStop hook not completed in the grace period", { ...where, gracePeriodSeconds: grace });
      else if (res) {
        this.o.log.info("preStop hook failed", { ...where, err: res.failure });
        this.o.events.event(pod, "Warning", "FailedPreStopHook", res.failure);
      }
      grace = Math.max(MIN_GRACE_AFTER_PRESTOP_S, grace - Math.floor((this.o.clock.now() - t0) / 1000));
    }
    await this.o.runtime.stopContainer(containerId, grace);
  }
}

/** The spec of a container of the pod by name (init containers included). */
export function containerSpec(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
}

// The per-pod sync of the node agent: brings the runtime in line with one pod and writes its status.
// Level-triggered: every sync reads the pod (from the informer) and its sandboxes and containers (from the runtime),
// acts, and recomputes the status, so an agent restarted on a running node adopts its sandboxes (matched by pod uid)
// without restarting them. The order of a pod's life: sandbox -> init containers one at a time (each must exit 0) ->
// app containers together -> restarts per restartPolicy with crash-loop backoff -> terminal phase or graceful
// deletion (stop with the grace period, then DELETE with gracePeriodSeconds 0 and the uid precondition).
import type { Container, Pod, PodCondition } from "kubernetes-types/core/v1.js";
import type { Clock } from "../client/clock.js";
import type { ResourceClient } from "../client/types.js";
import { isConflict, isNotFound } from "../machinery/errors.js";
import type { Logger } from "../util/log.js";
import { checkFit } from "./admission.js";
import { Backoff } from "./backoff.js";
import type { EventSink } from "../client/event_recorder.js";
import { ContainerStarter } from "./container_starter.js";
import { HookRunner, containerSpec } from "./lifecycle_hooks.js";
import { POD_UID_LABEL, sandboxConfig } from "./pod_config.js";
import { computePodStatus, type PodPhase, type Waiting } from "./pod_status.js";
import type { ProbeManager } from "./probe_manager.js";
import type { ContainerRuntime, ContainerStatus, PodSandbox } from "./runtime/types.js";
import type { PodObject, Prober } from "./types.js";
import type { ContainerInputs } from "./volumes/container_inputs.js";

const DEFAULT_GRACE_S = 30;
/** A pod whose volumes could not be set up is tried again this soon (the missing object may be created). */
const VOLUME_RETRY_MS = 5000;
/** Exited instances kept per container: the newest (state) and the one before (lastState). */
const KEEP_INSTANCES = 2;

export interface PodState {
  uid: string;
  pod: Pod;
  /** Gone from the API: tear everything down. */
  removed: boolean;
  /** Accepted by the node's admission check (once; pods already running are accepted as they are). */
  admitted?: boolean;
  startTime?: number;
  terminal?: { phase: "Succeeded" | "Failed"; reason?: string; message?: string };
  terminating?: Promise<void>;
  terminatingGrace?: number;
  lastWritten?: string;
  lastConditions?: PodCondition[];
}

export interface PodSyncerOptions {
  pods: ResourceClient<PodObject>;
  runtime: ContainerRuntime;
  probes: ProbeManager;
  clock: Clock;
  log: Logger;
  hostIP: () => string;
  runtimeName: () => string;
  events: EventSink;
  /** The node's allocatable resources, for admission (no check when unset). */
  allocatable?: () => Record<string, string>;
  /** Asks for another sync of the pod (after a delay). */
  enqueue: (uid: string, afterMs?: number) => void;
  /** Volumes and env of containers; without it only literal env values are passed and no volume is mounted. */
  inputs?: ContainerInputs;
  /** Runs httpGet lifecycle hooks (the node's prober); exec and sleep hooks need only the runtime. */
  prober?: Prober;
}

const podKey = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

function isTerminalPhase(p: string | undefined): p is "Succeeded" | "Failed" {
  return p === "Succeeded" || p === "Failed";
}

/** A restartable init container (restartPolicy Always): a sidecar. */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === "Always";
}

function graceSeconds(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_S;
}

function fmtSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 && s % 60 === 0 ? `${s / 60}m0s` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

export class PodSyncer {
  readonly states = new Map<string, PodState>();
  private readonly crashBackoff: Backoff;
  private readonly starter: ContainerStarter;
  private readonly hooks: HookRunner;

  constructor(private readonly o: PodSyncerOptions) {
    this.crashBackoff = new Backoff(o.clock);
    this.hooks = new HookRunner(o);
    this.starter = new ContainerStarter({ ...o, hooks: this.hooks });
  }

  private async sandboxesOf(uid: string): Promise<PodSandbox[]> {
    const list = await this.o.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } });
    return list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  }

  /** Every container instance of the pod by name, newest attempt first. */
  private async instancesOf(uid: string): Promise<Map<string, ContainerStatus[]>> {
    const list = await this.o.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } });
    const statuses = await Promise.all(list.map((c) => this.o.runtime.containerStatus(c.id).catch(() => undefined)));
    const out = new Map<string, ContainerStatus[]>();
    for (const s of statuses) {
      if (!s) continue;
      const arr = out.get(s.metadata.name) ?? [];
      arr.push(s);
      out.set(s.metadata.name, arr);
    }
    for (const arr of out.values()) arr.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
    return out;
  }

  /** Syncs one pod; answers how long until it wants another sync (undefined: only on events). */
  async sync(uid: string): Promise<number | undefined> {
    const st = this.states.get(uid);
    if (!st) return undefined;
    if (st.removed) {
      await this.teardown(st, 0);
      this.states.delete(uid);
      return undefined;
    }
    const pod = st.pod;
    if (pod.metadata?.deletionTimestamp) {
      if (!st.terminating) this.startTermination(st);
      else if (graceSeconds(pod) < (st.terminatingGrace ?? Infinity)) {
        // Deleted again with a shorter grace period: the kill comes sooner.
        st.terminatingGrace = graceSeconds(pod);
        this.o.log.info("grace period shortened", { pod: podKey(pod), gracePeriodSeconds: st.terminatingGrace });
        const sandboxes = await this.sandboxesOf(uid);
        void this.stopAll(sandboxes, st.terminatingGrace).catch((err: unknown) => this.o.log.warn("stopping containers failed", { pod: podKey(pod), err }));
      }
      return undefined;
    }
    const now = this.o.clock.now();
    const sandboxes = await this.sandboxesOf(uid);
    if (!st.terminal && isTerminalPhase(pod.status?.phase)) st.terminal = { phase: pod.status.phase, reason: pod.status.reason, message: pod.status.message };
    if (st.terminal) {
      await this.stopAll(sandboxes, 0);
      await this.writeStatus(st, sandboxes[0]);
      return undefined;
    }
    if (!st.admitted) {
      const accepted = Boolean(pod.status?.startTime) || sandboxes.length > 0;
      const rejection = accepted || !this.o.allocatable ? undefined : checkFit(pod, this.admittedPods(st), this.o.allocatable());
      if (rejection) {
        this.o.log.info("pod rejected", { pod: podKey(pod), reason: rejection.reason });
        this.o.events.event(pod, "Warning", rejection.reason, rejection.message);
        st.terminal = { phase: "Failed", reason: rejection.reason, message: `Pod was rejected: ${rejection.message}` };
        st.startTime = now;
        await this.writeStatus(st, undefined);
        return undefined;
      }
      st.admitted = true;
    }
    const parsedStart = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
    st.startTime ??= Number.isFinite(parsedStart) ? parsedStart : now;

    let wake = Infinity;
    const wakeAt = (t: number): void => void (wake = Math.min(wake, t));
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && deadline !== null) {
      const end = st.startTime + deadline * 1000;
      if (now >= end) {
        this.o.log.info("pod exceeded its active deadline", { pod: podKey(pod), deadlineSeconds: deadline });
        this.o.events.event(pod, "Normal", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline");
        await this.stopAll(sandboxes, graceSeconds(pod), pod);
        st.terminal = { phase: "Failed", reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" };
        await this.writeStatus(st, sandboxes[0]);
        return undefined;
      }
      wakeAt(end);
    }

    if (this.o.inputs) {
      // Before the sandbox and at every sync: config map, secret and downward API files follow their sources.
      try {
        await this.o.inputs.setUpVolumes(pod, { hostIP: this.o.hostIP() });
      } catch (err) {
        const message = (err as Error).message;
        this.o.log.info("pod volumes not ready", { pod: podKey(pod), err });
        this.o.events.event(pod, "Warning", "FailedMount", `MountVolume.SetUp failed: ${message}`);
        await this.writeStatus(st, sandboxes[0]);
        return VOLUME_RETRY_MS;
      }
    }

    const policy = pod.spec?.restartPolicy ?? "Always";
    let instances = await this.instancesOf(uid);
    let current = sandboxes[0];
    if (!current || current.state !== "ready") {
      if (current && policy === "Never" && instances.size > 0) {
        // The sandbox died and the pod must not restart: the containers' final states decide its phase.
        await this.stopAll(sandboxes, 0);
        await this.finishFromStatus(st, current);
        return undefined;
      }
      if (current) await this.o.runtime.stopPodSandbox(current.id);
      const attempt = current ? current.metadata.attempt + 1 : 0;
      const id = await this.o.runtime.runPodSandbox(sandboxConfig(pod, attempt));
      this.o.log.info(attempt ? "pod sandbox changed, restarting pod" : "pod sandbox started", { pod: podKey(pod), sandbox: id.slice(0, 12), attempt });
      if (attempt) this.o.events.event(pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
      current = (await this.o.runtime.listPodSandbox({ id }))[0]!;
    }
    const sb = current;
    const sbConfig = sandboxConfig(pod, sb.metadata.attempt);
    const waiting = new Map<string, Waiting>();
    const inSandbox = (name: string): ContainerStatus[] => (instances.get(name) ?? []).filter((c) => c.podSandboxId === sb.id);
    const nextAttempt = (name: string): number => (instances.get(name)?.[0]?.metadata.attempt ?? -1) + 1;

    /** Crash-loop bookkeeping for an exited instance that should restart: true when it may restart now. */
    const mayRestart = (c: Container, latest: ContainerStatus): boolean => {
      const key = `${uid}/${c.name}`;
      const finished = latest.finishedAt ?? now;
      if (this.crashBackoff.isInBackoffSince(key, finished)) {
        const delay = this.crashBackoff.get(key);
        waiting.set(c.name, { reason: "CrashLoopBackOff", message: `back-off ${fmtSeconds(delay)} restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})` });
        this.o.events.event(pod, "Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`);
        wakeAt(finished + delay);
        return false;
      }
      this.crashBackoff.next(key, finished);
      return true;
    };

    const start = async (c: Container): Promise<void> => {
      if (await this.starter.start(pod, c, sb.id, sbConfig, nextAttempt(c.name), waiting, wakeAt)) instances = await this.instancesOf(uid);
    };

    const appsStarted = (pod.spec?.containers ?? []).some((c) => inSandbox(c.name).length > 0);
    let initDone = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const latest = inSandbox(c.name)[0];
      if (isSidecar(c)) {
        // A sidecar (restartable init container) counts as initialized once it runs and its startup probe passed;
        // it keeps running next to the app containers and restarts whenever it exits.
        if (latest?.state === "running") {
          this.o.probes.ensure(uid, c, latest.id, latest.startedAt ?? now);
          if (this.o.probes.started(latest.id) || appsStarted) continue;
          initDone = false;
          break;
        }
        if (appsStarted) continue;
        initDone = false;
        if (!latest) await start(c);
        else if (latest.state === "created") await this.o.runtime.startContainer(latest.id);
        else if (mayRestart(c, latest)) await start(c);
        break;
      }
      if (latest?.state === "exited" && latest.exitCode === 0) continue;
      initDone = false;
      if (!latest) await start(c);
      else if (latest.state === "created") await this.o.runtime.startContainer(latest.id);
      else if (latest.state === "exited") {
        if (policy === "Never") {
          this.o.log.info("init container failed, pod fails", { pod: podKey(pod), container: c.name, exitCode: latest.exitCode });
          st.terminal = { phase: "Failed" };
        } else if (mayRestart(c, latest)) await start(c);
      }
      break;
    }

    if (initDone && !st.terminal) {
      for (const c of (pod.spec?.initContainers ?? []).filter(isSidecar)) {
        const latest = inSandbox(c.name)[0];
        if (!latest) await start(c);
        else if (latest.state === "created") await this.o.runtime.startContainer(latest.id);
        else if (latest.state === "exited" && mayRestart(c, latest)) await start(c);
      }
      for (const c of pod.spec?.containers ?? []) {
        const latest = inSandbox(c.name)[0];
        if (!latest) {
          await start(c);
          continue;
        }
        if (latest.state === "created") {
          await this.o.runtime.startContainer(latest.id).catch((err: Error) => waiting.set(c.name, { reason: "RunContainerError", message: err.message }));
          continue;
        }
        if (latest.state === "running") {
          const failed = this.o.probes.failed(latest.id);
          if (failed) {
            this.o.log.info("container failed its probe, killing it", { pod: podKey(pod), container: c.name, probe: failed });
            this.o.events.event(pod, "Normal", "Killing", `Container ${c.name} failed ${failed} probe, will be restarted`);
            this.o.probes.stop(latest.id);
            // A probe's own terminationGracePeriodSeconds overrides the pod's for this kill.
            const probeGrace = (failed === "liveness" ? c.livenessProbe : c.startupProbe)?.terminationGracePeriodSeconds;
            await this.hooks.kill(pod, c, latest.id, probeGrace ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_S);
            this.o.enqueue(uid);
          }
          continue;
        }
        const restart = policy === "Always" || (policy === "OnFailure" && latest.exitCode !== 0);
        if (restart && mayRestart(c, latest)) await start(c);
      }
    }

    instances = await this.instancesOf(uid);
    const running = new Set<string>();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const latest = instances.get(c.name)?.[0];
      if (latest?.state === "running" && latest.podSandboxId === sb.id) {
        running.add(latest.id);
        const reported = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === c.name);
        const wasReady = reported?.ready === true && reported.containerID === `${this.o.runtimeName()}://${latest.id}`;
        this.o.probes.ensure(uid, c, latest.id, latest.startedAt ?? now, { wasReady });
      }
    }
    this.o.probes.retain(uid, running);
    await this.collectGarbage(instances, sandboxes, sb.id);

    const status = await this.writeStatus(st, sb, waiting, instances);
    if (!st.terminal && isTerminalPhase(status?.phase)) {
      st.terminal = { phase: status.phase };
      this.o.log.info("pod finished", { pod: podKey(pod), phase: status.phase });
      await this.o.runtime.stopPodSandbox(sb.id);
      await this.writeStatus(st, sb);
    }
    return wake === Infinity ? undefined : Math.max(0, wake - this.o.clock.now());
  }

  /** Pods holding node resources: admitted, not finished, still in the API. */
  private admittedPods(except: PodState): Pod[] {
    const out: Pod[] = [];
    for (const o of this.states.values()) if (o !== except && o.admitted && !o.terminal && !o.removed) out.push(o.pod);
    return out;
  }

  /** Removes exited instances beyond the newest two per container, and dead sandboxes left empty. */
  private async collectGarbage(instances: Map<string, ContainerStatus[]>, sandboxes: PodSandbox[], currentId: string): Promise<void> {
    const rt = this.o.runtime;
    for (const arr of instances.values()) for (const old of arr.slice(KEEP_INSTANCES)) if (old.state === "exited") await rt.removeContainer(old.id);
    const used = new Set<string>();
    for (const arr of instances.values()) for (const c of arr.slice(0, KEEP_INSTANCES)) used.add(c.podSandboxId);
    // The newest dead sandbox is kept for its attempt number until a newer one exists; older empty ones go.
    for (const s of sandboxes) if (s.id !== currentId && s.state === "notready" && !used.has(s.id) && s.metadata.attempt < (sandboxes[0]?.metadata.attempt ?? 0)) await rt.removePodSandbox(s.id);
  }

  private async stopAll(sandboxes: PodSandbox[], graceS: number, pod?: Pod): Promise<void> {
    const rt = this.o.runtime;
    for (const sb of sandboxes) {
      if (sb.state !== "ready") continue;
      const live = (await rt.listContainers({ podSandboxId: sb.id })).filter((c) => c.state === "running" || c.state === "created");
      if (pod) for (const c of live) this.o.events.event(pod, "Normal", "Killing", `Stopping container ${c.metadata.name}`);
      // With the pod known (deletion, deadline), running containers get their preStop hooks first, and sidecars stop
      // after the app containers (whose preStop hooks may still need them).
      const kill = (list: typeof live): Promise<unknown> =>
        Promise.all(list.map((c) => (pod && c.state === "running" ? this.hooks.kill(pod, containerSpec(pod, c.metadata.name), c.id, graceS) : rt.stopContainer(c.id, graceS))));
      const sidecar = (c: (typeof live)[number]): boolean => Boolean(pod?.spec?.initContainers?.some((s) => s.name === c.metadata.name && isSidecar(s)));
      await kill(live.filter((c) => !sidecar(c)));
      await kill(live.filter(sidecar));
      await rt.stopPodSandbox(sb.id);
    }
  }

  /** The pod may not restart: its status, computed with every container final, is terminal. */
  private async finishFromStatus(st: PodState, sb: PodSandbox): Promise<void> {
    const status = await this.writeStatus(st, sb, new Map(), undefined, true);
    if (status && isTerminalPhase(status.phase)) st.terminal = { phase: status.phase };
  }

  /** Computes the status and writes it through pods/status when it changed. */
  private async writeStatus(
    st: PodState,
    sb: PodSandbox | undefined,
    waiting = new Map<string, Waiting>(),
    instances?: Map<string, ContainerStatus[]>,
    terminating = false,
  ): Promise<{ phase: PodPhase } | undefined> {
    const pod = st.pod;
    const inst = instances ?? (await this.instancesOf(st.uid));
    const sbStatus = sb ? await this.o.runtime.podSandboxStatus(sb.id).catch(() => undefined) : undefined;
    const status = computePodStatus({
      pod,
      instances: inst,
      waiting,
      sandboxReady: sbStatus?.state === "ready",
      podIP: sbStatus?.network.ip || (pod.status?.podIP ?? undefined),
      hostIP: this.o.hostIP(),
      runtimeName: this.o.runtimeName(),
      startTime: st.startTime ?? this.o.clock.now(),
      currentSandboxId: sb?.id,
      previousConditions: st.lastConditions,
      ready: (id) => this.o.probes.ready(id),
      started: (id) => this.o.probes.started(id),
      terminal: st.terminal,
      terminating,
      now: this.o.clock.now(),
    });
    const text = JSON.stringify(status);
    if (text === st.lastWritten) return status;
    try {
      // A merge patch of the whole status: arrays replace, and cleared top-level fields are sent as null.
      const body = { status: { ...status, reason: status.reason ?? null, message: status.message ?? null } };
      await this.o.pods.patch(pod.metadata?.namespace, pod.metadata?.name ?? "", "merge", body, { subresource: "status" });
      st.lastWritten = text;
      st.lastConditions = status.conditions;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return status;
  }

  /** Graceful deletion, off the sync path: it may take the whole grace period. */
  private startTermination(st: PodState): void {
    if (st.terminating) return;
    const pod = st.pod;
    const grace = graceSeconds(pod);
    st.terminatingGrace = grace;
    this.o.log.info("killing pod", { pod: podKey(pod), gracePeriodSeconds: grace });
    st.terminating = (async () => {
      const sandboxes = await this.sandboxesOf(st.uid);
      await this.stopAll(sandboxes, grace, pod);
      this.o.probes.retain(st.uid, new Set());
      if (!st.terminal) await this.writeStatus(st, sandboxes[0], new Map(), undefined, true);
      try {
        await this.o.pods.delete(pod.metadata?.namespace, pod.metadata?.name ?? "", { gracePeriodSeconds: 0, preconditions: { uid: st.uid } });
      } catch (err) {
        // Gone already, or a new pod of the same name: either way this one is done.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      for (const sb of sandboxes) await this.o.runtime.removePodSandbox(sb.id);
      this.o.log.info("pod deleted", { pod: podKey(pod) });
    })().catch((err: unknown) => {
      this.o.log.warn("pod termination failed, will retry", { pod: podKey(pod), err });
      st.terminating = undefined;
      this.o.enqueue(st.uid, 1000);
    });
  }

  /** The pod left the API: kill whatever still runs and remove its sandboxes. */
  private async teardown(st: PodState, graceS: number): Promise<void> {
    // Kill first: a graceful termination still waiting out its period must not hold up a forced removal.
    const sandboxes = await this.sandboxesOf(st.uid);
    await this.stopAll(sandboxes, graceS);
    await st.terminating;
    for (const sb of sandboxes) await this.o.runtime.removePodSandbox(sb.id);
    // After the sandboxes: no container holds the volumes any more.
    await this.o.inputs?.tearDown(st.uid);
    this.o.probes.retain(st.uid, new Set());
    this.crashBackoff.forgetPrefix(`${st.uid}/`);
    this.starter.forgetPod(st.uid);
  }

  /** Removes sandboxes of pods the agent no longer has (deleted while it was down). */
  async removeOrphans(): Promise<number> {
    let n = 0;
    for (const sb of await this.o.runtime.listPodSandbox()) {
      if (this.states.has(sb.metadata.uid)) continue;
      this.o.log.info("removing orphaned pod sandbox", { pod: `${sb.metadata.namespace}/${sb.metadata.name}`, sandbox: sb.id.slice(0, 12) });
      await this.o.runtime.removePodSandbox(sb.id);
      n++;
    }
    const volumes = await this.o.inputs?.cleanupOrphans((uid) => this.states.has(uid));
    if (volumes) this.o.log.info("removed volumes of orphaned pods", { pods: volumes });
    return n;
  }
}

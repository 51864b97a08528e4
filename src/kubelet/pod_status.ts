// Computes a pod's API status from what the runtime reports: container states and reasons, restart counts, last
// states, the phase (the kubelet's getPhase rules) and the conditions the kubelet owns. Pure: no I/O.
import type {
  Container,
  ContainerState as ApiContainerState,
  ContainerStatus as ApiContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from "kubernetes-types/core/v1.js";
import type { ContainerStatus } from "./runtime/types.js";

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

export interface Waiting {
  reason: string;
  message?: string;
}

export interface PodStatusInput {
  pod: Pod;
  /** Every runtime instance of each container of the pod (all sandboxes), newest attempt first. */
  instances: Map<string, ContainerStatus[]>;
  /** Waiting reasons decided by this sync (CrashLoopBackOff, ErrImagePull, ...), by container name. */
  waiting: Map<string, Waiting>;
  sandboxReady: boolean;
  podIP?: string;
  hostIP: string;
  /** The sandbox the pod runs in now: only its instances count for init containers being done. */
  currentSandboxId?: string;
  /** Conditions as last written (the kubelet's own record), to keep their transition times. */
  previousConditions?: PodCondition[];
  /** Prefix of container ids: "<runtime>://". */
  runtimeName: string;
  startTime: number;
  /** Readiness of a running instance: undefined when it has no readiness probe. */
  ready(containerId: string): boolean | undefined;
  started(containerId: string): boolean;
  /** Set once the pod is terminal (or forced so by a deadline): the phase is final. */
  terminal?: { phase: "Succeeded" | "Failed"; reason?: string; message?: string };
  /** The pod is being torn down: stopped containers count as final. */
  terminating?: boolean;
  now: number;
}

/** Times as the API writes them: RFC 3339, seconds precision. */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

export const KUBELET_CONDITIONS = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"] as const;

function terminatedState(c: ContainerStatus, runtimeName: string): ApiContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? ((c.exitCode ?? 0) === 0 ? "Completed" : "Error"),
      ...(c.message ? { message: c.message } : {}),
      startedAt: c.startedAt !== undefined ? apiTime(c.startedAt) : undefined,
      finishedAt: c.finishedAt !== undefined ? apiTime(c.finishedAt) : undefined,
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

/** True when the newest instance exited with code 0: an init container that is done. */
export function completed(instances: ContainerStatus[] | undefined, sandboxId?: string): boolean {
  const latest = sandboxId === undefined ? instances?.[0] : instances?.find((c) => c.podSandboxId === sandboxId);
  return latest?.state === "exited" && latest.exitCode === 0;
}

function containerStatus(spec: Container, input: PodStatusInput, defaultWaiting: string): ApiContainerStatus {
  const all = input.instances.get(spec.name) ?? [];
  const latest = all[0];
  const previous = all[1];
  const override = input.waiting.get(spec.name);
  let state: ApiContainerState;
  let lastState: ApiContainerState = {};
  if (override) {
    state = { waiting: { reason: override.reason, ...(override.message ? { message: override.message } : {}) } };
    if (latest?.state === "exited") lastState = terminatedState(latest, input.runtimeName);
    else if (previous?.state === "exited") lastState = terminatedState(previous, input.runtimeName);
  } else if (!latest) {
    state = { waiting: { reason: defaultWaiting } };
  } else {
    if (previous?.state === "exited") lastState = terminatedState(previous, input.runtimeName);
    if (latest.state === "running") state = { running: { startedAt: apiTime(latest.startedAt ?? latest.createdAt) } };
    else if (latest.state === "exited") state = terminatedState(latest, input.runtimeName);
    else state = { waiting: { reason: "ContainerCreating" } };
  }
  const running = !override && latest?.state === "running";
  const started = running && input.started(latest!.id);
  const ready = running && started && (input.ready(latest!.id) ?? true);
  return {
    name: spec.name,
    image: spec.image ?? "",
    imageID: latest?.imageRef ?? "",
    ...(latest ? { containerID: `${input.runtimeName}://${latest.id}` } : {}),
    ready,
    started,
    restartCount: latest?.metadata.attempt ?? 0,
    state,
    lastState,
  };
}

/** The kubelet's phase rules over app container statuses. */
export function podPhase(pod: Pod, statuses: ApiContainerStatus[], initDone: boolean, terminating: boolean): PodPhase {
  if (!initDone) return "Pending";
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      const last = s.lastState?.terminated;
      if (last) {
        stopped++;
        if (last.exitCode === 0) succeeded++;
      } else waiting++;
    } else waiting++;
  }
  const failed = stopped - succeeded;
  if (waiting > 0 && !terminating) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    const policy = pod.spec?.restartPolicy ?? "Always";
    if (terminating || policy === "Never") return failed > 0 ? "Failed" : "Succeeded";
    if (policy === "Always") return "Running";
    return stopped === succeeded ? "Succeeded" : "Running";
  }
  return terminating ? "Failed" : "Pending";
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? "True" : "False", ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** Keeps lastTransitionTime (and sets lastProbeTime null) when a condition's status did not change. */
function withTimes(conds: PodCondition[], previous: PodCondition[], now: number): PodCondition[] {
  return conds.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : apiTime(now);
    return { ...c, lastTransitionTime };
  });
}

export function computePodStatus(input: PodStatusInput): PodStatus & { phase: PodPhase } {
  const { pod } = input;
  const initSpecs = pod.spec?.initContainers ?? [];
  const appSpecs = pod.spec?.containers ?? [];
  const inCurrent = (name: string): ContainerStatus | undefined =>
    (input.instances.get(name) ?? []).find((c) => input.currentSandboxId === undefined || c.podSandboxId === input.currentSandboxId);
  const appsStarted = appSpecs.some((c) => inCurrent(c.name) !== undefined);
  // Sidecars (restartPolicy Always) are initialized once running and started; after that for good.
  const initialized = (c: Container): boolean => {
    if (c.restartPolicy !== "Always") return completed(input.instances.get(c.name), input.currentSandboxId);
    const latest = inCurrent(c.name);
    return appsStarted || (latest?.state === "running" && input.started(latest.id));
  };
  const initDone = initSpecs.every(initialized);
  const initStatuses = initSpecs.map((c) => containerStatus(c, input, "PodInitializing"));
  const appStatuses = appSpecs.map((c) => containerStatus(c, input, initDone ? "ContainerCreating" : "PodInitializing"));
  const phase: PodPhase = input.terminal?.phase ?? podPhase(pod, appStatuses, initDone, input.terminating ?? false);
  const finished = phase === "Succeeded" || phase === "Failed";

  const incomplete = initSpecs.filter((c) => !initialized(c)).map((c) => c.name);
  const sidecarStatuses = initStatuses.filter((_, i) => initSpecs[i]!.restartPolicy === "Always");
  const unready = [...sidecarStatuses, ...appStatuses].filter((s) => !s.ready).map((s) => s.name);
  const containersReady = unready.length === 0 && !finished;
  const gates = pod.spec?.readinessGates ?? [];
  const existing = pod.status?.conditions ?? [];
  const gatesOpen = gates.every((g) => existing.find((c) => c.type === g.conditionType)?.status === "True");
  const readyReason = finished ? "PodCompleted" : !containersReady ? "ContainersNotReady" : !gatesOpen ? "ReadinessGatesNotReady" : undefined;
  const unreadyMsg = unready.length ? `containers with unready status: [${unready.join(" ")}]` : undefined;

  const mine: PodCondition[] = [
    condition("PodReadyToStartContainers", input.sandboxReady && !finished),
    condition("Initialized", incomplete.length === 0, incomplete.length ? "ContainersNotInitialized" : undefined, incomplete.length ? `containers with incomplete status: [${incomplete.join(" ")}]` : undefined),
    condition("Ready", containersReady && gatesOpen, readyReason, finished ? undefined : readyReason === "ReadinessGatesNotReady" ? "the status of pod readiness gate(s) is not \"True\"" : unreadyMsg),
    condition("ContainersReady", containersReady, finished ? "PodCompleted" : containersReady ? undefined : "ContainersNotReady", finished ? undefined : unreadyMsg),
  ];
  const others = existing.filter((c) => !(KUBELET_CONDITIONS as readonly string[]).includes(c.type));
  // Pods bound by spec.nodeName at creation never met a scheduler: the kubelet reports them scheduled itself.
  if (!others.some((c) => c.type === "PodScheduled")) mine.push(condition("PodScheduled", true));
  const conditions = [...withTimes(mine, input.previousConditions ?? existing, input.now), ...others];

  const status: PodStatus & { phase: PodPhase } = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: apiTime(input.startTime),
    containerStatuses: appStatuses,
    qosClass: pod.status?.qosClass ?? qosClass(pod),
  };
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  const ip = pod.spec?.hostNetwork ? input.hostIP : input.podIP;
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  if (input.terminal?.reason) status.reason = input.terminal.reason;
  if (input.terminal?.message) status.message = input.terminal.message;
  return status;
}

/** Guaranteed when every container has equal cpu and memory requests and limits, BestEffort with none at all. */
export function qosClass(pod: Pod): "Guaranteed" | "Burstable" | "BestEffort" {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ["cpu", "memory"]) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

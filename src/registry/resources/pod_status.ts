// The READY, STATUS and RESTARTS cells of `kubectl get pods`, computed as Kubernetes' pod printer does: the phase,
// overridden by the pod's reason, then by init container progress (Init:N/M, Init:<reason>), then by the
// container states (CrashLoopBackOff, Completed, Error, ExitCode:N ...), and Terminating while deleting.
import type { Pod, ContainerStatus, Container } from "kubernetes-types/core/v1.js";
import { since } from "./common.js";

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

const TERMINAL = ["Succeeded", "Failed"];
/** The reason the node lifecycle controller gives pods of an unreachable node. */
const NODE_UNREACHABLE_REASON = "NodeLost";

function isSidecar(c: Container | undefined): boolean {
  return c?.restartPolicy === "Always";
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function terminatedReason(cs: ContainerStatus, prefix: string): string | undefined {
  const t = cs.state?.terminated;
  if (!t) return undefined;
  if (t.reason) return prefix + t.reason;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode}`;
}

export function summarizePod(pod: Pod, now: Date): PodSummary {
  const status = pod.status ?? {};
  const spec = pod.spec ?? { containers: [] };
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason = status.reason || status.phase || "";
  for (const c of status.conditions ?? []) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }
  const initSpecs = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  for (const cs of status.initContainerStatuses ?? []) if (isSidecar(initSpecs.get(cs.name))) total++;

  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const cs = inits[i]!;
    restarts += cs.restartCount ?? 0;
    const finished = cs.lastState?.terminated?.finishedAt;
    lastRestart = laterOf(lastRestart, finished);
    const sidecar = isSidecar(initSpecs.get(cs.name));
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = laterOf(lastSidecarRestart, finished);
    }
    const t = cs.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (sidecar && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (t) reason = terminatedReason(cs, "Init:")!;
    else if (cs.state?.waiting?.reason && cs.state.waiting.reason !== "PodInitializing") reason = `Init:${cs.state.waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === "Initialized" && c.status === "True");
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const css = status.containerStatuses ?? [];
    for (let i = css.length - 1; i >= 0; i--) {
      const cs = css[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs.state?.terminated) reason = terminatedReason(cs, "")!;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A pod whose last container completed but another still runs is not "Completed".
    if (reason === "Completed" && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }

  if (pod.metadata?.deletionTimestamp && status.reason === NODE_UNREACHABLE_REASON) reason = "Unknown";
  else if (pod.metadata?.deletionTimestamp && !TERMINAL.includes(status.phase ?? "")) reason = "Terminating";

  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

/** The Readiness Gates cell: true gates / all gates, or <none>. */
export function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const conds = pod.status?.conditions ?? [];
  const ok = gates.filter((g) => conds.find((c) => c.type === g.conditionType)?.status === "True").length;
  return `${ok}/${gates.length}`;
}

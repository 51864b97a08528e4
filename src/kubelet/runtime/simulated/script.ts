// How a simulated container behaves, read from its pod's annotations (which reach the runtime through the sandbox
// config, as the real kubelet passes pod annotations to CRI). Keys are per container name:
//   sim.k8ts.io/exit-after-<c>: "5s"       the container exits after running this long (default: runs forever)
//   sim.k8ts.io/exit-code-<c>: "1"         its exit code then (default 0)
//   sim.k8ts.io/oom-after-<c>: "3s"        it is OOMKilled (exit 137) after running this long
//   sim.k8ts.io/memory-<c>: "64Mi"         reported memory working set; above the memory limit it is OOMKilled at once
//   sim.k8ts.io/cpu-<c>: "250m"            reported CPU usage
//   sim.k8ts.io/stop-delay-<c>: "10s"      how long it takes to exit after SIGTERM (killed at the stop timeout)
//   sim.k8ts.io/ready-<c>: "false"         readiness probes fail
//   sim.k8ts.io/ready-after-<c>: "20s"     readiness probes fail until it has run this long
//   sim.k8ts.io/live-<c>: "false"          liveness probes fail
//   sim.k8ts.io/startup-after-<c>: "30s"   startup probes fail until it has run this long
//   sim.k8ts.io/exec-exit-code-<c>: "2"    exit code of commands exec'd in it (probes use the annotations above)
// and per pod:
//   sim.k8ts.io/pull-fail: "img1,img2"     pulls of these images fail ("*": every image); so do images whose name
//                                          contains "invalid"
import { parseQuantity } from "../../../machinery/quantity.js";

export const SIM_PREFIX = "sim.k8ts.io/";

/** Defaults reported by running containers without usage annotations: small but non-zero, like an idle process. */
const DEFAULT_CPU_NANOCORES = 1_000_000; // 1m
const DEFAULT_MEMORY_BYTES = 2 * 1024 * 1024; // 2Mi

export interface ContainerScript {
  exitAfterMs?: number;
  exitCode: number;
  oomAfterMs?: number;
  cpuNanoCores: number;
  memoryBytes: number;
  stopDelayMs: number;
  execExitCode: number;
}

export interface ProbeScript {
  ready: boolean;
  readyAfterMs: number;
  live: boolean;
  startupAfterMs: number;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations ("1.5s", "1m30s", "250ms") in milliseconds; a bare number means seconds. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== t.length) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return total;
}

function get(annotations: Record<string, string>, key: string, container: string): string | undefined {
  return annotations[`${SIM_PREFIX}${key}-${container}`];
}

function durationOr<T extends number | undefined>(v: string | undefined, fallback: T): number | T {
  if (v === undefined) return fallback;
  try {
    return parseDuration(v);
  } catch {
    return fallback;
  }
}

function intOr(v: string | undefined, fallback: number): number {
  const n = v === undefined ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : fallback;
}

function quantityOr(v: string | undefined, fallback: number, scale: number): number {
  if (v === undefined) return fallback;
  try {
    return Number(parseQuantity(v).nanos) / scale;
  } catch {
    return fallback;
  }
}

export function containerScript(annotations: Record<string, string>, container: string): ContainerScript {
  return {
    exitAfterMs: durationOr(get(annotations, "exit-after", container), undefined),
    exitCode: intOr(get(annotations, "exit-code", container), 0),
    oomAfterMs: durationOr(get(annotations, "oom-after", container), undefined),
    // Quantities count nano-units: cpu in cores -> nano-cores is nanos/1; memory bytes is nanos/1e9.
    cpuNanoCores: quantityOr(get(annotations, "cpu", container), DEFAULT_CPU_NANOCORES, 1),
    memoryBytes: quantityOr(get(annotations, "memory", container), DEFAULT_MEMORY_BYTES, 1e9),
    stopDelayMs: durationOr(get(annotations, "stop-delay", container), 0),
    execExitCode: intOr(get(annotations, "exec-exit-code", container), 0),
  };
}

export function probeScript(annotations: Record<string, string>, container: string): ProbeScript {
  return {
    ready: get(annotations, "ready", container) !== "false",
    readyAfterMs: durationOr(get(annotations, "ready-after", container), 0),
    live: get(annotations, "live", container) !== "false",
    startupAfterMs: durationOr(get(annotations, "startup-after", container), 0),
  };
}

/** Why a pull of this image fails for a pod with these annotations, or undefined when it succeeds. */
export function pullFailure(image: string, annotations: Record<string, string>): string | undefined {
  if (image.includes("invalid")) return `failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`;
  const list = annotations[`${SIM_PREFIX}pull-fail`];
  if (!list) return undefined;
  const names = list.split(",").map((s) => s.trim());
  if (names.includes("*") || names.includes(image)) return `failed to pull image "${image}": simulated failure (${SIM_PREFIX}pull-fail)`;
  return undefined;
}

// The replica count a metric asks for, as Kubernetes' HPA replica calculator computes it: desired =
// ceil(current * usage / target) unless the ratio is within the tolerance. Pods without metrics and pods not yet
// ready are counted conservatively: on a scale up missing pods count as using nothing, on a scale down as using
// 100% of their request (or the target); not-yet-ready pods count as using nothing, and only when the others ask
// for a scale up. If these assumptions flip the direction, nothing changes. Pure functions: time comes in.
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../machinery/quantity.js";

/** One pod's reading of a metric, in thousandths of its unit (millicores, millibytes, ...). */
export interface PodMetric {
  valueMilli: number;
  /** When it was read (ms since the epoch) and over how long. */
  timestamp: number;
  windowMs: number;
}

export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** The ratio band around 1.0 where nothing changes (Kubernetes: 0.1). */
  tolerance: number;
  /** CPU samples of a pod started less than this ago count only once it has been ready for one window (5 min). */
  cpuInitializationPeriodMs: number;
  /** A pod that was never ready within this long of starting is unready (30 s). */
  delayOfInitialReadinessStatusMs: number;
  now: number;
}

export const DEFAULT_CALCULATOR_OPTIONS: Omit<CalculatorOptions, "now"> = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

export interface PodGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const time = (s: string | undefined): number | undefined => (s ? Date.parse(s) : undefined);

/** Sorts the pods: ignored (deleting, failed), unready (pending; for cpu also not ready or still warming up),
 *  missing (no metric), and the ready rest. */
export function groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string | undefined, o: CalculatorOptions): PodGroups {
  const g: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "";
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp || phase === "Failed" || phase === "Succeeded") {
      g.ignored.add(name);
      continue;
    }
    if (phase === "Pending") {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === "cpu") {
      const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
      const start = time(pod.status?.startTime);
      let unready: boolean;
      if (!ready || start === undefined) unready = true;
      else {
        const transition = time(ready.lastTransitionTime) ?? 0;
        if (start + o.cpuInitializationPeriodMs > o.now) {
          // Warming up: its cpu counts once it is ready and a whole window was measured since it turned ready.
          unready = ready.status === "False" || metric.timestamp < transition + metric.windowMs;
        } else {
          // Past warm-up: only a pod that has never been ready is left out.
          unready = ready.status === "False" && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Each pod's request of the resource in milli-units (only the named container's when given). Throws when a
 *  container has no request: utilization of a request that does not exist means nothing. */
export function podRequests(pods: Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      sum += parseQuantity(String(req)).milliValue();
    }
    out.set(pod.metadata?.name ?? "", sum);
  }
  return out;
}

function without(metrics: PodMetricsInfo, ...sets: Set<string>[]): PodMetricsInfo {
  const out = new Map(metrics);
  for (const s of sets) for (const n of s) out.delete(n);
  return out;
}

/** Sum of usage over sum of requests of the pods with metrics, as a ratio to the target percentage. */
function utilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, target: number): { ratio: number; utilization: number; rawAverageMilli: number } {
  let usage = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    usage += m.valueMilli;
    requested += r;
    n++;
  }
  if (requested === 0) throw new Error("no pods with requests among the pods with metrics");
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverageMilli: usage / n };
}

export interface ResourceResult {
  replicas: number;
  utilization: number;
  rawAverageMilli: number;
  timestamp: number;
}

const within = (ratio: number, tolerance: number): boolean => Math.abs(1 - ratio) <= tolerance;

function oldestTimestamp(metrics: PodMetricsInfo): number {
  let t = Infinity;
  for (const m of metrics.values()) t = Math.min(t, m.timestamp);
  return Number.isFinite(t) ? t : 0;
}

/** Replicas for a utilization target (percent of request) of a resource. */
export function resourceUtilizationReplicas(
  current: number,
  args: { targetUtilization: number; resource: string; pods: Pod[]; metrics: PodMetricsInfo; requests: Map<string, number> },
  o: CalculatorOptions,
): ResourceResult {
  if (args.pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const g = groupPods(args.pods, args.metrics, args.resource, o);
  const metrics = without(args.metrics, g.ignored, g.unready);
  if (metrics.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const timestamp = oldestTimestamp(metrics);
  const first = utilizationRatio(metrics, args.requests, args.targetUtilization);
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  const result = (replicas: number): ResourceResult => ({ replicas, utilization: first.utilization, rawAverageMilli: first.rawAverageMilli, timestamp });
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (within(first.ratio, o.tolerance)) return result(current);
    return result(Math.ceil(first.ratio * g.readyCount));
  }
  if (g.missing.size > 0) {
    // Scale down: missing pods use all they asked for (or the target, above 100%). Scale up: nothing.
    const fallback = Math.max(100, args.targetUtilization);
    for (const name of g.missing) {
      const value = first.ratio < 1 ? ((args.requests.get(name) ?? 0) * fallback) / 100 : 0;
      if (first.ratio !== 1) metrics.set(name, { valueMilli: value, timestamp, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, { valueMilli: 0, timestamp, windowMs: 0 });
  const next = utilizationRatio(metrics, args.requests, args.targetUtilization);
  // Within tolerance now, or the assumptions turned the direction around: stay.
  if (within(next.ratio, o.tolerance) || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) return result(current);
  const replicas = Math.ceil(next.ratio * metrics.size);
  if ((next.ratio < 1 && replicas > current) || (next.ratio > 1 && replicas < current)) return result(current);
  return result(replicas);
}

export interface PlainResult {
  replicas: number;
  /** Average usage per pod (milli). */
  averageMilli: number;
  timestamp: number;
}

/** Replicas for an average-value target per pod (Pods metrics, resources by AverageValue). `resource` is the
 *  resource name for resource metrics (cpu readiness rules apply), undefined for custom metrics. */
export function averageValueReplicas(
  current: number,
  args: { targetMilli: number; resource?: string; pods: Pod[]; metrics: PodMetricsInfo },
  o: CalculatorOptions,
): PlainResult {
  if (args.pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const g = groupPods(args.pods, args.metrics, args.resource, o);
  const metrics = without(args.metrics, g.ignored, g.unready);
  if (metrics.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const timestamp = oldestTimestamp(metrics);
  const avg = (m: PodMetricsInfo): number => [...m.values()].reduce((s, x) => s + x.valueMilli, 0) / m.size;
  const firstAvg = avg(metrics);
  const ratio = firstAvg / args.targetMilli;
  const result = (replicas: number): PlainResult => ({ replicas, averageMilli: firstAvg, timestamp });
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (within(ratio, o.tolerance)) return result(current);
    return result(Math.ceil(ratio * g.readyCount));
  }
  if (g.missing.size > 0 && ratio !== 1) {
    for (const name of g.missing) metrics.set(name, { valueMilli: ratio < 1 ? args.targetMilli : 0, timestamp, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, { valueMilli: 0, timestamp, windowMs: 0 });
  const next = avg(metrics) / args.targetMilli;
  if (within(next, o.tolerance) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return result(current);
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > current) || (next > 1 && replicas < current)) return result(current);
  return result(replicas);
}

/** Replicas for one value the whole target shares (Object/External metrics with a Value target): the ratio times
 *  the ready pods (or, scaled to zero, the ratio itself). */
export function valueReplicas(current: number, args: { usageMilli: number; targetMilli: number; readyPods: number }, o: Pick<CalculatorOptions, "tolerance">): number {
  const ratio = args.usageMilli / args.targetMilli;
  if (current === 0) return Math.ceil(ratio);
  if (within(ratio, o.tolerance)) return current;
  return Math.ceil(ratio * args.readyPods);
}

/** Replicas for an average-value target of one shared value (Object/External with AverageValue): value / target,
 *  unless the per-replica usage is within tolerance. Answers the per-replica usage too. */
export function averageOfValueReplicas(statusReplicas: number, args: { usageMilli: number; targetAverageMilli: number }, o: Pick<CalculatorOptions, "tolerance">): { replicas: number; averageMilli: number } {
  const ratio = args.usageMilli / (args.targetAverageMilli * Math.max(1, statusReplicas));
  const replicas = within(ratio, o.tolerance) ? statusReplicas : Math.ceil(args.usageMilli / args.targetAverageMilli);
  return { replicas, averageMilli: Math.ceil(args.usageMilli / Math.max(1, statusReplicas)) };
}

/** Pods counted as ready for Object and External metrics: Running with Ready=True. */
export function readyPodCount(pods: Pod[]): number {
  return pods.filter((p) => p.status?.phase === "Running" && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
}

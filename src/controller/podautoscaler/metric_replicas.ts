// One metric of an HPA turned into a replica proposal and the status it reports, and the combination of all of
// them (the largest proposal wins; invalid metrics block a scale down), as Kubernetes' computeReplicasForMetrics.
import type { MetricSpec, MetricStatus, MetricTarget } from "kubernetes-types/autoscaling/v2.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { labelSelectorToString } from "../../machinery/labels.js";
import { formatQuantity, parseQuantity, Quantity } from "../../machinery/quantity.js";
import {
  averageOfValueReplicas,
  averageValueReplicas,
  podRequests,
  readyPodCount,
  resourceUtilizationReplicas,
  valueReplicas,
  type CalculatorOptions,
} from "./replica_calculator.js";
import type { CustomMetricsSource, ResourceMetricsClient } from "./types.js";

export interface MetricContext {
  namespace: string;
  /** The target's pod selector (scale status.selector). */
  selector: string;
  /** The target's spec.replicas and status.replicas. */
  specReplicas: number;
  statusReplicas: number;
  pods: Pod[];
  resourceMetrics: ResourceMetricsClient;
  customMetrics?: CustomMetricsSource;
  calc: CalculatorOptions;
}

export interface Proposal {
  replicas: number;
  /** How the event names the metric: "cpu resource utilization (percentage of request)". */
  name: string;
  status: MetricStatus;
  timestamp: number;
}

/** A metric that could not be evaluated: the ScalingActive=False reason and the error. */
export class MetricError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const milliQuantity = (m: number): string => formatQuantity(Quantity.fromMilli(Math.round(m)));
const targetMilli = (q: unknown): number => parseQuantity(String(q)).milliValue();

function needCustom(ctx: MetricContext, reason: string): CustomMetricsSource {
  if (!ctx.customMetrics) throw new MetricError(reason, "no custom metrics source is configured");
  return ctx.customMetrics;
}

async function resourceProposal(ctx: MetricContext, name: string, target: MetricTarget, container?: string): Promise<Proposal & { current: { averageUtilization?: number; averageValue: string } }> {
  const reason = container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
  const what = container ? `${name} container resource` : `${name} resource`;
  let metrics;
  try {
    metrics = await ctx.resourceMetrics.podResourceMetrics(ctx.namespace, name, ctx.selector, container);
  } catch (err) {
    throw new MetricError(reason, `failed to get ${name} utilization: ${(err as Error).message}`);
  }
  try {
    if (target.type === "Utilization" && target.averageUtilization !== undefined) {
      const requests = podRequests(ctx.pods, name, container);
      const r = resourceUtilizationReplicas(ctx.specReplicas, { targetUtilization: target.averageUtilization, resource: name, pods: ctx.pods, metrics, requests }, ctx.calc);
      return { replicas: r.replicas, name: `${what} utilization (percentage of request)`, timestamp: r.timestamp, status: { type: "" }, current: { averageUtilization: r.utilization, averageValue: milliQuantity(r.rawAverageMilli) } };
    }
    if (target.type === "AverageValue" && target.averageValue !== undefined) {
      const r = averageValueReplicas(ctx.specReplicas, { targetMilli: targetMilli(target.averageValue), resource: name, pods: ctx.pods, metrics }, ctx.calc);
      return { replicas: r.replicas, name: what, timestamp: r.timestamp, status: { type: "" }, current: { averageValue: milliQuantity(r.averageMilli) } };
    }
  } catch (err) {
    throw new MetricError(reason, `failed to get ${name} utilization: ${(err as Error).message}`);
  }
  throw new MetricError(reason, `invalid ${what} target: must set either a target raw value or a target utilization`);
}

/** The proposal of one metric; throws MetricError when it cannot be evaluated. */
export async function metricProposal(spec: MetricSpec, ctx: MetricContext): Promise<Proposal> {
  switch (spec.type) {
    case "Resource": {
      const r = spec.resource!;
      const p = await resourceProposal(ctx, r.name, r.target);
      return { ...p, status: { type: "Resource", resource: { name: r.name, current: p.current } } };
    }
    case "ContainerResource": {
      const r = spec.containerResource!;
      const p = await resourceProposal(ctx, r.name, r.target, r.container);
      return { ...p, status: { type: "ContainerResource", containerResource: { name: r.name, container: r.container, current: p.current } } };
    }
    case "Pods": {
      const m = spec.pods!;
      const source = needCustom(ctx, "FailedGetPodsMetric");
      try {
        const metrics = await source.podMetrics(ctx.namespace, m.metric, ctx.selector);
        const r = averageValueReplicas(ctx.specReplicas, { targetMilli: targetMilli(m.target.averageValue), pods: ctx.pods, metrics }, ctx.calc);
        return { replicas: r.replicas, name: `pods metric ${m.metric.name}`, timestamp: r.timestamp, status: { type: "Pods", pods: { metric: m.metric, current: { averageValue: milliQuantity(r.averageMilli) } } } };
      } catch (err) {
        throw new MetricError("FailedGetPodsMetric", `failed to get pods metric value: ${(err as Error).message}`);
      }
    }
    case "Object": {
      const m = spec.object!;
      const source = needCustom(ctx, "FailedGetObjectMetric");
      try {
        const v = await source.objectMetric(ctx.namespace, m.describedObject, m.metric);
        const name = `${m.describedObject.kind} metric ${m.metric.name}`;
        const base = { type: "Object", object: { metric: m.metric, describedObject: m.describedObject } };
        if (m.target.type === "AverageValue" && m.target.averageValue !== undefined) {
          const r = averageOfValueReplicas(ctx.statusReplicas, { usageMilli: v.valueMilli, targetAverageMilli: targetMilli(m.target.averageValue) }, ctx.calc);
          return { replicas: r.replicas, name, timestamp: v.timestamp, status: { ...base, object: { ...base.object, current: { averageValue: milliQuantity(r.averageMilli) } } } };
        }
        const replicas = valueReplicas(ctx.specReplicas, { usageMilli: v.valueMilli, targetMilli: targetMilli(m.target.value), readyPods: readyPodCount(ctx.pods) }, ctx.calc);
        return { replicas, name, timestamp: v.timestamp, status: { ...base, object: { ...base.object, current: { value: milliQuantity(v.valueMilli) } } } };
      } catch (err) {
        throw new MetricError("FailedGetObjectMetric", `failed to get object metric value: ${(err as Error).message}`);
      }
    }
    case "External": {
      const m = spec.external!;
      const source = needCustom(ctx, "FailedGetExternalMetric");
      try {
        const values = await source.externalMetric(ctx.namespace, m.metric);
        const usage = values.reduce((s, v) => s + v.valueMilli, 0);
        const timestamp = Math.min(...values.map((v) => v.timestamp));
        const sel = m.metric.selector ? labelSelectorToString(m.metric.selector) : "";
        const name = `external metric ${m.metric.name}${sel ? `(${sel})` : ""}`;
        if (m.target.type === "AverageValue" && m.target.averageValue !== undefined) {
          const r = averageOfValueReplicas(ctx.statusReplicas, { usageMilli: usage, targetAverageMilli: targetMilli(m.target.averageValue) }, ctx.calc);
          return { replicas: r.replicas, name, timestamp, status: { type: "External", external: { metric: m.metric, current: { averageValue: milliQuantity(r.averageMilli) } } } };
        }
        const replicas = valueReplicas(ctx.specReplicas, { usageMilli: usage, targetMilli: targetMilli(m.target.value), readyPods: readyPodCount(ctx.pods) }, ctx.calc);
        return { replicas, name, timestamp, status: { type: "External", external: { metric: m.metric, current: { value: milliQuantity(usage) } } } };
      } catch (err) {
        throw new MetricError("FailedGetExternalMetric", `failed to get external metric value: ${(err as Error).message}`);
      }
    }
    default:
      throw new MetricError("InvalidMetricSourceType", `unknown metric source type ${JSON.stringify(spec.type)}`);
  }
}

export interface Combined {
  /** -1 when no decision can be made (every metric invalid, or some invalid and the rest would scale down). */
  replicas: number;
  name: string;
  statuses: MetricStatus[];
  invalid: number;
  /** The first invalid metric's error (the condition shows it), and the summary the event shows. */
  firstError?: MetricError;
  summary?: string;
}

export async function combineMetrics(specs: MetricSpec[], ctx: MetricContext): Promise<Combined> {
  const statuses: MetricStatus[] = specs.map(() => ({ type: "" }));
  let replicas = 0;
  let name = "";
  let invalid = 0;
  let firstError: MetricError | undefined;
  for (const [i, spec] of specs.entries()) {
    try {
      const p = await metricProposal(spec, ctx);
      statuses[i] = p.status;
      if (replicas === 0 || p.replicas > replicas) [replicas, name] = [p.replicas, p.name];
    } catch (err) {
      invalid++;
      firstError ??= err instanceof MetricError ? err : new MetricError("FailedGetMetric", (err as Error).message);
    }
  }
  const summary = firstError ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}` : undefined;
  // Never scale down on partial information.
  if (invalid >= specs.length || (invalid > 0 && replicas < ctx.specReplicas)) return { replicas: -1, name: "", statuses, invalid, firstError, summary };
  return { replicas, name, statuses, invalid, firstError, summary };
}

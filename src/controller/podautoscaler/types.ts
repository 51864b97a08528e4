// Where the HPA controller reads metrics and scales targets. Resource metrics come from metrics.k8s.io through the
// API (ApiResourceMetrics); Pods, Object and External metrics from a CustomMetricsSource (one adapter:
// AnnotationMetricsSource, see annotation_metrics.ts).
import type { CrossVersionObjectReference, MetricIdentifier } from "kubernetes-types/autoscaling/v2.js";
import type { PodMetricsInfo } from "./replica_calculator.js";

export interface ResourceMetricsClient {
  /** Per pod (by name) usage of cpu or memory in milli-units: the named container's, else the sum over the pod's
   *  containers. A pod lacking the resource for some container is left out. Rejects when the API cannot answer. */
  podResourceMetrics(namespace: string, resource: string, selector: string, container?: string): Promise<PodMetricsInfo>;
}

export interface ObjectMetricValue {
  valueMilli: number;
  timestamp: number;
}

/**
 * Custom and external metrics. Contract: each method resolves the current values or rejects with an Error naming
 * what is missing; the controller turns a rejection into ScalingActive=False for that HPA.
 */
export interface CustomMetricsSource {
  /** A metric of each pod matching the selector (Pods metrics). */
  podMetrics(namespace: string, metric: MetricIdentifier, podSelector: string): Promise<PodMetricsInfo>;
  /** A metric describing one object (Object metrics). */
  objectMetric(namespace: string, described: CrossVersionObjectReference, metric: MetricIdentifier): Promise<ObjectMetricValue>;
  /** Values of a metric from outside the cluster, summed by the controller (External metrics). */
  externalMetric(namespace: string, metric: MetricIdentifier): Promise<ObjectMetricValue[]>;
}

/** autoscaling/v1 Scale as the scale subresource serves it. */
export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

export interface ScaleClient {
  /** GET .../<resource>/<name>/scale for the kind the reference names. */
  get(namespace: string, ref: CrossVersionObjectReference): Promise<Scale>;
  /** PUT .../scale with spec.replicas changed. */
  update(namespace: string, ref: CrossVersionObjectReference, scale: Scale): Promise<Scale>;
}

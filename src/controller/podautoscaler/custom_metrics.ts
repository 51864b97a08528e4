// Pods and Object metrics for the HPA from custom.metrics.k8s.io/v1beta2, read through the API server as
// Kubernetes' HPA reads them (the API server hands the group to the metrics server's custom metrics adapter):
//   Pods:   GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/NS/pods/*/METRIC?labelSelector=<target selector>
//   Object: GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/NS/<resource>.<group>/NAME/METRIC
// with metricLabelSelector from metric.selector. External metrics have no API here: they go to the fallback source
// (the annotation adapter, annotation_metrics.ts), as does nothing else.
import type { CrossVersionObjectReference, MetricIdentifier } from "kubernetes-types/autoscaling/v2.js";
import type { Client } from "../../client/rest_client.js";
import type { ResourceRef } from "../../client/types.js";
import { labelSelectorToString } from "../../machinery/labels.js";
import { parseQuantity } from "../../machinery/quantity.js";
import type { PodMetricsInfo } from "./replica_calculator.js";
import type { CustomMetricsSource, ObjectMetricValue } from "./types.js";

export const CUSTOM_METRICS_PATH = "/apis/custom.metrics.k8s.io/v1beta2";

interface MetricValueList {
  items?: Array<{
    describedObject?: { kind?: string; name?: string; namespace?: string };
    timestamp?: string;
    windowSeconds?: number;
    value?: string;
  }>;
}

const seg = (s: string): string => encodeURIComponent(s);

export class ApiCustomMetrics implements CustomMetricsSource {
  constructor(
    private readonly client: Client,
    private readonly opts: { resourceOf: (ref: CrossVersionObjectReference) => Promise<ResourceRef>; external?: Pick<CustomMetricsSource, "externalMetric"> },
  ) {}

  private query(metric: MetricIdentifier, extra: Record<string, string> = {}): Record<string, string> {
    const sel = metric.selector ? labelSelectorToString(metric.selector) : "";
    return { ...extra, ...(sel ? { metricLabelSelector: sel } : {}) };
  }

  async podMetrics(namespace: string, metric: MetricIdentifier, podSelector: string): Promise<PodMetricsInfo> {
    const list = await this.client.request<MetricValueList>({
      method: "GET",
      path: `${CUSTOM_METRICS_PATH}/namespaces/${seg(namespace)}/pods/*/${seg(metric.name)}`,
      query: this.query(metric, { labelSelector: podSelector }),
    });
    const out: PodMetricsInfo = new Map();
    for (const v of list.items ?? []) {
      if (v.describedObject?.kind !== "Pod" || v.value === undefined) continue;
      out.set(v.describedObject.name ?? "", { valueMilli: parseQuantity(v.value).milliValue(), timestamp: Date.parse(v.timestamp ?? "") || 0, windowMs: (v.windowSeconds ?? 0) * 1000 });
    }
    if (out.size === 0) throw new Error(`unable to fetch metrics from custom metrics API: no metrics returned for ${metric.name}`);
    return out;
  }

  async objectMetric(namespace: string, described: CrossVersionObjectReference, metric: MetricIdentifier): Promise<ObjectMetricValue> {
    const r = await this.opts.resourceOf(described);
    const resource = r.group ? `${r.resource}.${r.group}` : r.resource;
    const path = r.namespaced
      ? `${CUSTOM_METRICS_PATH}/namespaces/${seg(namespace)}/${seg(resource)}/${seg(described.name)}/${seg(metric.name)}`
      : `${CUSTOM_METRICS_PATH}/${seg(resource)}/${seg(described.name)}/${seg(metric.name)}`;
    const list = await this.client.request<MetricValueList>({ method: "GET", path, query: this.query(metric) });
    const v = list.items?.[0];
    if (!v?.value) throw new Error(`unable to fetch metrics from custom metrics API: no metric ${metric.name} for ${described.kind}/${described.name}`);
    return { valueMilli: parseQuantity(v.value).milliValue(), timestamp: Date.parse(v.timestamp ?? "") || 0 };
  }

  async externalMetric(namespace: string, metric: MetricIdentifier): Promise<ObjectMetricValue[]> {
    if (!this.opts.external) throw new Error("no external metrics source is configured");
    return this.opts.external.externalMetric(namespace, metric);
  }
}

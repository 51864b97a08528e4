// The one CustomMetricsSource adapter: metrics published as annotations, for simulated workloads and tests.
//   Pods metrics:    each pod's annotation  custom-metrics.k8ts.io/<metric name>: "<quantity>"
//   Object metrics:  the described object's annotation of the same form (read through the API)
//   External:        annotations of ConfigMaps labelled external-metrics.k8ts.io/source=true in the HPA's
//                    namespace, key external-metrics.k8ts.io/<metric name> (one value per ConfigMap, summed)
// A pod without the annotation has no metric (it counts as missing); a metricSelector narrows the ConfigMaps of
// External metrics and is otherwise ignored. A real adapter (custom.metrics.k8s.io) would fit the same interface.
import type { ConfigMap, Pod } from "kubernetes-types/core/v1.js";
import type { CrossVersionObjectReference, MetricIdentifier } from "kubernetes-types/autoscaling/v2.js";
import type { KubeObject } from "../../api/object.js";
import type { Clock } from "../../client/clock.js";
import type { Lister } from "../../client/lister.js";
import type { Client } from "../../client/rest_client.js";
import { resourcePath } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { labelSelectorToString, parseSelector } from "../../machinery/labels.js";
import { parseQuantity } from "../../machinery/quantity.js";
import type { PodMetricsInfo } from "./replica_calculator.js";
import type { CustomMetricsSource, ObjectMetricValue } from "./types.js";

export const POD_METRIC_PREFIX = "custom-metrics.k8ts.io/";
export const EXTERNAL_METRIC_PREFIX = "external-metrics.k8ts.io/";
export const EXTERNAL_SOURCE_LABEL = "external-metrics.k8ts.io/source";

/** Resolves an object reference to an API path (discovery lives with the scale client). */
export type ObjectPathResolver = (namespace: string, ref: CrossVersionObjectReference) => Promise<string>;

function milli(v: string | undefined, what: string): number {
  if (v === undefined) throw new Error(`${what}: no such annotation`);
  try {
    return parseQuantity(v).milliValue();
  } catch {
    throw new Error(`${what}: ${JSON.stringify(v)} is not a quantity`);
  }
}

export class AnnotationMetricsSource implements CustomMetricsSource {
  constructor(
    private readonly client: Client,
    private readonly opts: { pods: Lister<Pod & KubeObject>; objectPath: ObjectPathResolver; clock: Clock },
  ) {}

  async podMetrics(namespace: string, metric: MetricIdentifier, podSelector: string): Promise<PodMetricsInfo> {
    const key = POD_METRIC_PREFIX + metric.name;
    const out: PodMetricsInfo = new Map();
    const now = this.opts.clock.now();
    for (const pod of this.opts.pods.namespace(namespace).list(parseSelector(podSelector))) {
      const v = pod.metadata?.annotations?.[key];
      if (v === undefined) continue;
      try {
        out.set(pod.metadata?.name ?? "", { valueMilli: milli(v, key), timestamp: now, windowMs: 0 });
      } catch {
        // An unreadable value is a missing one.
      }
    }
    if (out.size === 0) throw new Error(`unable to get metric ${metric.name}: no pods matching ${podSelector || "everything"} carry annotation ${key}`);
    return out;
  }

  async objectMetric(namespace: string, described: CrossVersionObjectReference, metric: MetricIdentifier): Promise<ObjectMetricValue> {
    const path = await this.opts.objectPath(namespace, described);
    const obj = await this.client.request<KubeObject>({ method: "GET", path });
    const key = POD_METRIC_PREFIX + metric.name;
    return { valueMilli: milli(obj.metadata?.annotations?.[key], `${described.kind}/${described.name} ${key}`), timestamp: this.opts.clock.now() };
  }

  async externalMetric(namespace: string, metric: MetricIdentifier): Promise<ObjectMetricValue[]> {
    const extra = metric.selector ? labelSelectorToString(metric.selector) : "";
    const labelSelector = [`${EXTERNAL_SOURCE_LABEL}=true`, extra].filter(Boolean).join(",");
    const list = await this.client.request<{ items?: Array<ConfigMap & KubeObject> }>({ method: "GET", path: resourcePath(resources.configmaps, namespace), query: { labelSelector } });
    const key = EXTERNAL_METRIC_PREFIX + metric.name;
    const now = this.opts.clock.now();
    const values = (list.items ?? []).flatMap((cm) => {
      const v = cm.metadata?.annotations?.[key];
      return v === undefined ? [] : [{ valueMilli: milli(v, key), timestamp: now }];
    });
    if (values.length === 0) throw new Error(`unable to get external metric ${metric.name}: no ConfigMap labelled ${EXTERNAL_SOURCE_LABEL}=true carries annotation ${key}`);
    return values;
  }
}

// custom.metrics.k8s.io (v1beta2, v1beta1) over the metrics server's custom metrics store: the role
// prometheus-adapter plays in Kubernetes, for the Prometheus metrics pods expose (custom_metrics_store.ts). Served
// through the API server's extraGroups seam (the shape is restated here: this layer cannot import the API server).
//
// Paths (v1beta2; v1beta1 the same with its own MetricValue shape):
//   /namespaces/NS/pods/*/METRIC?labelSelector=S       every pod of NS matching S that has the metric
//   /namespaces/NS/pods/NAME/METRIC                    one pod
//   /namespaces/NS/<resource>/{NAME|*}/METRIC          services, deployments, replicasets, statefulsets, daemonsets,
//                                                      replicationcontrollers, jobs: the SUM over the pods the
//                                                      object selects (its spec.selector) that have the metric
//   /namespaces/NS/metrics/METRIC                      the namespace: the sum over all its pods
//   /nodes/{NAME|*}/METRIC                             a node: the sum over the pods it runs
// `metricLabelSelector` keeps only the series whose labels match before summing. A metric no selected pod has is
// 404 NotFound; before the first scrape round, 503.
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../api/object.js";
import type { Client } from "../client/rest_client.js";
import { errors } from "../machinery/errors.js";
import { labelSelectorToString, parseSelector, selectorFromSet, type Selector } from "../machinery/labels.js";
import { formatQuantity, Quantity } from "../machinery/quantity.js";
import { podMetricValue, type PodCustomPoint } from "./custom_metrics_store.js";
import type { MetricsServer } from "./metrics_server.js";

export const CUSTOM_METRICS_GROUP = "custom.metrics.k8s.io";

export interface CustomMetricsRequest {
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  labelSelector?: string;
  query: URLSearchParams;
}

/** The API server's ExtraGroup with its serve hook, restated. */
export interface CustomMetricsApiGroup {
  group: string;
  versions: string[];
  readonly resources: Array<{ resource: string; kind: string; singular: string; namespaced: boolean }>;
  get(): Promise<unknown>;
  list(): Promise<unknown>;
  serve(req: CustomMetricsRequest): Promise<unknown>;
}

interface ObjectKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** The pods the object selects; undefined when it selects none (a Service without a selector). */
  selector(obj: KubeObject & { spec?: { selector?: unknown } }): Selector | undefined;
}

const mapSelector = (o: { spec?: { selector?: unknown } }): Selector | undefined => {
  const s = o.spec?.selector as Record<string, string> | undefined;
  return s && Object.keys(s).length > 0 ? selectorFromSet(s) : undefined;
};
const labelSelector = (o: { spec?: { selector?: unknown } }): Selector | undefined => {
  const s = o.spec?.selector as LabelSelector | undefined;
  return s ? parseSelector(labelSelectorToString(s)) : undefined;
};

/** Objects whose metric is the sum over their pods, by plural and plural.group. */
const OBJECT_KINDS: ObjectKind[] = [
  { group: "", version: "v1", plural: "services", kind: "Service", selector: mapSelector },
  { group: "", version: "v1", plural: "replicationcontrollers", kind: "ReplicationController", selector: mapSelector },
  { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", selector: labelSelector },
  { group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", selector: labelSelector },
  { group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", selector: labelSelector },
  { group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet", selector: labelSelector },
  { group: "batch", version: "v1", plural: "jobs", kind: "Job", selector: labelSelector },
];

function objectKind(resource: string): ObjectKind | undefined {
  return OBJECT_KINDS.find((k) => resource === k.plural || resource === `${k.plural}.${k.group}`);
}

const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);

function objectPath(k: ObjectKind, namespace: string, name?: string): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}`;
}

/** A value in the quantity form metrics adapters write: milli-units when fractional ("500m"). */
export function metricQuantity(value: number): string {
  const milli = Math.round(value * 1000);
  return formatQuantity(milli % 1000 === 0 ? Quantity.fromValue(milli / 1000) : Quantity.fromMilli(milli));
}

interface Described {
  kind: string;
  namespace?: string;
  name: string;
  apiVersion: string;
}

interface Aggregate {
  value: number;
  timestamp: number;
  windowMs: number;
}

function aggregate(points: PodCustomPoint[], metric: string, selector?: Selector): Aggregate | undefined {
  let value = 0;
  let timestamp = 0;
  let windowMs = 0;
  let any = false;
  for (const p of points) {
    const v = podMetricValue(p, metric, selector);
    if (v === undefined) continue;
    value += v;
    timestamp = Math.max(timestamp, p.timestamp);
    windowMs = Math.max(windowMs, p.windowMs);
    any = true;
  }
  return any ? { value, timestamp, windowMs } : undefined;
}

/** Turns "a=b,c in (d)" into the LabelSelector the MetricValue reports. */
function asLabelSelector(sel: Selector): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector["matchExpressions"]> = [];
  for (const r of sel.requirements()) {
    if (r.operator === "=" || r.operator === "==") matchLabels[r.key] = r.values[0] ?? "";
    else {
      const operator = r.operator === "in" ? "In" : r.operator === "notin" || r.operator === "!=" ? "NotIn" : r.operator === "exists" ? "Exists" : "DoesNotExist";
      matchExpressions.push({ key: r.key, operator, ...(r.operator === "exists" || r.operator === "!" ? {} : { values: r.values }) });
    }
  }
  return { ...(Object.keys(matchLabels).length ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) };
}

export function customMetricsApiGroup(server: () => MetricsServer | undefined): CustomMetricsApiGroup {
  const ready = (): MetricsServer => {
    const s = server();
    if (!s?.ready) throw errors.serviceUnavailable("the server is currently unable to handle the request (custom metrics not collected yet)");
    return s;
  };
  const notFound = (metric: string, resource: string): Error => errors.notFound({ group: CUSTOM_METRICS_GROUP, resource }, metric);

  const value = (version: string, described: Described, metric: string, a: Aggregate, selector: Selector | undefined): Record<string, unknown> => {
    const common = {
      describedObject: described,
      timestamp: new Date(a.timestamp).toISOString().replace(/\.\d+Z$/, "Z"),
      windowSeconds: Math.max(1, Math.round(a.windowMs / 1000)),
      value: metricQuantity(a.value),
    };
    const sel = selector && !selector.empty() ? asLabelSelector(selector) : undefined;
    if (version === "v1beta1") return { describedObject: described, metricName: metric, timestamp: common.timestamp, windowSeconds: common.windowSeconds, value: common.value, ...(sel ? { selector: sel } : {}) };
    return { describedObject: described, metric: { name: metric, ...(sel ? { selector: sel } : {}) }, timestamp: common.timestamp, windowSeconds: common.windowSeconds, value: common.value };
  };

  const list = (version: string, items: unknown[]): unknown => ({ kind: "MetricValueList", apiVersion: `${CUSTOM_METRICS_GROUP}/${version}`, metadata: {}, items });

  const podPoints = (s: MetricsServer, namespace: string | undefined, selector: string): PodCustomPoint[] =>
    s.listPods(namespace, selector).flatMap((p) => s.custom.pod(p.metadata?.namespace ?? "", p.metadata?.name ?? "") ?? []);

  async function serve(req: CustomMetricsRequest): Promise<unknown> {
    const { version, resource, namespace, name, query } = req;
    let metricSelector: Selector | undefined;
    let labels: string;
    try {
      metricSelector = query.get("metricLabelSelector") ? parseSelector(query.get("metricLabelSelector")!) : undefined;
      labels = req.labelSelector ?? "";
      parseSelector(labels);
    } catch (err) {
      throw errors.badRequest((err as Error).message);
    }
    // namespaces/NS/metrics/METRIC: the namespace itself.
    if (resource === "metrics" && namespace !== undefined && name !== undefined && req.subresource === undefined) {
      const s = ready();
      const a = aggregate(podPoints(s, namespace, ""), name, metricSelector);
      if (!a) throw notFound(name, "namespaces");
      return list(version, [value(version, { kind: "Namespace", name: namespace, apiVersion: "v1" }, name, a, metricSelector)]);
    }
    const metric = req.subresource;
    if (name === undefined || metric === undefined) throw errors.pathNotFound(`the server could not find the requested resource: custom metrics are read at <resource>/<name or *>/<metric>`);
    if (resource === "pods") {
      if (namespace === undefined) throw errors.pathNotFound("pods metrics are namespaced: /namespaces/NS/pods/NAME/METRIC");
      const s = ready();
      const points = name === "*" ? podPoints(s, namespace, labels) : (s.hasPod(namespace, name) ? s.custom.pod(namespace, name) : undefined);
      const items = (Array.isArray(points) ? points : points ? [points] : []).flatMap((p) => {
        const v = podMetricValue(p, metric, metricSelector);
        return v === undefined ? [] : [value(version, { kind: "Pod", namespace: p.namespace, name: p.name, apiVersion: "v1" }, metric, { value: v, timestamp: p.timestamp, windowMs: p.windowMs }, metricSelector)];
      });
      if (items.length === 0) throw notFound(metric, "pods");
      return list(version, items);
    }
    if (resource === "nodes") {
      if (namespace !== undefined) throw errors.pathNotFound();
      const s = ready();
      const names = name === "*" ? s.nodeNames().sort() : s.hasNode(name) ? [name] : [];
      const items = names.flatMap((n) => {
        const a = aggregate(s.custom.podsOn(n), metric, metricSelector);
        return a ? [value(version, { kind: "Node", name: n, apiVersion: "v1" }, metric, a, metricSelector)] : [];
      });
      if (items.length === 0) throw notFound(metric, "nodes");
      return list(version, items);
    }
    const kind = objectKind(resource);
    if (!kind) throw errors.notFound({ group: CUSTOM_METRICS_GROUP, resource }, metric);
    if (namespace === undefined) throw errors.pathNotFound(`${kind.plural} metrics are namespaced`);
    const s = ready();
    const objects = await readObjects(s.client, kind, namespace, name, labels);
    const items = objects.flatMap((obj) => {
      const sel = kind.selector(obj);
      if (!sel) return [];
      const a = aggregate(podPoints(s, namespace, sel.toString()), metric, metricSelector);
      return a ? [value(version, { kind: kind.kind, namespace, name: obj.metadata?.name ?? "", apiVersion: apiVersionOf(kind.group, kind.version) }, metric, a, metricSelector)] : [];
    });
    if (items.length === 0) throw notFound(metric, kind.group ? `${kind.plural}.${kind.group}` : kind.plural);
    return list(version, items);
  }

  return {
    group: CUSTOM_METRICS_GROUP,
    versions: ["v1beta2", "v1beta1"],
    // Discovery lists "<resource>/<metric>" for every metric some pod has, as prometheus-adapter does.
    get resources() {
      const names = server()?.custom.metricNames() ?? [];
      const out: Array<{ resource: string; kind: string; singular: string; namespaced: boolean }> = [];
      for (const m of names) {
        out.push({ resource: `pods/${m}`, kind: "MetricValueList", singular: "", namespaced: true });
        out.push({ resource: `namespaces/${m}`, kind: "MetricValueList", singular: "", namespaced: false });
        out.push({ resource: `nodes/${m}`, kind: "MetricValueList", singular: "", namespaced: false });
        for (const k of OBJECT_KINDS) out.push({ resource: `${k.group ? `${k.plural}.${k.group}` : k.plural}/${m}`, kind: "MetricValueList", singular: "", namespaced: true });
      }
      return out;
    },
    get: () => Promise.reject(errors.pathNotFound()),
    list: () => Promise.reject(errors.pathNotFound()),
    serve,
  };
}

async function readObjects(client: Client, kind: ObjectKind, namespace: string, name: string, labelSelector: string): Promise<Array<KubeObject & { spec?: { selector?: unknown } }>> {
  type Obj = KubeObject & { spec?: { selector?: unknown } };
  if (name !== "*") return [await client.request<Obj>({ method: "GET", path: objectPath(kind, namespace, name) })];
  const l = await client.request<{ items?: Obj[] }>({ method: "GET", path: objectPath(kind, namespace), query: labelSelector ? { labelSelector } : {} });
  return (l.items ?? []).sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

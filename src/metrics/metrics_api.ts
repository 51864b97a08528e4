// metrics.k8s.io/v1beta1 as a read-only API group over a MetricsServer: the shape the API server's extraGroups
// option takes (structurally; this layer does not import the API server). Before the first scrape round, or
// without a metrics server at all, requests answer 503 as an unavailable APIService does.
import { errors } from "../machinery/errors.js";
import type { MetricsServer } from "./metrics_server.js";

export interface MetricsGroupRequest {
  resource: string;
  namespace?: string;
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

const GROUP = "metrics.k8s.io";

/** The shape of the API server's ExtraGroup, restated here because this layer cannot import the API server. */
export interface MetricsApiGroup {
  group: string;
  versions: string[];
  resources: Array<{ resource: string; kind: string; singular: string; namespaced: boolean }>;
  get(req: MetricsGroupRequest): Promise<unknown>;
  list(req: MetricsGroupRequest): Promise<unknown>;
}

/** The group; `server()` answers the running metrics server, if any (it may start after the API server). */
export function metricsApiGroup(server: () => MetricsServer | undefined): MetricsApiGroup {
  const ready = (): MetricsServer => {
    const s = server();
    if (!s?.ready) throw errors.serviceUnavailable("the server is currently unable to handle the request (metrics not collected yet)");
    return s;
  };
  return {
    group: GROUP,
    versions: ["v1beta1"],
    resources: [
      { resource: "nodes", kind: "NodeMetrics", singular: "", namespaced: false },
      { resource: "pods", kind: "PodMetrics", singular: "", namespaced: true },
    ],
    async get(req: MetricsGroupRequest): Promise<unknown> {
      const s = ready();
      const name = req.name ?? "";
      const found = req.resource === "nodes" ? s.nodeMetricsOf(name) : s.podMetricsOf(req.namespace ?? "", name);
      if (!found) throw errors.notFound({ group: GROUP, resource: req.resource === "nodes" ? "nodemetrics" : "podmetrics" }, name);
      return found;
    },
    async list(req: MetricsGroupRequest): Promise<unknown> {
      const s = ready();
      const q = { namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector };
      const items = req.resource === "nodes" ? s.listNodeMetrics(q) : s.listPodMetrics(q);
      return { kind: req.resource === "nodes" ? "NodeMetricsList" : "PodMetricsList", apiVersion: "metrics.k8s.io/v1beta1", metadata: {}, items };
    },
  };
}

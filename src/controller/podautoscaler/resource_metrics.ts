// Resource metrics for the HPA from metrics.k8s.io/v1beta1 PodMetrics, read through the API server as
// Kubernetes' HPA reads them (the API server hands the group to the metrics server).
import type { Client } from "../../client/rest_client.js";
import { parseQuantity } from "../../machinery/quantity.js";
import { parseGoDuration } from "./durations.js";
import type { PodMetricsInfo } from "./replica_calculator.js";
import type { ResourceMetricsClient } from "./types.js";

interface PodMetricsList {
  items?: Array<{
    metadata?: { name?: string };
    timestamp?: string;
    window?: string;
    containers?: Array<{ name: string; usage?: Record<string, string> }>;
  }>;
}

export class ApiResourceMetrics implements ResourceMetricsClient {
  constructor(private readonly client: Client) {}

  async podResourceMetrics(namespace: string, resource: string, selector: string, container?: string): Promise<PodMetricsInfo> {
    const list = await this.client.request<PodMetricsList>({
      method: "GET",
      path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`,
      query: { labelSelector: selector },
    });
    const out: PodMetricsInfo = new Map();
    for (const m of list.items ?? []) {
      const containers = (m.containers ?? []).filter((c) => !container || c.name === container);
      if (containers.length === 0) continue;
      let sum = 0;
      let complete = true;
      for (const c of containers) {
        const q = c.usage?.[resource];
        if (q === undefined) complete = false;
        else sum += parseQuantity(q).milliValue();
      }
      if (!complete) continue;
      out.set(m.metadata?.name ?? "", { valueMilli: sum, timestamp: Date.parse(m.timestamp ?? "") || 0, windowMs: parseGoDuration(m.window ?? "0s") });
    }
    if (out.size === 0) throw new Error(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    return out;
  }
}

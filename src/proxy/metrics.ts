// kube-proxy's metrics under Kubernetes' names: kubeproxy_sync_proxy_rules_duration_seconds (every sync attempt),
// kubeproxy_sync_proxy_rules_last_timestamp_seconds (the last successful one), and the numbers of Service and
// EndpointSlice changes seen.
import type { Counter } from "../util/metrics/counter.js";
import type { Gauge } from "../util/metrics/gauge.js";
import { exponentialBuckets, type Histogram } from "../util/metrics/histogram.js";
import { MetricsRegistry } from "../util/metrics/registry.js";

export class ProxyMetrics {
  readonly registry = new MetricsRegistry();
  private readonly duration: Histogram;
  private readonly last: Gauge;
  readonly serviceChanges: Counter;
  readonly endpointChanges: Counter;

  constructor() {
    const r = this.registry;
    // Kubernetes' buckets: 1 ms doubling 15 times (~16 s).
    this.duration = r.histogram({ name: "kubeproxy_sync_proxy_rules_duration_seconds", help: "SyncProxyRules latency in seconds", buckets: exponentialBuckets(0.001, 2, 15) });
    this.last = r.gauge({ name: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", help: "The last time proxy rules were successfully synced" });
    this.serviceChanges = r.counter({ name: "kubeproxy_sync_proxy_rules_service_changes_total", help: "Cumulative proxy rules Service changes" });
    this.endpointChanges = r.counter({ name: "kubeproxy_sync_proxy_rules_endpoint_changes_total", help: "Cumulative proxy rules Endpoint changes" });
    this.last.set({}, 0);
  }

  /** A sync attempt took ms; on success, at (epoch ms) becomes the last sync time. */
  synced(ms: number, at: number | undefined): void {
    this.duration.observe({}, ms / 1000);
    if (at !== undefined) this.last.set({}, at / 1000);
  }
}

// The `--metrics-bind-address` of a component command: parse it, serve the component's registries plus the
// process metrics there. "0" turns the endpoint off (undefined returned).
import type { Logger } from "../util/log.js";
import { parseBindAddress, serveMetrics, type MetricsEndpoint } from "../util/metrics/metrics_server.js";
import { processMetrics } from "../util/metrics/process_metrics.js";
import type { MetricsSource } from "../util/metrics/render.js";

export async function startMetricsEndpoint(address: string, sources: () => MetricsSource[], log: Logger): Promise<MetricsEndpoint | undefined> {
  if (address === "0") return undefined;
  const { host, port } = parseBindAddress(address);
  const ep = await serveMetrics({ host, port, sources: () => [...sources(), processMetrics()] });
  log.info("serving metrics", { url: `${ep.url}/metrics` });
  return ep;
}

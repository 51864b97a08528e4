// The agent's scrape of the Prometheus metrics its pods expose, for the custom metrics pipeline: the API server
// host may not route to pod IPs, but the node does, so each agent reads its own pods and hands the samples to the
// metrics server inside /stats/summary (pods[].customMetrics), collected with the resource metrics.
//
// A pod is scraped when annotated as Prometheus' Kubernetes discovery convention has it:
//   prometheus.io/scrape: "true"
//   prometheus.io/port:   "8080"      (default: the pod's first declared containerPort)
//   prometheus.io/path:   "/metrics"  (the default)
// On real nodes the fetcher is an HTTP GET of http://<podIP>:<port><path>. Hollow nodes have no processes: there
// the pod's annotation sim.k8ts.io/metrics holds the exposition text the endpoint would answer (read from the
// pod as the agent sees it now, so annotating a running pod changes its metrics).
import http from "node:http";
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseExposition } from "../util/metrics/parse.js";

export const SCRAPE_ANNOTATION = "prometheus.io/scrape";
export const PORT_ANNOTATION = "prometheus.io/port";
export const PATH_ANNOTATION = "prometheus.io/path";
export const SIM_METRICS_ANNOTATION = "sim.k8ts.io/metrics";

/** One sample as the agent reports it: counters (cumulative) are flagged so the metrics server takes rates. */
export interface CustomSample {
  name: string;
  labels?: Record<string, string>;
  value: number;
  counter?: true;
}

/** pods[].customMetrics of /stats/summary: the samples read at `time`, or why none could be read. */
export interface PodCustomMetrics {
  time: string;
  samples?: CustomSample[];
  error?: string;
}

export interface ScrapeTarget {
  host?: string;
  port: number;
  path: string;
}

/** Reads one pod's exposition text; rejects with the reason when it cannot. */
export type ExpositionFetcher = (pod: Pod, target: ScrapeTarget, signal?: AbortSignal) => Promise<string>;

export function wantsScrape(pod: Pod): boolean {
  return pod.metadata?.annotations?.[SCRAPE_ANNOTATION] === "true";
}

/** Where a pod's metrics are, from its annotations; throws when no port can be found. */
export function scrapeTarget(pod: Pod): ScrapeTarget {
  const a = pod.metadata?.annotations ?? {};
  const declared = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? [])[0]?.containerPort;
  const raw = a[PORT_ANNOTATION];
  const port = raw !== undefined ? Number(raw) : declared;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(raw !== undefined ? `${PORT_ANNOTATION} ${JSON.stringify(raw)} is not a port` : `no ${PORT_ANNOTATION} annotation and no declared containerPort`);
  }
  let path = a[PATH_ANNOTATION] || "/metrics";
  if (!path.startsWith("/")) path = `/${path}`;
  return { host: pod.status?.podIP, port, path };
}

/** GET http://<podIP>:<port><path> with a timeout (Prometheus' own default is 10 s; the agent answers within its
 *  caller's 10 s, so less). */
export function httpFetcher(opts: { timeoutMs?: number; maxBytes?: number } = {}): ExpositionFetcher {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const agent = new http.Agent({ keepAlive: false });
  return (_pod, target, signal) =>
    new Promise((resolve, reject) => {
      if (!target.host) return reject(new Error("the pod has no IP yet"));
      const host = target.host.includes(":") ? `[${target.host}]` : target.host;
      const url = `http://${host}:${target.port}${target.path}`;
      const req = http.get(url, { agent, signal, headers: { Accept: "text/plain;version=0.0.4" } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) req.destroy(new Error(`GET ${url}: more than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
          else resolve(text);
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
    });
}

/** Hollow nodes: the exposition is the pod's sim.k8ts.io/metrics annotation. */
export const annotationFetcher: ExpositionFetcher = async (pod) => {
  const text = pod.metadata?.annotations?.[SIM_METRICS_ANNOTATION];
  if (text === undefined) throw new Error(`no ${SIM_METRICS_ANNOTATION} annotation (what a hollow pod's endpoint answers)`);
  return text;
};

/** Parses an exposition into the samples the pipeline keeps: counters, gauges and untyped samples, plus the _sum
 *  and _count of histograms and summaries (counters); buckets, quantiles and non-finite values are dropped. */
export function samplesOf(text: string): CustomSample[] {
  const out: CustomSample[] = [];
  for (const s of parseExposition(text)) {
    if (!Number.isFinite(s.value)) continue;
    let counter = s.type === "counter";
    if (s.type === "histogram" || s.type === "summary") {
      if (!s.name.endsWith("_sum") && !s.name.endsWith("_count")) continue;
      counter = true;
    }
    const sample: CustomSample = { name: s.name, value: s.value };
    if (Object.keys(s.labels).length > 0) sample.labels = s.labels;
    if (counter) sample.counter = true;
    out.push(sample);
  }
  return out;
}

/** Scrapes the given pods concurrently; the result maps "<namespace>/<name>" to what was read. */
export async function scrapePods(pods: Pod[], fetch: ExpositionFetcher, now: () => number, signal?: AbortSignal): Promise<Map<string, PodCustomMetrics>> {
  const out = new Map<string, PodCustomMetrics>();
  await Promise.all(
    pods.filter(wantsScrape).map(async (pod) => {
      const key = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
      try {
        const text = await fetch(pod, scrapeTarget(pod), signal);
        out.set(key, { time: new Date(now()).toISOString(), samples: samplesOf(text) });
      } catch (err) {
        out.set(key, { time: new Date(now()).toISOString(), error: (err as Error).message });
      }
    }),
  );
  return out;
}

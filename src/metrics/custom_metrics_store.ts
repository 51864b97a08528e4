// The latest custom metrics of every pod, from the samples node agents scrape from pods' Prometheus endpoints
// (StatsSummary pods[].customMetrics). Naming follows prometheus-adapter's default rules:
//   - a gauge (or untyped sample) `queue_depth` is served as `queue_depth`, its value as read;
//   - a counter `http_requests_total` is served as `http_requests`, a per-second rate between the last two
//     readings of the same pod (a counter without the _total suffix keeps its name). A series seen once, or one
//     that went back (the process restarted), has no rate yet.
// A metric with several series (labels) is their sum, after an optional selector on the series' labels
// (metricLabelSelector in the API).
import type { Selector } from "../machinery/labels.js";
import type { StatsSummary } from "./types.js";

export interface CustomSeries {
  labels: Record<string, string>;
  value: number;
}

export interface PodCustomPoint {
  namespace: string;
  name: string;
  node: string;
  /** When the samples were read (the agent's clock), and the rate window (the scrape interval for gauges). */
  timestamp: number;
  windowMs: number;
  metrics: Map<string, CustomSeries[]>;
}

interface CounterReading {
  at: number;
  seen: number;
  values: Map<string, number>;
}

/** The served name of a sample: counters lose their _total suffix. */
export function servedName(name: string, counter: boolean): string {
  return counter && name.endsWith("_total") && name.length > 6 ? name.slice(0, -6) : name;
}

const seriesKey = (name: string, labels: Record<string, string> | undefined): string =>
  labels ? `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(",")}}` : name;

/** The metric's value in one pod: the sum of the series the selector keeps; undefined when none. */
export function podMetricValue(point: PodCustomPoint, metric: string, selector?: Selector): number | undefined {
  const series = point.metrics.get(metric);
  if (!series) return undefined;
  let sum = 0;
  let any = false;
  for (const s of series) {
    if (selector && !selector.matches(s.labels)) continue;
    sum += s.value;
    any = true;
  }
  return any ? sum : undefined;
}

export class CustomMetricsStore {
  private readonly pods = new Map<string, PodCustomPoint>();
  private readonly podsOfNode = new Map<string, Set<string>>();
  private readonly counters = new Map<string, CounterReading>();
  private names?: string[];

  /** Replaces what is known about one node's pods with its latest summary. */
  ingest(nodeName: string, summary: StatsSummary, opts: { now: number; defaultWindowMs: number }): void {
    const seen = new Set<string>();
    for (const p of summary.pods ?? []) {
      const cm = p.customMetrics;
      if (!cm?.samples) continue;
      const key = `${p.podRef.namespace}/${p.podRef.name}`;
      const t = cm.time ? Date.parse(cm.time) : NaN;
      const at = Number.isFinite(t) ? t : opts.now;
      const counterKey = `${key}/${p.podRef.uid ?? ""}`;
      const prev = this.counters.get(counterKey);
      // The same scrape again (agents may answer from a cached summary): keep what it gave the first time, rates
      // and baseline included; treating it as new would drop every counter's rate (no time passed).
      if (prev && at <= prev.at && this.pods.has(key)) {
        prev.seen = opts.now;
        seen.add(key);
        continue;
      }
      const values = new Map<string, number>();
      const metrics = new Map<string, CustomSeries[]>();
      const dt = prev && at > prev.at ? (at - prev.at) / 1000 : 0;
      for (const s of cm.samples) {
        let value = s.value;
        if (s.counter) {
          const sk = seriesKey(s.name, s.labels);
          values.set(sk, s.value);
          const before = prev?.values.get(sk);
          if (before === undefined || dt <= 0 || s.value < before) continue;
          value = (s.value - before) / dt;
        }
        const name = servedName(s.name, s.counter === true);
        let list = metrics.get(name);
        if (!list) metrics.set(name, (list = []));
        list.push({ labels: s.labels ?? {}, value });
      }
      this.counters.set(counterKey, { at, seen: opts.now, values });
      seen.add(key);
      this.pods.set(key, { namespace: p.podRef.namespace, name: p.podRef.name, node: nodeName, timestamp: at, windowMs: dt > 0 ? dt * 1000 : opts.defaultWindowMs, metrics });
    }
    for (const key of this.podsOfNode.get(nodeName) ?? []) if (!seen.has(key) && this.pods.get(key)?.node === nodeName) this.pods.delete(key);
    this.podsOfNode.set(nodeName, seen);
    this.names = undefined;
  }

  dropNode(nodeName: string): void {
    for (const key of this.podsOfNode.get(nodeName) ?? []) if (this.pods.get(key)?.node === nodeName) this.pods.delete(key);
    this.podsOfNode.delete(nodeName);
    this.names = undefined;
  }

  /** Drops counter readings not refreshed since `before` (our clock). */
  prune(before: number): void {
    for (const [k, r] of this.counters) if (r.seen < before) this.counters.delete(k);
  }

  pod(namespace: string, name: string): PodCustomPoint | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  /** Pod keys ("ns/name") of the pods a node reported with metrics. */
  podsOn(nodeName: string): PodCustomPoint[] {
    return [...(this.podsOfNode.get(nodeName) ?? [])].flatMap((k) => this.pods.get(k) ?? []);
  }

  /** Every metric name some pod has, sorted (what discovery lists). */
  metricNames(): string[] {
    if (!this.names) {
      const set = new Set<string>();
      for (const p of this.pods.values()) for (const n of p.metrics.keys()) set.add(n);
      this.names = [...set].sort();
    }
    return this.names;
  }

  get size(): number {
    return this.pods.size;
  }
}

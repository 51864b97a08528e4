import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSelector } from "../machinery/labels.js";
import { CustomMetricsStore, podMetricValue, servedName } from "./custom_metrics_store.js";
import type { StatsSummary } from "./types.js";

type Sample = { name: string; labels?: Record<string, string>; value: number; counter?: boolean };

function summary(at: number, pods: Array<{ name: string; uid?: string; samples?: Sample[]; error?: string }>): StatsSummary {
  return {
    node: { nodeName: "n1" },
    pods: pods.map((p) => ({ podRef: { name: p.name, namespace: "default", uid: p.uid ?? p.name }, containers: [], customMetrics: { time: new Date(at).toISOString(), samples: p.samples, error: p.error } })),
  };
}

const T0 = Date.parse("2026-01-01T00:00:00Z");
const o = (now: number) => ({ now, defaultWindowMs: 15_000 });

describe("custom metrics store", () => {
  it("serves gauges as read and counters as per-second rates under the name without _total", () => {
    const s = new CustomMetricsStore();
    const reqs = (v200: number, v500: number): Sample[] => [
      { name: "http_requests_total", labels: { code: "200" }, value: v200, counter: true },
      { name: "http_requests_total", labels: { code: "500" }, value: v500, counter: true },
      { name: "queue_depth", value: 7 },
    ];
    s.ingest("n1", summary(T0, [{ name: "a", samples: reqs(100, 10) }]), o(T0));
    const first = s.pod("default", "a")!;
    assert.equal(podMetricValue(first, "queue_depth"), 7);
    assert.equal(podMetricValue(first, "http_requests"), undefined, "a counter seen once has no rate");
    assert.equal(first.windowMs, 15_000);
    s.ingest("n1", summary(T0 + 10_000, [{ name: "a", samples: reqs(400, 30) }]), o(T0 + 10_000));
    const p = s.pod("default", "a")!;
    assert.equal(podMetricValue(p, "http_requests"), 32, "(300 + 20) requests over 10 s");
    assert.equal(podMetricValue(p, "http_requests", parseSelector("code=500")), 2);
    assert.equal(podMetricValue(p, "http_requests", parseSelector("code=404")), undefined);
    assert.equal(podMetricValue(p, "http_requests_total"), undefined);
    assert.equal(p.windowMs, 10_000);
    assert.equal(p.timestamp, T0 + 10_000);
    assert.deepEqual(s.metricNames(), ["http_requests", "queue_depth"]);
  });

  it("skips a round after a counter went back (restart) or the pod was replaced (new uid)", () => {
    const s = new CustomMetricsStore();
    const c = (v: number): Sample[] => [{ name: "jobs_total", value: v, counter: true }];
    s.ingest("n1", summary(T0, [{ name: "a", samples: c(50) }]), o(T0));
    s.ingest("n1", summary(T0 + 5000, [{ name: "a", samples: c(60) }]), o(T0 + 5000));
    assert.equal(podMetricValue(s.pod("default", "a")!, "jobs"), 2);
    s.ingest("n1", summary(T0 + 10_000, [{ name: "a", samples: c(5) }]), o(T0 + 10_000));
    assert.equal(podMetricValue(s.pod("default", "a")!, "jobs"), undefined);
    s.ingest("n1", summary(T0 + 15_000, [{ name: "a", samples: c(15) }]), o(T0 + 15_000));
    assert.equal(podMetricValue(s.pod("default", "a")!, "jobs"), 2);
    s.ingest("n1", summary(T0 + 20_000, [{ name: "a", uid: "other", samples: c(25) }]), o(T0 + 20_000));
    assert.equal(podMetricValue(s.pod("default", "a")!, "jobs"), undefined);
  });

  it("forgets pods a node stops reporting, pods that failed to scrape, and nodes that are dropped", () => {
    const s = new CustomMetricsStore();
    const g: Sample[] = [{ name: "g", value: 1 }];
    s.ingest("n1", summary(T0, [{ name: "a", samples: g }, { name: "b", samples: g }]), o(T0));
    s.ingest("n2", { node: { nodeName: "n2" }, pods: [{ podRef: { name: "c", namespace: "default" }, customMetrics: { samples: g } }] }, o(T0));
    assert.equal(s.size, 3);
    assert.deepEqual(s.podsOn("n2").map((p) => p.name), ["c"]);
    s.ingest("n1", summary(T0 + 1000, [{ name: "a", samples: g }, { name: "b", error: "connection refused" }]), o(T0 + 1000));
    assert.equal(s.pod("default", "b"), undefined);
    assert.ok(s.pod("default", "a"));
    s.dropNode("n2");
    assert.equal(s.pod("default", "c"), undefined);
    assert.deepEqual(s.metricNames(), ["g"]);
  });

  it("names counters as prometheus-adapter's default rules do", () => {
    assert.equal(servedName("http_requests_total", true), "http_requests");
    assert.equal(servedName("http_requests_total", false), "http_requests_total");
    assert.equal(servedName("restarts", true), "restarts");
    assert.equal(servedName("_total", true), "_total");
  });
});

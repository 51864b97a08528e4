import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { annotationFetcher, httpFetcher, samplesOf, scrapePods, scrapeTarget, SIM_METRICS_ANNOTATION } from "./pod_metrics.js";
import { resources } from "../client/resources.js";
import { startAgentHarness, type AgentHarness } from "./testing.js";

const pod = (name: string, annotations: Record<string, string>, extra: Partial<Pod> = {}): Pod => ({
  metadata: { name, namespace: "default", annotations },
  spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 9100 }] }] },
  status: { podIP: "127.0.0.1" },
  ...extra,
});

describe("pod metrics scrape", () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("finds the target from the prometheus.io annotations, defaulting to the first containerPort and /metrics", () => {
    assert.deepEqual(scrapeTarget(pod("a", { "prometheus.io/scrape": "true" })), { host: "127.0.0.1", port: 9100, path: "/metrics" });
    assert.deepEqual(scrapeTarget(pod("a", { "prometheus.io/port": "8080", "prometheus.io/path": "stats" })), { host: "127.0.0.1", port: 8080, path: "/stats" });
    assert.throws(() => scrapeTarget(pod("a", { "prometheus.io/port": "http" })), /"http" is not a port/);
    assert.throws(() => scrapeTarget({ metadata: { annotations: {} }, spec: { containers: [{ name: "c" }] } }), /no prometheus.io\/port annotation and no declared containerPort/);
  });

  it("keeps counters, gauges and histogram sums and counts; drops buckets and non-finite values", () => {
    const text = "# TYPE a_total counter\na_total{x=\"1\"} 5\n# TYPE g gauge\ng 2\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_sum 1.5\nh_count 3\nn NaN\n";
    assert.deepEqual(samplesOf(text), [
      { name: "a_total", labels: { x: "1" }, value: 5, counter: true },
      { name: "g", value: 2 },
      { name: "h_sum", value: 1.5, counter: true },
      { name: "h_count", value: 3, counter: true },
    ]);
  });

  it("reads pods' endpoints over HTTP; failures are reported per pod; pods not asking are left alone", async () => {
    const asked: string[] = [];
    const srv = http.createServer((req, res) => {
      asked.push(req.url ?? "");
      if (req.url === "/metrics") res.end("# TYPE http_requests_total counter\nhttp_requests_total 42\nqueue_depth 3\n");
      else if (req.url === "/broken") res.end("not prometheus {");
      else {
        res.statusCode = 500;
        res.end();
      }
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = String((srv.address() as AddressInfo).port);
    try {
      const pods = [
        pod("good", { "prometheus.io/scrape": "true", "prometheus.io/port": port }),
        pod("bad-path", { "prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/nope" }),
        pod("garbled", { "prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/broken" }),
        pod("no-ip", { "prometheus.io/scrape": "true", "prometheus.io/port": port }, { status: {} }),
        pod("quiet", { "prometheus.io/port": port }),
      ];
      const got = await scrapePods(pods, httpFetcher({ timeoutMs: 5000 }), () => Date.parse("2026-01-01T00:00:00Z"));
      assert.deepEqual(got.get("default/good"), { time: "2026-01-01T00:00:00.000Z", samples: [{ name: "http_requests_total", value: 42, counter: true }, { name: "queue_depth", value: 3 }] });
      assert.match(got.get("default/bad-path")!.error!, /\/nope: 500/);
      assert.match(got.get("default/garbled")!.error!, /line 1/);
      assert.match(got.get("default/no-ip")!.error!, /no IP/);
      assert.equal(got.has("default/quiet"), false);
      assert.deepEqual(asked.sort(), ["/broken", "/metrics", "/nope"]);
    } finally {
      srv.close();
    }
  });

  it("on hollow nodes, /stats/summary carries what the pod's sim.k8ts.io/metrics annotation says, as it changes", async () => {
    h = await startAgentHarness({ podMetrics: annotationFetcher });
    h.start();
    await h.createPod({
      metadata: { name: "web", namespace: "default", annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "8080", [SIM_METRICS_ANNOTATION]: "requests_per_second 10\n" } },
      spec: { nodeName: "node-1", containers: [{ name: "a", image: "busybox:1.36" }] },
    });
    await h.createPod({ metadata: { name: "plain", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "a", image: "busybox:1.36" }] } });
    await h.until("running", () => h!.pod("web")?.status?.phase === "Running" && h!.pod("plain")?.status?.phase === "Running");
    let s = await h.kubelet.statsSummary({ customMetrics: true });
    assert.deepEqual(s.pods.find((p) => p.podRef.name === "web")?.customMetrics?.samples, [{ name: "requests_per_second", value: 10 }]);
    assert.equal(s.pods.find((p) => p.podRef.name === "plain")?.customMetrics, undefined);
    assert.equal((await h.kubelet.statsSummary()).pods.find((p) => p.podRef.name === "web")?.customMetrics, undefined, "only asked for");
    const cur = h.pod("web")!;
    await h.client.resource(resources.pods).patch("default", "web", "merge", { metadata: { annotations: { [SIM_METRICS_ANNOTATION]: "requests_per_second 25\n" } } });
    await h.until("the agent sees the new annotation", () => h!.kubelet.pods().some((p) => p.metadata?.name === "web" && p.metadata.resourceVersion !== cur.metadata?.resourceVersion));
    s = await h.kubelet.statsSummary({ customMetrics: true });
    assert.deepEqual(s.pods.find((p) => p.podRef.name === "web")?.customMetrics?.samples, [{ name: "requests_per_second", value: 25 }]);
    await assert.rejects(annotationFetcher(pod("x", {}), { port: 1, path: "/" }), /no sim.k8ts.io\/metrics annotation/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { processMetrics } from "./process_metrics.js";
import { MetricsRegistry } from "./registry.js";
import { renderMetrics } from "./render.js";
import { serveMetrics, parseBindAddress } from "./metrics_server.js";

describe("text exposition", () => {
  it("writes HELP and TYPE before the samples, families sorted by name, series by labels", () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: "b_requests_total", help: "Requests.", labelNames: ["verb", "code"] });
    const g = r.gauge({ name: "a_depth", help: "Depth." });
    c.inc({ verb: "POST", code: "201" });
    c.inc({ verb: "GET", code: "200" }, 2);
    g.set({}, 3);
    assert.equal(
      renderMetrics([r]),
      [
        "# HELP a_depth Depth.",
        "# TYPE a_depth gauge",
        "a_depth 3",
        "# HELP b_requests_total Requests.",
        "# TYPE b_requests_total counter",
        'b_requests_total{verb="GET",code="200"} 2',
        'b_requests_total{verb="POST",code="201"} 1',
        "",
      ].join("\n"),
    );
  });

  it("escapes label values and help text", () => {
    const r = new MetricsRegistry();
    r.counter({ name: "x_total", help: "line one\nback\\slash \"quoted\"", labelNames: ["path"] }).inc({ path: 'a"b\\c\nd' });
    const text = renderMetrics([r]);
    assert.match(text, /^# HELP x_total line one\\nback\\\\slash "quoted"$/m);
    assert.match(text, /^x_total\{path="a\\"b\\\\c\\nd"\} 1$/m);
  });

  it("renders histograms as cumulative buckets with +Inf, sum and count", () => {
    const r = new MetricsRegistry();
    const h = r.histogram({ name: "d_seconds", help: "Durations.", labelNames: ["verb"], buckets: [0.1, 1] });
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe({ verb: "GET" }, v);
    const lines = renderMetrics([r]).trim().split("\n");
    assert.deepEqual(lines.slice(2), [
      'd_seconds_bucket{verb="GET",le="0.1"} 1',
      'd_seconds_bucket{verb="GET",le="1"} 3',
      'd_seconds_bucket{verb="GET",le="+Inf"} 4',
      'd_seconds_sum{verb="GET"} 4.05',
      'd_seconds_count{verb="GET"} 4',
    ]);
  });

  it("spells special values as Prometheus reads them and fills missing labels with empty strings", () => {
    const r = new MetricsRegistry();
    const g = r.gauge({ name: "v", help: "V.", labelNames: ["a", "b"] });
    g.set({ a: "inf" }, Infinity);
    g.set({ a: "nan" }, NaN);
    g.set({ a: "neg" }, -Infinity);
    const text = renderMetrics([r]);
    assert.match(text, /^v\{a="inf",b=""\} \+Inf$/m);
    assert.match(text, /^v\{a="nan",b=""\} NaN$/m);
    assert.match(text, /^v\{a="neg",b=""\} -Inf$/m);
  });

  it("refuses bad names, unknown labels, duplicate families and decreasing counters", () => {
    const r = new MetricsRegistry();
    assert.throws(() => r.counter({ name: "bad-name", help: "" }), /invalid metric name/);
    assert.throws(() => r.counter({ name: "ok", help: "", labelNames: ["__x"] }), /invalid label name/);
    const c = r.counter({ name: "c_total", help: "", labelNames: ["a"] });
    assert.throws(() => c.inc({ b: "1" }), /has no label "b"/);
    assert.throws(() => c.inc({}, -1), /only increases/);
    assert.throws(() => r.gauge({ name: "c_total", help: "" }), /already registered/);
    assert.throws(() => r.histogram({ name: "h", help: "", buckets: [1, 1] }), /must increase/);
  });

  it("merges registries: same family combined, a series reported twice shown once", () => {
    const a = new MetricsRegistry();
    const b = new MetricsRegistry();
    a.counter({ name: "q_total", help: "Q from a.", labelNames: ["name"] }).inc({ name: "x" });
    b.counter({ name: "q_total", help: "Q from b.", labelNames: ["name"] }).inc({ name: "y" }, 5);
    b.counter({ name: "q_total_dup", help: "", labelNames: [] });
    const text = renderMetrics([a, b, a]);
    assert.equal(text.match(/# TYPE q_total counter/g)?.length, 1);
    assert.match(text, /^q_total\{name="x"\} 1\nq_total\{name="y"\} 5$/m);
    const c = new MetricsRegistry();
    c.gauge({ name: "q_total", help: "" });
    assert.throws(() => renderMetrics([a, c]), /is a counter in one registry and a gauge/);
  });

  it("reads callback families at scrape time", () => {
    const r = new MetricsRegistry();
    let depth = 1;
    r.gaugeFunc({ name: "depth", help: "D.", labelNames: ["name"], collect: () => [{ labels: { name: "q" }, value: depth }] });
    assert.match(renderMetrics([r]), /^depth\{name="q"\} 1$/m);
    depth = 7;
    assert.match(renderMetrics([r]), /^depth\{name="q"\} 7$/m);
  });

  it("reports process metrics from the kernel and V8", () => {
    const text = renderMetrics([processMetrics()]);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "nodejs_heap_size_used_bytes", "process_open_fds"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, "m"), name);
      assert.match(text, new RegExp(`^${name} [0-9.e+]+$`, "m"), name);
    }
    const start = Number(/^process_start_time_seconds (.*)$/m.exec(text)![1]);
    assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600 * 24 * 365, `start time ${start}`);
  });
});

describe("metrics endpoint", () => {
  it("serves /metrics with the text content type and 404 elsewhere", async () => {
    const r = new MetricsRegistry();
    r.counter({ name: "hits_total", help: "Hits." }).inc();
    const ep = await serveMetrics({ host: "127.0.0.1", port: 0, sources: () => [r] });
    try {
      const res = await fetch(`${ep.url}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      assert.match(await res.text(), /^hits_total 1$/m);
      assert.equal((await fetch(`${ep.url}/nope`)).status, 404);
    } finally {
      await ep.close();
    }
  });

  it("parses bind addresses", () => {
    assert.deepEqual(parseBindAddress("127.0.0.1:10257"), { host: "127.0.0.1", port: 10257 });
    assert.deepEqual(parseBindAddress("[::1]:0"), { host: "::1", port: 0 });
    assert.throws(() => parseBindAddress("10257"), /want HOST:PORT/);
  });
});

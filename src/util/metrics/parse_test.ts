import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExpositionError, parseExposition } from "./parse.js";
import { renderMetrics } from "./render.js";
import { MetricsRegistry } from "./registry.js";

describe("Prometheus text parser", () => {
  it("reads types, labels with escapes, special values and timestamps", () => {
    const text = [
      "# HELP http_requests_total Requests.",
      "# TYPE http_requests_total counter",
      'http_requests_total{code="200",path="/a \\"b\\"\\\\c\\nd"} 1027 1395066363000',
      'http_requests_total{code="500",} 3',
      "# TYPE queue_depth gauge",
      "queue_depth 4.5e1",
      "untyped_thing -0.25",
      "# TYPE latency histogram",
      'latency_bucket{le="+Inf"} 10',
      "latency_sum 2.5",
      "latency_count 10",
      "nan_value NaN",
      "inf_value +Inf",
      "",
    ].join("\n");
    const s = parseExposition(text);
    assert.deepEqual(s[0], { name: "http_requests_total", labels: { code: "200", path: '/a "b"\\c\nd' }, value: 1027, type: "counter", timestampMs: 1395066363000 });
    assert.deepEqual(s[1], { name: "http_requests_total", labels: { code: "500" }, value: 3, type: "counter" });
    assert.deepEqual(s[2], { name: "queue_depth", labels: {}, value: 45, type: "gauge" });
    assert.equal(s[3]!.type, "untyped");
    assert.equal(s[3]!.value, -0.25);
    assert.deepEqual(s.slice(4, 7).map((x) => [x.name, x.type, x.value]), [["latency_bucket", "histogram", 10], ["latency_sum", "histogram", 2.5], ["latency_count", "histogram", 10]]);
    assert.ok(Number.isNaN(s[7]!.value));
    assert.equal(s[8]!.value, Infinity);
  });

  it("reads back what the project's own renderer writes", () => {
    const r = new MetricsRegistry();
    r.counter({ name: "jobs_total", help: "jobs", labelNames: ["kind"] }).with({ kind: 'a"b' }).inc(3);
    r.gauge({ name: "temp", help: "t" }).with({}).set(21.5);
    const got = parseExposition(renderMetrics([r]));
    assert.deepEqual(got.map((x) => [x.name, x.labels, x.value, x.type]), [["jobs_total", { kind: 'a"b' }, 3, "counter"], ["temp", {}, 21.5, "gauge"]]);
  });

  it("names the line of malformed input", () => {
    for (const [text, re] of [
      ["ok 1\n{x} 2", /line 2: expected a metric name/],
      ["a{b=c} 1", /line 1: label b: expected a quoted value/],
      ['a{b="c} 1', /unterminated value/],
      ["a one", /"one" is not a number/],
      ["a 1 2 3", /expected a value/],
      ["# TYPE a countre\na 1", /unknown metric type/],
      ["a 1 1.5", /timestamp/],
    ] as const) {
      assert.throws(() => parseExposition(text), (err) => err instanceof ExpositionError && re.test(err.message), text);
    }
  });
});

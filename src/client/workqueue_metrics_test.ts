import assert from "node:assert/strict";
import { test } from "node:test";
import { renderMetrics } from "../util/metrics/render.js";
import { parseExposition } from "../util/metrics/testing/scrape.js";
import { FakeClock } from "./clock.js";
import { WorkQueue } from "./workqueue.js";
import { withWorkQueueMetrics, WorkQueueMetrics } from "./workqueue_metrics.js";

const read = (m: WorkQueueMetrics) => parseExposition(renderMetrics([m.registry]));

test("a queue reports depth, adds, retries, queue and work durations under its name", async () => {
  const clock = new FakeClock();
  const m = new WorkQueueMetrics();
  const q = new WorkQueue<string>({ name: "deployment", clock, metrics: m });
  q.add("a");
  q.add("b");
  q.add("a"); // de-duplicated: not an add
  let e = read(m);
  assert.equal(e.value("workqueue_depth", { name: "deployment" }), 2);
  assert.equal(e.value("workqueue_adds_total", { name: "deployment" }), 2);
  clock.advance(2000);
  const a = (await q.get())!;
  clock.advance(500);
  e = read(m);
  assert.equal(e.value("workqueue_depth", { name: "deployment" }), 1);
  assert.equal(e.value("workqueue_longest_running_processor_seconds", { name: "deployment" }), 0.5);
  assert.equal(e.value("workqueue_unfinished_work_seconds", { name: "deployment" }), 0.5);
  q.addRateLimited(a);
  q.done(a);
  e = read(m);
  assert.equal(e.value("workqueue_retries_total", { name: "deployment" }), 1);
  assert.equal(e.value("workqueue_queue_duration_seconds_count", { name: "deployment" }), 1);
  assert.equal(e.value("workqueue_queue_duration_seconds_sum", { name: "deployment" }), 2);
  assert.equal(e.value("workqueue_queue_duration_seconds_bucket", { name: "deployment", le: "1" }), 0);
  assert.equal(e.value("workqueue_queue_duration_seconds_bucket", { name: "deployment", le: "10" }), 1);
  assert.equal(e.value("workqueue_work_duration_seconds_sum", { name: "deployment" }), 0.5);
  assert.equal(e.value("workqueue_longest_running_processor_seconds", { name: "deployment" }), 0);
  for (const [name, type] of Object.entries({ workqueue_depth: "gauge", workqueue_adds_total: "counter", workqueue_retries_total: "counter", workqueue_queue_duration_seconds: "histogram", workqueue_work_duration_seconds: "histogram" })) {
    assert.equal(e.families.get(name)?.type, type, name);
  }
});

test("queues built inside withWorkQueueMetrics report there, even after an await; shut-down queues stop counting depth", async () => {
  const m = new WorkQueueMetrics();
  const q = await withWorkQueueMetrics(m, async () => {
    await Promise.resolve();
    return new WorkQueue<string>({ name: "job" });
  });
  const outside = new WorkQueue<string>({ name: "elsewhere" });
  q.add("x");
  outside.add("y");
  let e = read(m);
  assert.equal(e.value("workqueue_depth", { name: "job" }), 1);
  assert.equal(e.find("workqueue_depth", { name: "elsewhere" }).length, 0);
  q.shutDown();
  e = read(m);
  assert.equal(e.find("workqueue_depth", { name: "job" })[0]?.value ?? 0, 0);
  assert.equal(e.value("workqueue_adds_total", { name: "job" }), 1, "counters survive the queue");
});

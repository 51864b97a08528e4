// custom.metrics.k8s.io end to end on one machine: k8ts server with two hollow nodes serving their stats endpoints
// on loopback. Pods expose Prometheus text through the simulated runtime (sim.k8ts.io/metrics, read by each agent
// for pods annotated prometheus.io/scrape); the metrics server collects it with the resource metrics; the API
// serves it; kubectl get --raw reads it; HPAs on a Pods metric and on an Object (Service) metric scale
// Deployments. Load changes by annotating the running pods. Waits are generous polls, never timings.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Client } from "../client/rest_client.js";
import { isStatusError } from "../machinery/errors.js";
import { okOutput, pollUntil, startHollowServer, type HollowServer } from "./hollow_testing.js";

const KUBECTL = "/usr/bin/kubectl";
const skip = !existsSync(KUBECTL) ? `${KUBECTL} is not installed` : false;
const API = "/apis/custom.metrics.k8s.io/v1beta2";

interface MetricValue {
  describedObject: { kind: string; name: string; namespace?: string; apiVersion: string };
  metric?: { name: string; selector?: unknown };
  metricName?: string;
  value: string;
  timestamp: string;
  windowSeconds: number;
}

const deployment = (name: string, replicas: number, metrics: string): string =>
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    `metadata: {name: ${name}}`,
    "spec:",
    `  replicas: ${replicas}`,
    `  selector: {matchLabels: {app: ${name}}}`,
    "  template:",
    "    metadata:",
    `      labels: {app: ${name}}`,
    `      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "8080", sim.k8ts.io/metrics: ${JSON.stringify(metrics)}}`,
    "    spec:",
    "      containers:",
    "      - {name: c, image: nginx:1.27}",
    "---",
    "apiVersion: v1",
    "kind: Service",
    `metadata: {name: ${name}}`,
    `spec: {selector: {app: ${name}}, ports: [{port: 80, targetPort: 8080}]}`,
  ].join("\n");

describe("custom.metrics.k8s.io from pods' Prometheus metrics, and HPAs on Pods and Object metrics", { skip }, () => {
  let h: HollowServer;
  let client: Client;
  let k: HollowServer["kubectl"];

  before(async () => {
    h = await startHollowServer({ prefix: "k8ts-custom-metrics-", kubectl: KUBECTL });
    ({ client, kubectl: k } = h);
  });

  after(() => h?.stop());

  const ok = okOutput;
  const raw = async (path: string): Promise<{ items: MetricValue[] }> => JSON.parse(ok(await k(["get", "--raw", path])));

  it("serves Pods, object, namespace and node metrics, listed in discovery, readable with kubectl get --raw", async () => {
    ok(await k(["apply", "-f", "-"], deployment("web", 3, '# TYPE requests_per_second gauge\nrequests_per_second 10\nhttp_errors{code="500"} 1\nhttp_errors{code="503"} 2\n')));
    const pods = await pollUntil("three pods' metrics", async () => {
      const l = await raw(`${API}/namespaces/default/pods/*/requests_per_second?labelSelector=app%3Dweb`);
      return l.items.length === 3 && l.items;
    });
    for (const v of pods) {
      assert.deepEqual(v.describedObject.kind, "Pod");
      assert.match(v.describedObject.name, /^web-/);
      assert.equal(v.describedObject.namespace, "default");
      assert.deepEqual(v.metric, { name: "requests_per_second" });
      assert.equal(v.value, "10");
      assert.ok(v.windowSeconds >= 1 && Date.parse(v.timestamp) > 0);
    }
    const one = await raw(`${API}/namespaces/default/pods/${pods[0]!.describedObject.name}/requests_per_second`);
    assert.deepEqual(one.items.map((v) => v.describedObject.name), [pods[0]!.describedObject.name]);

    // Objects: the sum over the pods they select.
    const svc = await raw(`${API}/namespaces/default/services/web/requests_per_second`);
    assert.deepEqual(svc.items.map((v) => [v.describedObject.kind, v.describedObject.name, v.describedObject.apiVersion, v.value]), [["Service", "web", "v1", "30"]]);
    const dep = await raw(`${API}/namespaces/default/deployments.apps/web/requests_per_second`);
    assert.deepEqual(dep.items.map((v) => [v.describedObject.kind, v.describedObject.apiVersion, v.value]), [["Deployment", "apps/v1", "30"]]);
    const ns = await raw(`${API}/namespaces/default/metrics/requests_per_second`);
    assert.deepEqual(ns.items.map((v) => [v.describedObject.kind, v.describedObject.name, v.value]), [["Namespace", "default", "30"]]);
    const nodes = await raw(`${API}/nodes/*/requests_per_second`);
    assert.equal(nodes.items.reduce((s, v) => s + Number(v.value), 0), 30);
    assert.ok(nodes.items.every((v) => v.describedObject.kind === "Node" && /^hollow-node-/.test(v.describedObject.name)));

    // Several series: summed, or narrowed by metricLabelSelector.
    const errs = await raw(`${API}/namespaces/default/services/web/http_errors`);
    assert.equal(errs.items[0]!.value, "9");
    const only500 = await raw(`${API}/namespaces/default/pods/*/http_errors?labelSelector=app%3Dweb&metricLabelSelector=code%3D500`);
    assert.deepEqual(only500.items.map((v) => v.value), ["1", "1", "1"]);
    assert.deepEqual(only500.items[0]!.metric, { name: "http_errors", selector: { matchLabels: { code: "500" } } });

    // v1beta1 shape.
    const old = await raw(`/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/services/web/requests_per_second`);
    assert.equal(old.items[0]!.metricName, "requests_per_second");
    assert.equal(old.items[0]!.value, "30");

    // Discovery.
    assert.match(ok(await k(["api-versions"])), /^custom\.metrics\.k8s\.io\/v1beta2$/m);
    const list = JSON.parse(ok(await k(["get", "--raw", API]))) as { resources: Array<{ name: string; kind: string; namespaced: boolean }> };
    const names = list.resources.map((r) => r.name);
    for (const n of ["pods/requests_per_second", "services/requests_per_second", "deployments.apps/requests_per_second", "namespaces/http_errors"]) assert.ok(names.includes(n), n);
    assert.equal(list.resources.find((r) => r.name === "pods/requests_per_second")?.kind, "MetricValueList");

    // Errors are Statuses.
    await assert.rejects(client.request({ method: "GET", path: `${API}/namespaces/default/pods/*/nope` }), (e) => isStatusError(e, "NotFound"));
    await assert.rejects(client.request({ method: "GET", path: `${API}/namespaces/default/services/missing/requests_per_second` }), (e) => isStatusError(e, "NotFound"));
    await assert.rejects(client.request({ method: "GET", path: `${API}/namespaces/default/pods/*/requests_per_second`, query: { labelSelector: "a in (" } }), (e) => isStatusError(e, "BadRequest"));
    await assert.rejects(client.request({ method: "GET", path: `${API}/namespaces/default/widgets/x/requests_per_second` }), (e) => isStatusError(e, "NotFound"));
    await assert.rejects(client.request({ method: "DELETE", path: `${API}/namespaces/default/pods/x/requests_per_second` }), (e) => isStatusError(e, "MethodNotAllowed"));
    const missing = await k(["get", "--raw", `${API}/namespaces/default/pods/*/nope`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|not found/);
  });

  it("serves counters as per-second rates under the name without _total", async () => {
    ok(await k(["run", "counter", "--image=nginx:1.27", "--labels=app=counter", "--annotations=prometheus.io/scrape=true", "--annotations=prometheus.io/port=80", "--annotations=sim.k8ts.io/metrics=# TYPE jobs_total counter\njobs_total 100\n"]));
    await pollUntil("the pod's counter to be seen", async () => {
      const r = await k(["get", "--raw", `${API}/namespaces/default/pods/counter/jobs`]);
      return r.code === 0 && JSON.parse(r.stdout).items[0].value === "0";
    });
    // The rate is between the last two readings, so a counter that stops moving falls back to 0 one scrape later:
    // keep it counting, as a live process's counter does, until a reading shows the rate (a poll slower than the
    // scrape interval would otherwise miss the one window that had the increase).
    let jobs = 100;
    const rate = await pollUntil("a positive rate", async () => {
      jobs += 1000;
      ok(await k(["annotate", "pod", "counter", "--overwrite", `sim.k8ts.io/metrics=# TYPE jobs_total counter\njobs_total ${jobs}\n`]));
      const l = await raw(`${API}/namespaces/default/pods/counter/jobs`);
      const v = Number(l.items[0]!.value.replace(/m$/, "e-3"));
      return v > 0 && v;
    });
    assert.ok(rate > 0);
    await assert.rejects(client.request({ method: "GET", path: `${API}/namespaces/default/pods/counter/jobs_total` }), (e) => isStatusError(e, "NotFound"));
  });

  it("an HPA on a Pods metric scales up when the pods report more and back down when they report less", async () => {
    ok(await k(["apply", "-f", "-"], deployment("api", 2, "requests_per_second 10\n")));
    const hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "api" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: "Pods", pods: { metric: { name: "requests_per_second" }, target: { type: "AverageValue", averageValue: "10" } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 2 } },
      },
    };
    ok(await k(["apply", "-f", "-"], JSON.stringify(hpa)));
    await pollUntil("the HPA to read the metric", async () => {
      const out = ok(await k(["get", "hpa", "api"]));
      return /\s10\/10\b/.test(out) && out;
    });
    assert.equal(ok(await k(["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"])), "2", "at the target: no change");

    ok(await k(["annotate", "pods", "-l", "app=api", "--overwrite", "sim.k8ts.io/metrics=requests_per_second 30\n"]));
    await pollUntil("6 replicas", async () => ok(await k(["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"])) === "6");
    // The HPA writes its SuccessfulRescale event after the new scale, so the event may land after the scale was seen.
    const rescales = (): Promise<string> => k(["get", "events", "--field-selector", "reason=SuccessfulRescale,involvedObject.name=api", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]).then(ok);
    const events = await pollUntil("the SuccessfulRescale event to 6", async () => {
      const out = await rescales();
      return /^New size: 6; /m.test(out) && out;
    });
    assert.match(events, /reason: pods metric requests_per_second above target$/m);
    const status = JSON.parse(ok(await k(["get", "hpa.v2.autoscaling", "api", "-o", "json"]))).status;
    assert.equal(status.currentMetrics[0].type, "Pods");
    assert.equal(status.currentMetrics[0].pods.metric.name, "requests_per_second");
    assert.ok(status.conditions.some((c: { type: string; status: string; reason: string }) => c.type === "ScalingActive" && c.status === "True" && c.reason === "ValidMetricFound"));

    await pollUntil("every pod to report", async () => (await raw(`${API}/namespaces/default/pods/*/requests_per_second?labelSelector=app%3Dapi`)).items.length === 6);
    ok(await k(["annotate", "pods", "-l", "app=api", "--overwrite", "sim.k8ts.io/metrics=requests_per_second 1\n"]));
    await pollUntil("back to 2 replicas", async () => ok(await k(["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"])) === "2");
    const down = await pollUntil("the SuccessfulRescale event to 2", async () => {
      const out = await rescales();
      return /^New size: 2; /m.test(out) && out;
    });
    assert.match(down, /^New size: 2; reason: All metrics below target$/m);
  });

  it("an HPA on an Object metric (a Service's total over its pods) scales its Deployment", async () => {
    ok(await k(["apply", "-f", "-"], deployment("queue", 1, "queue_depth 15\n")));
    const hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "queue" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "queue" },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [{ type: "Object", object: { describedObject: { apiVersion: "v1", kind: "Service", name: "queue" }, metric: { name: "queue_depth" }, target: { type: "Value", value: "10" } } }],
      },
    };
    ok(await k(["apply", "-f", "-"], JSON.stringify(hpa)));
    // 15 against 10 with one ready pod: 2 replicas; then 2 x 15 = 30: 6, capped at 3.
    await pollUntil("3 replicas", async () => ok(await k(["get", "deploy", "queue", "-o", "jsonpath={.spec.replicas}"])) === "3");
    const status = JSON.parse(ok(await k(["get", "hpa.v2.autoscaling", "queue", "-o", "json"]))).status;
    assert.equal(status.currentMetrics[0].type, "Object");
    assert.deepEqual(status.currentMetrics[0].object.describedObject, { apiVersion: "v1", kind: "Service", name: "queue" });
    assert.ok(Number(status.currentMetrics[0].object.current.value) >= 15);
  });
});

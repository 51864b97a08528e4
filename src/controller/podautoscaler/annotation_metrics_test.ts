// The annotation adapter of custom and external metrics against the real API server (in-process).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer, type RunningServer } from "../../daemons/server.js";
import { silentLogger } from "../../util/log.js";
import { AnnotationMetricsSource } from "./annotation_metrics.js";
import { DiscoveryScaleClient } from "./scale_client.js";

describe("AnnotationMetricsSource", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;
  let source: AnnotationMetricsSource;
  const ac = new AbortController();
  let informers: SharedInformerFactory;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-custom-metrics-"));
    server = await startServer({ dataDir: dir, port: 0, controllers: false, scheduler: false, metrics: false, logger: silentLogger });
    client = createClient({ server: server.url });
    const pod = (name: string, labels: Record<string, string>, annotations: Record<string, string>) =>
      client.request({ method: "POST", path: "/api/v1/namespaces/default/pods", body: { metadata: { name, labels, annotations }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } });
    await pod("a", { app: "web" }, { "custom-metrics.k8ts.io/rps": "30" });
    await pod("b", { app: "web" }, { "custom-metrics.k8ts.io/rps": "1500m" });
    await pod("c", { app: "web" }, {});
    await pod("d", { app: "other" }, { "custom-metrics.k8ts.io/rps": "99" });
    await client.request({ method: "POST", path: "/api/v1/namespaces/default/services", body: { metadata: { name: "front", annotations: { "custom-metrics.k8ts.io/rps": "250" } }, spec: { ports: [{ port: 80 }] } } });
    const cm = (name: string, labels: Record<string, string>, value: string) =>
      client.request({ method: "POST", path: "/api/v1/namespaces/default/configmaps", body: { metadata: { name, labels, annotations: { "external-metrics.k8ts.io/queue_length": value } } } });
    await cm("q1", { "external-metrics.k8ts.io/source": "true", queue: "jobs" }, "40");
    await cm("q2", { "external-metrics.k8ts.io/source": "true", queue: "mail" }, "2");
    await cm("ignored", {}, "1000");
    informers = new SharedInformerFactory({ client });
    const pods = informers.forResource<Pod & KubeObject>(resources.pods);
    informers.start(ac.signal);
    await informers.waitForCacheSync(ac.signal);
    const scales = new DiscoveryScaleClient(client);
    source = new AnnotationMetricsSource(client, { pods: pods.lister(), objectPath: (ns, ref) => scales.objectPath(ns, ref), clock: realClock });
  });
  after(async () => {
    ac.abort();
    await informers?.shutdown();
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads Pods metrics from the selected pods' annotations; pods without one are missing", async () => {
    const m = await source.podMetrics("default", { name: "rps" }, "app=web");
    assert.deepEqual([...m.entries()].map(([k, v]) => [k, v.valueMilli]), [["a", 30_000], ["b", 1_500]]);
    await assert.rejects(source.podMetrics("default", { name: "latency" }, "app=web"), /no pods matching app=web carry annotation custom-metrics.k8ts.io\/latency/);
  });

  it("reads Object metrics from the described object and External metrics from labelled ConfigMaps", async () => {
    const o = await source.objectMetric("default", { apiVersion: "v1", kind: "Service", name: "front" }, { name: "rps" });
    assert.equal(o.valueMilli, 250_000);
    const all = await source.externalMetric("default", { name: "queue_length" });
    assert.deepEqual(all.map((v) => v.valueMilli).sort((x, y) => x - y), [2_000, 40_000]);
    const jobs = await source.externalMetric("default", { name: "queue_length", selector: { matchLabels: { queue: "jobs" } } });
    assert.deepEqual(jobs.map((v) => v.valueMilli), [40_000]);
    await assert.rejects(source.externalMetric("default", { name: "nothing" }), /no ConfigMap labelled/);
  });
});

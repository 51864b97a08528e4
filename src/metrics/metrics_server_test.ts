import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { isStatusError } from "../machinery/errors.js";
import { metricsApiGroup } from "./metrics_api.js";
import { MetricsServer, nodeAddressing } from "./metrics_server.js";
import { defaultNodeUrl } from "./summary_source.js";
import type { NodeAddressing, NodeStatsSource, StatsSummary } from "./types.js";

/** Node n1 runs web-1 (two containers) and db; n2 cannot be scraped. */
class FakeSource implements NodeStatsSource {
  readonly asked: NodeAddressing[] = [];
  async summary(node: NodeAddressing): Promise<StatsSummary> {
    this.asked.push(node);
    if (node.name !== "n1") throw new Error("connection refused");
    const c = (name: string, milli: number, mi: number) => ({ name, cpu: { usageNanoCores: milli * 1e6 }, memory: { workingSetBytes: mi * 1024 * 1024 } });
    return {
      node: { nodeName: "n1", cpu: { usageNanoCores: 1.5e9 }, memory: { workingSetBytes: 2 * 1024 ** 3 } },
      pods: [
        { podRef: { name: "web-1", namespace: "default" }, containers: [c("app", 200, 100), c("sidecar", 5, 10)] },
        { podRef: { name: "db", namespace: "data" }, containers: [c("pg", 700, 512)] },
        { podRef: { name: "gone", namespace: "default" }, containers: [c("x", 1, 1)] },
        { podRef: { name: "finished", namespace: "default" }, containers: [c("x", 1, 1)] },
      ],
    };
  }
}

describe("metrics server", () => {
  let srv: Awaited<ReturnType<typeof startFakeApiServer>>;
  let client: Client;
  let metrics: MetricsServer;
  const source = new FakeSource();
  const ac = new AbortController();
  let running: Promise<void>;

  before(async () => {
    srv = await startFakeApiServer();
    client = createClient({ server: srv.url });
    const node = (name: string, ip: string) => ({
      metadata: { name, labels: { zone: name === "n1" ? "a" : "b" } },
      status: { addresses: [{ type: "Hostname", address: name }, { type: "InternalIP", address: ip }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
    });
    await client.resource(resources.nodes).create(undefined, node("n1", "10.0.0.1"));
    await client.resource(resources.nodes).create(undefined, node("n2", "10.0.0.2"));
    const pod = (ns: string, name: string, labels: Record<string, string>, phase = "Running") => client.resource(resources.pods).create(ns, { metadata: { name, namespace: ns, labels }, spec: { containers: [] }, status: { phase } });
    for (const ns of ["default", "data"]) await client.resource(resources.namespaces).create(undefined, { metadata: { name: ns } }).catch(() => undefined);
    await pod("default", "web-1", { app: "web" });
    await pod("data", "db", { app: "db" });
    // Known to the API but no longer running: metrics-server keeps only running pods.
    await pod("default", "finished", { app: "web" }, "Succeeded");
    // A fake clock-free run: the first round happens at once; the next would be an hour later.
    metrics = new MetricsServer({ client, source, scrapeIntervalMs: 3_600_000 });
    running = metrics.run(ac.signal);
  });
  after(async () => {
    ac.abort();
    await running;
    client.close();
    await srv.close();
  });

  const group = () => metricsApiGroup(() => metrics);

  it("answers 503 until the first round, then serves what the nodes reported", async () => {
    const early = metricsApiGroup(() => undefined);
    await assert.rejects(early.list({ resource: "pods" }), (err) => isStatusError(err, "ServiceUnavailable"));
    for (let i = 0; i < 200 && !metrics.ready; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(metrics.ready);
    assert.deepEqual(source.asked.map((a) => `${a.name} ${a.address}:${a.port}`).sort(), ["n1 10.0.0.1:10250", "n2 10.0.0.2:10250"]);
    const web = (await group().get({ resource: "pods", namespace: "default", name: "web-1" })) as { containers: unknown; metadata: { labels: unknown }; window: string };
    assert.deepEqual(web.containers, [{ name: "app", usage: { cpu: "200m", memory: "100Mi" } }, { name: "sidecar", usage: { cpu: "5m", memory: "10Mi" } }]);
    assert.deepEqual(web.metadata.labels, { app: "web" });
    assert.equal(web.window, "3600s");
    const n1 = (await group().get({ resource: "nodes", name: "n1" })) as { usage: unknown };
    assert.deepEqual(n1.usage, { cpu: "1500m", memory: "2Gi" });
  });

  it("lists by namespace, label and field selector; unscraped nodes, pods unknown to the API and pods not running are left out", async () => {
    const names = async (req: Parameters<ReturnType<typeof group>["list"]>[0]): Promise<string[]> =>
      ((await group().list(req)) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name);
    assert.deepEqual(await names({ resource: "pods" }), ["db", "web-1"]);
    assert.deepEqual(await names({ resource: "pods", namespace: "default" }), ["web-1"]);
    assert.deepEqual(await names({ resource: "pods", labelSelector: "app=db" }), ["db"]);
    assert.deepEqual(await names({ resource: "pods", fieldSelector: "metadata.name=web-1" }), ["web-1"]);
    assert.deepEqual(await names({ resource: "nodes" }), ["n1"]);
    assert.deepEqual(await names({ resource: "nodes", labelSelector: "zone=b" }), []);
    await assert.rejects(group().get({ resource: "nodes", name: "n2" }), (err) => isStatusError(err, "NotFound") && /nodemetrics.metrics.k8s.io "n2" not found/.test(err.message));
    await assert.rejects(group().get({ resource: "pods", namespace: "default", name: "gone" }), (err) => isStatusError(err, "NotFound"));
    await assert.rejects(group().get({ resource: "pods", namespace: "default", name: "finished" }), (err) => isStatusError(err, "NotFound"));
    assert.deepEqual(await names({ resource: "pods", labelSelector: "app=web" }), ["web-1"]);
  });

  it("addresses a node by its InternalIP and kubelet port; hollow nodes serve nothing", () => {
    assert.equal(defaultNodeUrl({ name: "x", address: "10.1.2.3", port: 10250 }), "http://10.1.2.3:10250");
    assert.equal(defaultNodeUrl({ name: "x", address: "10.64.0.1", port: 10250, labels: { "k8ts.io/hollow": "true" } }), undefined);
    assert.deepEqual(nodeAddressing({ metadata: { name: "x" }, status: { addresses: [{ type: "Hostname", address: "x" }, { type: "InternalIP", address: "10.1.2.3" }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } }), { name: "x", address: "10.1.2.3", port: 10250, labels: {} });
  });
});

describe("metrics server with unreachable nodes", () => {
  it("skips nodes the source says it cannot reach, without asking it", async () => {
    const srv = await startFakeApiServer();
    const client = createClient({ server: srv.url });
    try {
      for (const name of ["up", "hollow"]) await client.resource(resources.nodes).create(undefined, { metadata: { name } });
      const asked: string[] = [];
      const source: NodeStatsSource = {
        reachable: (n) => n.name !== "hollow",
        summary: async (n) => {
          asked.push(n.name);
          return { node: { nodeName: n.name, cpu: { usageNanoCores: 1e9 }, memory: { workingSetBytes: 1024 } }, pods: [] };
        },
      };
      const metrics = new MetricsServer({ client, source, scrapeIntervalMs: 3_600_000 });
      const ac = new AbortController();
      const running = metrics.run(ac.signal);
      for (let i = 0; i < 400 && !metrics.ready; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(metrics.ready);
      assert.deepEqual(asked, ["up"]);
      assert.deepEqual(metrics.listNodeMetrics().map((m) => m.metadata?.name), ["up"]);
      ac.abort();
      await running;
    } finally {
      client.close();
      await srv.close();
    }
  });
});

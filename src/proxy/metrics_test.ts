import assert from "node:assert/strict";
import { test } from "node:test";
import { resources } from "../client/resources.js";
import { createClient } from "../client/rest_client.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { serveMetrics } from "../util/metrics/metrics_server.js";
import { scrape } from "../util/metrics/testing/scrape.js";
import { Proxier } from "./proxier.js";
import { service } from "./testing.js";
import type { ProxyState, RuleBackend } from "./types.js";

class CountingBackend implements RuleBackend {
  readonly mode = "iptables" as const;
  applied: ProxyState[] = [];
  async apply(state: ProxyState): Promise<void> {
    this.applied.push(state);
  }
  async cleanup(): Promise<void> {}
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("kube-proxy metrics: sync duration, last sync time and Service changes, scraped over HTTP", async () => {
  const server = await startFakeApiServer();
  const client = createClient({ server: server.url });
  const backend = new CountingBackend();
  const proxier = new Proxier({ client, nodeName: "n1", backend, runner: { run: async () => ({ code: 0, stdout: "", stderr: "" }) }, minSyncIntervalMs: 20 });
  const ac = new AbortController();
  const done = proxier.run(ac.signal);
  const ep = await serveMetrics({ host: "127.0.0.1", port: 0, sources: () => [proxier.metrics.registry] });
  try {
    const startedAt = Date.now() / 1000;
    await waitFor("first sync", () => backend.applied.length > 0);
    let m = await scrape(`${ep.url}/metrics`);
    assert.equal(m.families.get("kubeproxy_sync_proxy_rules_duration_seconds")?.type, "histogram");
    assert.equal(m.families.get("kubeproxy_sync_proxy_rules_last_timestamp_seconds")?.type, "gauge");
    assert.ok(m.value("kubeproxy_sync_proxy_rules_duration_seconds_count") >= 1);
    const last = m.value("kubeproxy_sync_proxy_rules_last_timestamp_seconds");
    assert.ok(last >= startedAt - 1 && last <= Date.now() / 1000 + 1, `last sync ${last}`);
    const syncs = backend.applied.length;
    server.store.create(resources.services, "default", service("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] }));
    await waitFor("the change synced", async () => backend.applied.length > syncs && (await scrape(`${ep.url}/metrics`)).value("kubeproxy_sync_proxy_rules_duration_seconds_count") > syncs - 0.5);
    m = await scrape(`${ep.url}/metrics`);
    assert.ok(m.value("kubeproxy_sync_proxy_rules_service_changes_total") >= 1);
  } finally {
    await ep.close();
    ac.abort();
    await done;
    client.close();
    await server.close();
  }
});

// Cluster DNS against the real API server (SQLite store, real HTTP): services get their ClusterIP from the
// server's allocator, EndpointSlices are written through the API as the EndpointSlice controller would, and
// Node's resolver sees the names come and go.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { Resolver } from "node:dns/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Service } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { createClient, type Client } from "../client/rest_client.js";
import { startServer, type RunningServer } from "../daemons/server.js";
import { silentLogger } from "../util/log.js";
import { ClusterDns } from "./cluster_dns.js";

async function eventually<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("cluster DNS against the real API server", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;
  let dns: ClusterDns;
  let running: Promise<void>;
  let resolver: Resolver;
  const ac = new AbortController();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "k8ts-dns-"));
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, controllers: false, scheduler: false, metrics: false });
    client = createClient({ server: server.url });
    await client.resource(resources.namespaces).create(undefined, { metadata: { name: "shop" } });
    dns = new ClusterDns({ client, listen: { host: "127.0.0.1", port: 0 } });
    running = dns.run(ac.signal);
    const { dns: at } = await dns.addresses;
    assert.equal(await dns.waitReady(ac.signal), true);
    resolver = new Resolver({ timeout: 5000, tries: 2 });
    resolver.setServers([`127.0.0.1:${at.port}`]);
  });

  after(async () => {
    resolver?.cancel();
    ac.abort();
    await running;
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resolves a service by the ClusterIP the server allocated, both ways, and forgets it when deleted", async () => {
    const svc = (await client.resource<Service & KubeObject>(resources.services).create("shop", {
      metadata: { name: "cart" },
      spec: { selector: { app: "cart" }, ports: [{ name: "http", port: 80, protocol: "TCP" }] },
    })) as Service;
    const ip = svc.spec!.clusterIP!;
    assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\./, "allocated from 10.96.0.0/12");
    assert.deepEqual(await eventually("cart resolvable", () => resolver.resolve4("cart.shop.svc.cluster.local")), [ip]);
    assert.deepEqual(await resolver.reverse(ip), ["cart.shop.svc.cluster.local"]);
    assert.deepEqual(await resolver.resolveSrv("_http._tcp.cart.shop.svc.cluster.local"), [{ name: "cart.shop.svc.cluster.local", port: 80, priority: 0, weight: 100 }]);
    await client.resource(resources.services).delete("shop", "cart");
    await eventually("cart gone", () =>
      resolver.resolve4("cart.shop.svc.cluster.local").then(
        () => undefined,
        (err: NodeJS.ErrnoException) => (err.code === "ENOTFOUND" ? true : undefined),
      ),
    );
  });

  it("serves a StatefulSet's headless service by pod hostname once endpoints are ready", async () => {
    await client.resource(resources.services).create("shop", { metadata: { name: "db" }, spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ name: "pg", port: 5432 }] } });
    const slices = client.resource(resources.endpointslices);
    const slice = await slices.create("shop", {
      metadata: { name: "db-abcde", labels: { "kubernetes.io/service-name": "db" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
        { addresses: ["10.244.2.6"], hostname: "db-1", conditions: { ready: false } },
      ],
      ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
    });
    assert.deepEqual(await eventually("db-0", () => resolver.resolve4("db-0.db.shop.svc.cluster.local")), ["10.244.1.5"]);
    assert.deepEqual(await resolver.resolve4("db.shop.svc.cluster.local"), ["10.244.1.5"]);
    await assert.rejects(resolver.resolve4("db-1.db.shop.svc.cluster.local"), { code: "ENOTFOUND" });
    const endpoints = (slice.endpoints as Array<{ conditions: { ready: boolean } }>).map((e) => ({ ...e, conditions: { ready: true } }));
    await slices.update("shop", { ...slice, endpoints });
    assert.deepEqual(await eventually("db-1 ready", () => resolver.resolve4("db-1.db.shop.svc.cluster.local")), ["10.244.2.6"]);
    assert.deepEqual((await resolver.resolve4("db.shop.svc.cluster.local")).sort(), ["10.244.1.5", "10.244.2.6"]);
    assert.deepEqual(await resolver.reverse("10.244.2.6"), ["db-1.db.shop.svc.cluster.local"]);
  });
});

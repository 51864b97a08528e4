// Cluster DNS end to end on loopback: informers fed by the fake API server, answers checked with our own client
// and with Node's resolver (c-ares, the way a program in a pod resolves), names outside the cluster forwarded to a
// fake upstream server.
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { createClient, type Client } from "../client/rest_client.js";
import { startFakeApiServer, type FakeApiServer } from "../client/testing/fake_apiserver.js";
import { parseExposition } from "../util/metrics/testing/scrape.js";
import { query } from "./client.js";
import { ClusterDns } from "./cluster_dns.js";
import { newQuery, Rcode, replyTo, RRClass, RRType, type Message } from "./message.js";
import { DnsServer } from "./server.js";
import type { HostPort } from "./types.js";

const BIG = 100;

/** An upstream resolver: example.com has one address, big.example.com more than fit in a UDP answer. */
function fakeUpstream(): DnsServer {
  return new DnsServer({
    handler: {
      handle: async (q) => {
        const name = q.questions[0]!.name.toLowerCase();
        const r = replyTo(q);
        r.header.recursionAvailable = true;
        const a = (address: string): Message["answers"][number] => ({ name: q.questions[0]!.name, class: RRClass.IN, ttl: 300, data: { type: RRType.A, address } });
        if (q.questions[0]!.type !== RRType.A) return r;
        if (name === "example.com") r.answers = [a("93.184.216.34")];
        else if (name === "big.example.com") r.answers = Array.from({ length: BIG }, (_, i) => a(`198.51.100.${i + 1}`));
        else r.header.rcode = Rcode.NXDOMAIN;
        return r;
      },
    },
  });
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  // Generous: only a broken implementation gets near it; each poll is a cheap loopback query.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const addresses = (m: Message): string[] => m.answers.flatMap((a) => ("address" in a.data ? [a.data.address] : [])).sort();

describe("cluster DNS server", () => {
  let api: FakeApiServer;
  let client: Client;
  let upstream: DnsServer;
  let dns: ClusterDns;
  let at: HostPort;
  let health: HostPort;
  let resolver: Resolver;
  const ac = new AbortController();
  let running: Promise<void>;

  const create = (ref: (typeof resources)[keyof typeof resources], obj: KubeObject): void => void api.store.create(ref, "default", obj);
  const ask = (name: string, type: number, opts: { protocol?: "udp" | "tcp"; noTcpFallback?: boolean; edns?: number } = {}): Promise<Message> =>
    query(at, newQuery(name, type, { edns: opts.edns }), { protocol: opts.protocol, noTcpFallback: opts.noTcpFallback });

  before(async () => {
    api = await startFakeApiServer();
    client = createClient({ server: api.url });
    create(resources.services, { metadata: { name: "web" }, spec: { clusterIP: "10.96.0.50", clusterIPs: ["10.96.0.50"], ports: [{ name: "http", port: 80, protocol: "TCP" }] } });
    create(resources.endpointslices, {
      metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.10"], conditions: { ready: true } }],
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    });
    create(resources.services, { metadata: { name: "db" }, spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432, protocol: "TCP" }] } });
    create(resources.endpointslices, {
      metadata: { name: "db-1", labels: { "kubernetes.io/service-name": "db" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
        { addresses: ["10.244.2.6"], hostname: "db-1", conditions: { ready: true } },
        { addresses: ["10.244.3.7"], hostname: "db-2", conditions: { ready: false } },
      ],
      ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
    });
    create(resources.services, { metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "example.com" } });
    create(resources.pods, { metadata: { name: "p1" }, spec: { containers: [{ name: "c", image: "busybox" }] }, status: { podIP: "10.244.1.20", podIPs: [{ ip: "10.244.1.20" }] } });

    upstream = fakeUpstream();
    const up = await upstream.listen({ host: "127.0.0.1", port: 0 });
    dns = new ClusterDns({ client, listen: { host: "127.0.0.1", port: 0 }, health: { host: "127.0.0.1", port: 0 }, upstreams: [up] });
    running = dns.run(ac.signal);
    const addrs = await dns.addresses;
    at = addrs.dns;
    health = addrs.health!;
    assert.equal(await dns.waitReady(ac.signal), true);
    resolver = new Resolver({ timeout: 5000, tries: 2 });
    resolver.setServers([`127.0.0.1:${at.port}`]);
  });

  after(async () => {
    resolver?.cancel();
    ac.abort();
    await running;
    await upstream.close();
    client.close();
    await api.close();
  });

  it("resolves a ClusterIP service (A) for our client and for Node's resolver", async () => {
    const m = await ask("web.default.svc.cluster.local", RRType.A);
    assert.equal(m.header.authoritative, true);
    assert.deepEqual(addresses(m), ["10.96.0.50"]);
    assert.equal(m.answers[0]!.ttl, 30);
    assert.deepEqual(await resolver.resolve4("web.default.svc.cluster.local"), ["10.96.0.50"]);
    assert.deepEqual(await resolver.resolve4("web.default.svc.cluster.local", { ttl: true }), [{ address: "10.96.0.50", ttl: 30 }]);
    assert.deepEqual(addresses(await ask("web.default.svc.cluster.local", RRType.A, { protocol: "tcp" })), ["10.96.0.50"]);
  });

  it("tells NXDOMAIN from NODATA the way resolvers report them", async () => {
    await assert.rejects(resolver.resolve4("nope.default.svc.cluster.local"), { code: "ENOTFOUND" });
    await assert.rejects(resolver.resolve6("web.default.svc.cluster.local"), { code: "ENODATA" });
    const nx = await ask("nope.default.svc.cluster.local", RRType.A);
    assert.equal(nx.header.rcode, Rcode.NXDOMAIN);
    assert.equal(nx.authorities[0]?.name, "cluster.local");
    assert.equal(nx.authorities[0]?.data.type, RRType.SOA);
    const soa = await resolver.resolveSoa("cluster.local");
    assert.equal(soa.nsname, "ns.dns.cluster.local");
    assert.equal(soa.minttl, 30);
  });

  it("answers SRV with targets and glue", async () => {
    assert.deepEqual(await resolver.resolveSrv("_http._tcp.web.default.svc.cluster.local"), [{ name: "web.default.svc.cluster.local", port: 80, priority: 0, weight: 100 }]);
    const srv = (await resolver.resolveSrv("_pg._tcp.db.default.svc.cluster.local")).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(srv, [
      { name: "db-0.db.default.svc.cluster.local", port: 5432, priority: 0, weight: 50 },
      { name: "db-1.db.default.svc.cluster.local", port: 5432, priority: 0, weight: 50 },
    ]);
    const m = await ask("_pg._tcp.db.default.svc.cluster.local", RRType.SRV);
    assert.deepEqual(m.additionals.map((a) => a.name).sort(), ["db-0.db.default.svc.cluster.local", "db-1.db.default.svc.cluster.local"]);
  });

  it("serves headless services as ready pod IPs and StatefulSet pods by hostname", async () => {
    assert.deepEqual((await resolver.resolve4("db.default.svc.cluster.local")).sort(), ["10.244.1.5", "10.244.2.6"]);
    assert.deepEqual(await resolver.resolve4("db-1.db.default.svc.cluster.local"), ["10.244.2.6"]);
    await assert.rejects(resolver.resolve4("db-2.db.default.svc.cluster.local"), { code: "ENOTFOUND" });
  });

  it("answers PTR for service, endpoint and pod IPs; pod A records", async () => {
    assert.deepEqual(await resolver.reverse("10.96.0.50"), ["web.default.svc.cluster.local"]);
    assert.deepEqual(await resolver.reverse("10.244.1.5"), ["db-0.db.default.svc.cluster.local"]);
    assert.deepEqual(await resolver.reverse("10.244.1.20"), ["10-244-1-20.default.pod.cluster.local"]);
    assert.deepEqual(await resolver.resolve4("10-244-1-20.default.pod.cluster.local"), ["10.244.1.20"]);
    await assert.rejects(resolver.resolve4("10-244-9-9.default.pod.cluster.local"), { code: "ENOTFOUND" });
  });

  it("answers ExternalName with a CNAME followed upstream, and forwards other names", async () => {
    assert.deepEqual(await resolver.resolveCname("ext.default.svc.cluster.local"), ["example.com"]);
    assert.deepEqual(await resolver.resolve4("ext.default.svc.cluster.local"), ["93.184.216.34"]);
    assert.deepEqual(await resolver.resolve4("example.com"), ["93.184.216.34"]);
    await assert.rejects(resolver.resolve4("missing.example.com"), { code: "ENOTFOUND" });
  });

  it("truncates large UDP answers (TC) and serves them whole over TCP", async () => {
    const udp = await ask("big.example.com", RRType.A, { noTcpFallback: true });
    assert.equal(udp.header.truncated, true);
    assert.ok(udp.answers.length < BIG);
    const edns = await ask("big.example.com", RRType.A, { noTcpFallback: true, edns: 4096 });
    assert.ok(edns.answers.length > udp.answers.length, "EDNS0 raises the UDP limit");
    assert.equal(edns.edns?.udpPayloadSize, 1232);
    assert.equal((await ask("big.example.com", RRType.A)).answers.length, BIG, "client retried over TCP");
    assert.equal((await resolver.resolve4("big.example.com")).length, BIG);
  });

  it("follows changes: a deleted service goes NXDOMAIN, an endpoint that becomes ready appears", async () => {
    create(resources.services, { metadata: { name: "late" }, spec: { clusterIP: "10.96.0.77", ports: [{ port: 80 }] } });
    await eventually("new service resolvable", async () => ((await ask("late.default.svc.cluster.local", RRType.A)).answers.length ? true : undefined));
    api.store.delete(resources.services, "default", "late", {});
    await eventually("deleted service NXDOMAIN", async () => ((await ask("late.default.svc.cluster.local", RRType.A)).header.rcode === Rcode.NXDOMAIN ? true : undefined));
    await assert.rejects(resolver.resolve4("late.default.svc.cluster.local"), { code: "ENOTFOUND" });

    const cur = api.store.get(resources.endpointslices, "default", "db-1") as KubeObject & { endpoints: Array<{ conditions: { ready: boolean } }> };
    cur.endpoints[2]!.conditions.ready = true;
    api.store.update(resources.endpointslices, "default", "db-1", cur);
    const m = await eventually("db-2 ready", async () => {
      const r = await ask("db.default.svc.cluster.local", RRType.A);
      return r.answers.length === 3 ? r : undefined;
    });
    assert.deepEqual(addresses(m), ["10.244.1.5", "10.244.2.6", "10.244.3.7"]);
    assert.deepEqual(await resolver.resolve4("db-2.db.default.svc.cluster.local"), ["10.244.3.7"]);
  });

  it("reports readiness and counts requests by type and rcode", async () => {
    const ready = await fetch(`http://127.0.0.1:${health.port}/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${health.port}/health`)).status, 200);
    const text = await (await fetch(`http://127.0.0.1:${health.port}/metrics`)).text();
    assert.match(text, /k8ts_dns_requests_total\{type="A",rcode="NOERROR"\} \d+/);
    assert.match(text, /k8ts_dns_requests_total\{type="A",rcode="NXDOMAIN"\} \d+/);
    assert.match(text, /k8ts_dns_truncated_total\{proto="udp"\} \d+/);
    // Well-formed exposition (HELP/TYPE before samples, each family once), with the process metrics beside.
    const exposition = parseExposition(text);
    assert.equal(exposition.families.get("k8ts_dns_request_duration_seconds")?.type, "histogram");
    assert.ok(exposition.value("process_resident_memory_bytes") > 0);
    assert.ok(dns.metrics.requests.get({ type: "SRV", rcode: "NOERROR" }) >= 1);
    assert.ok(dns.metrics.forwarded.get({ to: `127.0.0.1:${upstream.address()!.port}`, result: "answered" }) >= 1);
  });
});

describe("cluster DNS before its caches are filled", () => {
  it("answers SERVFAIL instead of NXDOMAIN and reports not ready", async () => {
    // The API server refuses this client, so the first list never arrives.
    const api = await startFakeApiServer({ token: "secret" });
    const client = createClient({ server: api.url });
    const dns = new ClusterDns({ client, listen: { host: "127.0.0.1", port: 0 }, health: { host: "127.0.0.1", port: 0 } });
    const ac = new AbortController();
    const running = dns.run(ac.signal);
    try {
      const { dns: at, health } = await dns.addresses;
      const m = await query(at, newQuery("web.default.svc.cluster.local", RRType.A));
      assert.equal(m.header.rcode, Rcode.SERVFAIL);
      assert.equal((await fetch(`http://127.0.0.1:${health!.port}/ready`)).status, 503);
      assert.equal((await fetch(`http://127.0.0.1:${health!.port}/health`)).status, 200);
      assert.equal(dns.ready(), false);
    } finally {
      ac.abort();
      await running;
      client.close();
      await api.close();
    }
  });
});

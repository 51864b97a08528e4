import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { reverseName } from "./ip.js";
import { KubeHandler } from "./kube_handler.js";
import { newQuery, Rcode, replyTo, RRClass, RRType, type Message } from "./message.js";
import { StaticView, type StaticViewState } from "./testing/static_view.js";
import type { Handler, QueryContext } from "./types.js";

const ctx: QueryContext = { protocol: "udp", remoteAddress: "127.0.0.1", remotePort: 1 };

const svc = (name: string, spec: Service["spec"], ns = "default"): Service => ({ metadata: { name, namespace: ns }, spec });
const slice = (name: string, service: string, endpoints: EndpointSlice["endpoints"], ports: EndpointSlice["ports"] = [], addressType = "IPv4"): EndpointSlice => ({
  metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": service } },
  addressType,
  endpoints,
  ports,
});

function state(): StaticViewState {
  return {
    services: [
      svc("web", { clusterIP: "10.96.0.50", clusterIPs: ["10.96.0.50"], ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }] }),
      svc("dual", { clusterIP: "10.96.0.60", clusterIPs: ["10.96.0.60", "fd00:10:96::60"], ports: [{ name: "http", port: 80 }] }),
      svc("db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
      svc("empty", { clusterIP: "None" }),
      svc("ext", { type: "ExternalName", externalName: "db.example.com" }),
      svc("loop", { type: "ExternalName", externalName: "loop.default.svc.cluster.local" }),
    ],
    slices: [
      slice("db-a", "db", [
        { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
        { addresses: ["10.244.2.6"], conditions: {} },
        { addresses: ["10.244.3.7"], hostname: "db-2", conditions: { ready: false } },
      ], [{ name: "pg", port: 5432, protocol: "TCP" }]),
      slice("db-b", "db", [{ addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } }], [{ name: "pg", port: 5432, protocol: "TCP" }]),
    ],
    pods: [{ metadata: { name: "p", namespace: "default" }, status: { podIP: "10.244.4.4" } }],
  };
}

function handler(s: StaticViewState = state(), next?: Handler): KubeHandler {
  return new KubeHandler({ view: new StaticView(s), zone: "cluster.local", next });
}

async function ask(h: Handler, name: string, type: number): Promise<Message> {
  return h.handle(newQuery(name, type), ctx);
}

const data = (m: Message): unknown[] => m.answers.map((a) => a.data);

describe("KubeHandler", () => {
  it("answers a ClusterIP service with its IP, authoritatively, with the configured TTL", async () => {
    const m = await ask(handler(), "Web.Default.svc.Cluster.Local", RRType.A);
    assert.equal(m.header.rcode, Rcode.NOERROR);
    assert.equal(m.header.authoritative, true);
    assert.deepEqual(data(m), [{ type: RRType.A, address: "10.96.0.50" }]);
    assert.equal(m.answers[0]!.name, "Web.Default.svc.Cluster.Local", "owner name as asked");
    assert.equal(m.answers[0]!.ttl, 30);
    const custom = new KubeHandler({ view: new StaticView(state()), zone: "cluster.local", ttl: 5 });
    assert.equal((await ask(custom, "web.default.svc.cluster.local", RRType.A)).answers[0]!.ttl, 5);
  });

  it("answers AAAA of a dual-stack service and NODATA for an IPv4-only one", async () => {
    const h = handler();
    assert.deepEqual(data(await ask(h, "dual.default.svc.cluster.local", RRType.AAAA)), [{ type: RRType.AAAA, address: "fd00:10:96::60" }]);
    const m = await ask(h, "web.default.svc.cluster.local", RRType.AAAA);
    assert.equal(m.header.rcode, Rcode.NOERROR);
    assert.equal(m.answers.length, 0);
    assert.equal(m.authorities[0]?.name, "cluster.local");
    assert.equal(m.authorities[0]?.data.type, RRType.SOA);
  });

  it("NXDOMAIN for missing services, namespaces and malformed names, SOA in authority", async () => {
    const h = handler();
    for (const name of ["nope.default.svc.cluster.local", "web.nope.svc.cluster.local", "nope.svc.cluster.local", "a.b.web.default.svc.cluster.local", "x.y.cluster.local", "empty.default.svc.cluster.local"]) {
      const m = await ask(h, name, RRType.A);
      assert.equal(m.header.rcode, Rcode.NXDOMAIN, name);
      assert.deepEqual(m.authorities.map((a) => a.data.type), [RRType.SOA], name);
      const soa = m.authorities[0]!.data;
      assert.ok("mname" in soa && soa.mname === "ns.dns.cluster.local" && soa.rname === "hostmaster.cluster.local" && soa.minimum === 30);
    }
  });

  it("NODATA for names that exist without records: the zone, svc, a namespace, other types", async () => {
    const h = handler();
    for (const [name, type] of [
      ["cluster.local", RRType.A],
      ["svc.cluster.local", RRType.A],
      ["default.svc.cluster.local", RRType.A],
      ["default.pod.cluster.local", RRType.A],
      ["web.default.svc.cluster.local", RRType.TXT],
    ] as const) {
      const m = await ask(h, name, type);
      assert.equal(m.header.rcode, Rcode.NOERROR, name);
      assert.equal(m.answers.length, 0, name);
      assert.equal(m.authorities[0]?.data.type, RRType.SOA, name);
    }
    assert.equal((await ask(h, "ns.dns.cluster.local", RRType.A)).header.rcode, Rcode.NOERROR, "the NS target exists");
    const withDns = state();
    withDns.services!.push(svc("kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }, "kube-system"));
    const ns = await ask(handler(withDns), "cluster.local", RRType.NS);
    assert.deepEqual(data(ns), [{ type: RRType.NS, target: "ns.dns.cluster.local" }]);
    assert.deepEqual(ns.additionals.map((a) => [a.name, a.data]), [["ns.dns.cluster.local", { type: RRType.A, address: "10.96.0.10" }]]);
    assert.deepEqual(data(await ask(handler(withDns), "ns.dns.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.96.0.10" }]);
    const soa = await ask(h, "cluster.local", RRType.SOA);
    assert.equal(soa.answers[0]?.data.type, RRType.SOA);
    assert.deepEqual(data(await ask(h, "dns-version.cluster.local", RRType.TXT)), [{ type: RRType.TXT, texts: ["1.1.0"] }]);
  });

  it("serves a headless service as its ready endpoints, each also by hostname or dashed IP", async () => {
    const h = handler();
    const m = await ask(h, "db.default.svc.cluster.local", RRType.A);
    assert.deepEqual(m.answers.map((a) => ("address" in a.data ? a.data.address : "")).sort(), ["10.244.1.5", "10.244.2.6"]);
    assert.deepEqual(data(await ask(h, "db-0.db.default.svc.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.244.1.5" }]);
    assert.deepEqual(data(await ask(h, "10-244-2-6.db.default.svc.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.244.2.6" }]);
    assert.equal((await ask(h, "db-2.db.default.svc.cluster.local", RRType.A)).header.rcode, Rcode.NXDOMAIN, "not ready");
    const publish = state();
    publish.services!.find((s) => s.metadata?.name === "db")!.spec!.publishNotReadyAddresses = true;
    assert.deepEqual(data(await ask(handler(publish), "db-2.db.default.svc.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.244.3.7" }]);
  });

  it("answers SRV per port with targets and their addresses in the additional section", async () => {
    const h = handler();
    const web = await ask(h, "_http._tcp.web.default.svc.cluster.local", RRType.SRV);
    assert.deepEqual(data(web), [{ type: RRType.SRV, priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" }]);
    assert.deepEqual(web.additionals.map((a) => [a.name, a.data]), [["web.default.svc.cluster.local", { type: RRType.A, address: "10.96.0.50" }]]);
    assert.deepEqual(data(await ask(h, "_dns._udp.web.default.svc.cluster.local", RRType.SRV)).map((d) => (d as { port: number }).port), [53]);
    assert.equal((await ask(h, "_dns._tcp.web.default.svc.cluster.local", RRType.SRV)).header.rcode, Rcode.NXDOMAIN, "protocol must match");
    assert.equal((await ask(h, "web.default.svc.cluster.local", RRType.SRV)).answers.length, 2, "bare name: every port");
    const db = await ask(h, "_pg._tcp.db.default.svc.cluster.local", RRType.SRV);
    assert.deepEqual(data(db).map((d) => [(d as { target: string }).target, (d as { weight: number }).weight]).sort(), [
      ["10-244-2-6.db.default.svc.cluster.local", 50],
      ["db-0.db.default.svc.cluster.local", 50],
    ]);
    assert.equal(db.additionals.length, 2);
    assert.equal((await ask(h, "empty.default.svc.cluster.local", RRType.SRV)).header.rcode, Rcode.NXDOMAIN);
  });

  it("answers ExternalName with a CNAME, followed through the next handler, and stops CNAME loops", async () => {
    const upstream: Handler = {
      handle: async (q) => {
        const r = replyTo(q);
        if (q.questions[0]!.name === "db.example.com") r.answers = [{ name: "db.example.com", class: RRClass.IN, ttl: 60, data: { type: RRType.A, address: "192.0.2.7" } }];
        return r;
      },
    };
    const m = await ask(handler(state(), upstream), "ext.default.svc.cluster.local", RRType.A);
    assert.deepEqual(data(m), [{ type: RRType.CNAME, target: "db.example.com" }, { type: RRType.A, address: "192.0.2.7" }]);
    const bare = await ask(handler(), "ext.default.svc.cluster.local", RRType.CNAME);
    assert.deepEqual(data(bare), [{ type: RRType.CNAME, target: "db.example.com" }]);
    const loop = await ask(handler(), "loop.default.svc.cluster.local", RRType.A);
    assert.equal(loop.header.rcode, Rcode.NOERROR);
    assert.ok(loop.answers.length >= 1 && loop.answers.length <= 9);
  });

  it("answers pod records only for pods that exist, unless insecure", async () => {
    const h = handler();
    assert.deepEqual(data(await ask(h, "10-244-4-4.default.pod.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.244.4.4" }]);
    assert.equal((await ask(h, "10-244-4-4.kube-system.pod.cluster.local", RRType.A)).header.rcode, Rcode.NXDOMAIN);
    assert.equal((await ask(h, "10-244-9-9.default.pod.cluster.local", RRType.A)).header.rcode, Rcode.NXDOMAIN);
    const insecure = new KubeHandler({ view: new StaticView(state()), zone: "cluster.local", podRecords: "insecure" });
    assert.deepEqual(data(await ask(insecure, "10-244-9-9.default.pod.cluster.local", RRType.A)), [{ type: RRType.A, address: "10.244.9.9" }]);
    assert.deepEqual(data(await ask(insecure, "fd00--9.default.pod.cluster.local", RRType.AAAA)), [{ type: RRType.AAAA, address: "fd00::9" }]);
  });

  it("answers PTR for service, endpoint and pod IPs", async () => {
    const h = handler();
    const ptr = async (ip: string): Promise<unknown[]> => data(await ask(h, reverseName(ip), RRType.PTR));
    assert.deepEqual(await ptr("10.96.0.50"), [{ type: RRType.PTR, target: "web.default.svc.cluster.local" }]);
    assert.deepEqual(await ptr("fd00:10:96::60"), [{ type: RRType.PTR, target: "dual.default.svc.cluster.local" }]);
    assert.deepEqual(await ptr("10.244.1.5"), [{ type: RRType.PTR, target: "db-0.db.default.svc.cluster.local" }]);
    assert.deepEqual(await ptr("10.244.4.4"), [{ type: RRType.PTR, target: "10-244-4-4.default.pod.cluster.local" }]);
    assert.equal((await ask(h, reverseName("10.244.3.7"), RRType.PTR)).header.rcode, Rcode.NXDOMAIN, "unready endpoint");
  });

  it("refuses names outside the zone without an upstream and forwards them with one", async () => {
    assert.equal((await ask(handler(), "example.com", RRType.A)).header.rcode, Rcode.REFUSED);
    const seen: string[] = [];
    const next: Handler = { handle: async (q) => (seen.push(q.questions[0]!.name), replyTo(q, Rcode.NXDOMAIN)) };
    assert.equal((await ask(handler(state(), next), "example.com", RRType.A)).header.rcode, Rcode.NXDOMAIN);
    await ask(handler(state(), next), reverseName("192.0.2.1"), RRType.PTR);
    assert.deepEqual(seen, ["example.com", "1.2.0.192.in-addr.arpa"]);
  });

  it("answers SERVFAIL instead of NXDOMAIN until the caches are filled", async () => {
    const h = handler({ ...state(), synced: false });
    assert.equal((await ask(h, "nope.default.svc.cluster.local", RRType.A)).header.rcode, Rcode.SERVFAIL);
    assert.equal((await ask(h, "web.default.svc.cluster.local", RRType.A)).header.rcode, Rcode.NOERROR);
  });

  it("serves another cluster domain", async () => {
    const h = new KubeHandler({ view: new StaticView(state()), zone: "corp.internal." });
    assert.deepEqual(data(await ask(h, "web.default.svc.corp.internal", RRType.A)), [{ type: RRType.A, address: "10.96.0.50" }]);
    assert.equal((await ask(h, "web.default.svc.cluster.local", RRType.A)).header.rcode, Rcode.REFUSED);
  });
});

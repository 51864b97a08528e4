// Cluster IP and node port allocation through the real registry over SQLite: what a client creating, updating
// and deleting services sees, with concurrency, several registries on one datastore, and a restart.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { StoredObject } from "../../api/object.js";
import { isStatusError, type StatusError } from "../../machinery/errors.js";
import { openSqliteStorage } from "../../storage/sqlite/sqlite_storage.js";
import type { Storage } from "../../storage/types.js";
import { silentLogger } from "../../util/log.js";
import { createRegistry, type RegistryHandle } from "../registry.js";
import type { ResourceStore } from "../rest.js";
import { ALL_RESOURCES } from "../resources/all.js";
import { ctx } from "../testing/fixtures.js";
import { IP_MARKER_PREFIX, NODE_PORT_MARKER_PREFIX } from "./service_allocator.js";
import { cidrRange, inRange, parseIPv4 } from "./ranges.js";

interface Spec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  externalName?: string;
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  ports?: Array<{ name?: string; port: number; protocol?: string; nodePort?: number; targetPort?: number | string }>;
}

const SERVICE_RANGE = cidrRange("10.96.0.0/12");

function svc(name: string, spec: Spec = {}): StoredObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { ports: [{ port: 80 }], ...spec } };
}

const specOf = (o: StoredObject): Spec => o.spec as Spec;

async function openRegistry(storage: Storage): Promise<{ registry: RegistryHandle; services: ResourceStore }> {
  const registry = createRegistry({ storage, resources: ALL_RESOURCES });
  await registry.start();
  return { registry, services: registry.store("", "services")! };
}

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  assert.fail("the write was accepted");
}

describe("service allocation", () => {
  let dir: string;
  let storage: Storage;
  let registry: RegistryHandle;
  let services: ResourceStore;
  const c = () => ctx("default");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "k8ts-svc-alloc-"));
    storage = await openSqliteStorage({ path: join(dir, "state.db"), compactIntervalMs: 0, logger: silentLogger });
    ({ registry, services } = await openRegistry(storage));
    await registry.store("", "namespaces")!.create(ctx(undefined), { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  });

  after(async () => {
    await registry.stop();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives 50 concurrent creates 50 distinct cluster IPs from the service CIDR", async () => {
    const made = await Promise.all(Array.from({ length: 50 }, (_, i) => services.create(c(), svc(`par-${i}`))));
    const ips = made.map((o) => specOf(o).clusterIP!);
    assert.equal(new Set(ips).size, 50);
    for (const [i, o] of made.entries()) {
      const s = specOf(o);
      assert.ok(inRange(SERVICE_RANGE, parseIPv4(ips[i]!)!), `${ips[i]} is in 10.96.0.0/12`);
      assert.deepEqual(s.clusterIPs, [s.clusterIP]);
      assert.deepEqual(s.ipFamilies, ["IPv4"]);
      assert.equal(s.ipFamilyPolicy, "SingleStack");
    }
    const markers = await storage.list(IP_MARKER_PREFIX);
    for (const ip of ips) assert.ok(markers.items.some((kv) => kv.key === IP_MARKER_PREFIX + ip));
  });

  it("keeps IPs distinct between two API servers sharing one datastore", async () => {
    const second = await openRegistry(storage);
    try {
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? services : second.services).create(c(), svc(`two-${i}`))),
      );
      const all = (await services.list(c(), {})).items.map((o) => specOf(o).clusterIP);
      assert.equal(made.length, 40);
      assert.equal(new Set(all).size, all.length);
      // A requested IP taken through one server is refused by the other.
      const ip = specOf(made[0]!).clusterIP!;
      const err = await refusal(second.services.create(c(), svc("two-dup", { clusterIP: ip })));
      assert.equal(err.code, 422);
    } finally {
      await second.registry.stop();
    }
  });

  it("honours a requested IP and refuses it when taken or out of range", async () => {
    const made = await services.create(c(), svc("req-a", { clusterIP: "10.96.0.50" }));
    assert.equal(specOf(made).clusterIP, "10.96.0.50");
    assert.deepEqual(specOf(made).clusterIPs, ["10.96.0.50"]);
    const taken = await refusal(services.create(c(), svc("req-b", { clusterIP: "10.96.0.50" })));
    assert.equal(taken.code, 422);
    assert.match(taken.message, /spec\.clusterIPs: Invalid value: "10\.96\.0\.50": .*provided IP is already allocated/);
    const viaList = await refusal(services.create(c(), svc("req-c", { clusterIPs: ["10.96.0.50"] })));
    assert.match(viaList.message, /provided IP is already allocated/);
    const outside = await refusal(services.create(c(), svc("req-d", { clusterIP: "10.0.0.5" })));
    assert.equal(outside.code, 422);
    assert.match(outside.message, /not in the valid range. The range of valid IPs is 10\.96\.0\.0\/12/);
    // A create of an existing service is AlreadyExists, not an allocation error.
    const exists = await refusal(services.create(c(), svc("req-a", { clusterIP: "10.96.0.50" })));
    assert.equal(exists.code, 409);
  });

  it("frees the IP on delete and on a change to ExternalName", async () => {
    await services.create(c(), svc("free-a", { clusterIP: "10.96.0.60" }));
    await services.delete(c(), "free-a", {});
    const again = await services.create(c(), svc("free-b", { clusterIP: "10.96.0.60" }));
    assert.equal(specOf(again).clusterIP, "10.96.0.60");
    const cur = await services.get(c(), "free-b");
    const spec = specOf(cur);
    const changed = await services.update(c(), "free-b", { ...cur, spec: { ...spec, type: "ExternalName", externalName: "example.com", clusterIP: undefined, clusterIPs: undefined } });
    assert.equal(specOf(changed.object).clusterIP, undefined);
    assert.equal(await storage.get(IP_MARKER_PREFIX + "10.96.0.60"), null);
    const third = await services.create(c(), svc("free-c", { clusterIP: "10.96.0.60" }));
    assert.equal(specOf(third).clusterIP, "10.96.0.60");
    // Back from ExternalName: a new IP.
    const ext = await services.get(c(), "free-b");
    const back = await services.update(c(), "free-b", { ...ext, spec: { ...specOf(ext), type: "ClusterIP", externalName: undefined } });
    assert.ok(inRange(SERVICE_RANGE, parseIPv4(specOf(back.object).clusterIP!)!));
  });

  it("gives headless services None and ExternalName services no IP", async () => {
    const headless = await services.create(c(), svc("headless", { clusterIP: "None" }));
    assert.equal(specOf(headless).clusterIP, "None");
    assert.deepEqual(specOf(headless).clusterIPs, ["None"]);
    const ext = await services.create(c(), svc("ext", { type: "ExternalName", externalName: "example.com" }));
    assert.equal(specOf(ext).clusterIP, undefined);
  });

  it("refuses dual-stack and IPv6 services on this IPv4 service network", async () => {
    const dual = await refusal(services.create(c(), svc("fam-a", { ipFamilyPolicy: "RequireDualStack" })));
    assert.match(dual.message, /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services/);
    const v6 = await refusal(services.create(c(), svc("fam-b", { ipFamilies: ["IPv6"] })));
    assert.match(v6.message, /spec\.ipFamilies\[0\]: Invalid value: "IPv6"/);
    const prefer = await services.create(c(), svc("fam-c", { ipFamilyPolicy: "PreferDualStack" }));
    assert.deepEqual(specOf(prefer).ipFamilies, ["IPv4"]);
  });

  it("allocates nothing on a dry run but answers with an IP", async () => {
    const dry = await services.create(ctx("default", { dryRun: true }), svc("dry-a", { clusterIP: "10.96.0.70" }));
    assert.equal(specOf(dry).clusterIP, "10.96.0.70");
    assert.equal(await storage.get(IP_MARKER_PREFIX + "10.96.0.70"), null);
    const auto = await services.create(ctx("default", { dryRun: true }), svc("dry-b", { type: "NodePort" }));
    assert.ok(specOf(auto).clusterIP);
    assert.equal(await storage.get(IP_MARKER_PREFIX + specOf(auto).clusterIP), null);
    assert.equal(await storage.get(NODE_PORT_MARKER_PREFIX + specOf(auto).ports![0]!.nodePort), null);
    const real = await services.create(c(), svc("dry-a", { clusterIP: "10.96.0.70" }));
    assert.equal(specOf(real).clusterIP, "10.96.0.70");
    // A dry run of a taken IP is refused like the real thing.
    const err = await refusal(services.create(ctx("default", { dryRun: true }), svc("dry-c", { clusterIP: "10.96.0.70" })));
    assert.match(err.message, /provided IP is already allocated/);
  });

  it("gives NodePort services node ports, honours requested ones and frees them", async () => {
    const np = await services.create(c(), svc("np-a", { type: "NodePort", ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] }));
    const ports = specOf(np).ports!.map((p) => p.nodePort!);
    assert.equal(new Set(ports).size, 2);
    for (const p of ports) assert.ok(p >= 30000 && p <= 32767, `${p} in 30000-32767`);
    const req = await services.create(c(), svc("np-b", { type: "NodePort", ports: [{ port: 80, nodePort: 31080 }] }));
    assert.equal(specOf(req).ports![0]!.nodePort, 31080);
    const dup = await refusal(services.create(c(), svc("np-c", { type: "NodePort", ports: [{ port: 80, nodePort: 31080 }] })));
    assert.equal(dup.code, 422);
    assert.match(dup.message, /spec\.ports\[0\]\.nodePort: Invalid value: 31080: provided port is already allocated/);
    const outside = await refusal(services.create(c(), svc("np-d", { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] })));
    assert.match(outside.message, /provided port is not in the valid range. The range of valid ports is 30000-32767/);
    // Nothing the refused create reserved stays behind (np-d's IP).
    assert.equal((await storage.list(IP_MARKER_PREFIX)).items.filter((kv) => JSON.parse(kv.value).name === "np-d").length, 0);
    // Same port number over TCP and UDP shares one node port.
    const dns = await services.create(c(), svc("np-dns", { type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }] }));
    assert.equal(specOf(dns).ports![0]!.nodePort, specOf(dns).ports![1]!.nodePort);
    // Type change to ClusterIP frees the node port; delete frees too.
    const cur = await services.get(c(), "np-b");
    await services.update(c(), "np-b", { ...cur, spec: { ...specOf(cur), type: "ClusterIP", ports: [{ port: 80, targetPort: 80, protocol: "TCP" }], externalTrafficPolicy: undefined } });
    const reuse = await services.create(c(), svc("np-e", { type: "NodePort", ports: [{ port: 80, nodePort: 31080 }] }));
    assert.equal(specOf(reuse).ports![0]!.nodePort, 31080);
    await services.delete(c(), "np-e", {});
    const reuse2 = await services.create(c(), svc("np-f", { type: "NodePort", ports: [{ port: 80, nodePort: 31080 }] }));
    assert.equal(specOf(reuse2).ports![0]!.nodePort, 31080);
  });

  it("keeps node ports across a replace without them and changes them on request", async () => {
    const made = await services.create(c(), svc("keep", { type: "NodePort" }));
    const port = specOf(made).ports![0]!.nodePort!;
    const replaced = await services.update(c(), "keep", { ...made, spec: { type: "NodePort", ports: [{ port: 80 }] } });
    assert.equal(specOf(replaced.object).ports![0]!.nodePort, port);
    assert.equal(specOf(replaced.object).clusterIP, specOf(made).clusterIP);
    const moved = await services.update(c(), "keep", { ...replaced.object, spec: { ...specOf(replaced.object), ports: [{ port: 80, targetPort: 80, protocol: "TCP", nodePort: 32100 }] } });
    assert.equal(specOf(moved.object).ports![0]!.nodePort, 32100);
    assert.equal(await storage.get(NODE_PORT_MARKER_PREFIX + port), null);
    assert.ok(await storage.get(NODE_PORT_MARKER_PREFIX + "32100"));
  });

  it("gives LoadBalancer services with externalTrafficPolicy Local a health check node port", async () => {
    const lb = await services.create(c(), svc("lb", { type: "LoadBalancer", externalTrafficPolicy: "Local" }));
    const s = specOf(lb);
    assert.ok(s.healthCheckNodePort! >= 30000 && s.healthCheckNodePort! <= 32767);
    assert.notEqual(s.healthCheckNodePort, s.ports![0]!.nodePort);
    await services.delete(c(), "lb", {});
    assert.equal(await storage.get(NODE_PORT_MARKER_PREFIX + s.healthCheckNodePort), null);
  });
});

describe("service allocation across a restart", () => {
  it("never hands out an IP or port a stored service holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k8ts-svc-restart-"));
    const path = join(dir, "state.db");
    try {
      let storage = await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger });
      let { registry, services } = await openRegistry(storage);
      await registry.store("", "namespaces")!.create(ctx(undefined), { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
      const first = await services.create(ctx("default"), svc("before", { type: "NodePort", ports: [{ port: 80, nodePort: 30500 }] }));
      const ip = specOf(first).clusterIP!;
      await registry.stop();
      await storage.close();

      storage = await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger });
      ({ registry, services } = await openRegistry(storage));
      const ipErr = await refusal(services.create(ctx("default"), svc("after-a", { clusterIP: ip })));
      assert.match(ipErr.message, /provided IP is already allocated/);
      const portErr = await refusal(services.create(ctx("default"), svc("after-b", { type: "NodePort", ports: [{ port: 80, nodePort: 30500 }] })));
      assert.match(portErr.message, /provided port is already allocated/);
      await services.delete(ctx("default"), "before", {});
      const reuse = await services.create(ctx("default"), svc("after-c", { clusterIP: ip, type: "NodePort", ports: [{ port: 80, nodePort: 30500 }] }));
      assert.equal(specOf(reuse).clusterIP, ip);
      await registry.stop();
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

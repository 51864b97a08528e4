import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import { services } from "./services.js";
import { errors } from "../../machinery/errors.js";
import { NOW, created, fields, updated } from "./testing.js";

const svc = (spec: Record<string, unknown>, name = "web") => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec });

test("service defaults", () => {
  const { obj, errs } = created(services, svc({ selector: { app: "a" }, ports: [{ port: 80 }] }));
  assert.deepEqual(errs, []);
  const s = obj as unknown as Service;
  assert.equal(s.spec!.type, "ClusterIP");
  assert.equal(s.spec!.sessionAffinity, "None");
  assert.deepEqual(s.spec!.ports, [{ port: 80, protocol: "TCP", targetPort: 80 }]);
  assert.equal(s.spec!.internalTrafficPolicy, "Cluster");
  assert.equal(s.spec!.ipFamilyPolicy, "SingleStack");
  assert.deepEqual(s.spec!.ipFamilies, ["IPv4"]);
  assert.equal(s.spec!.externalTrafficPolicy, undefined);
  const np = created(services, svc({ type: "NodePort", ports: [{ port: 80 }] })).obj as unknown as Service;
  assert.equal(np.spec!.externalTrafficPolicy, "Cluster");
});

test("service validation", () => {
  assert.deepEqual(fields(created(services, svc({ ports: [{ port: 80 }, { port: 81 }] })).errs), ["FieldValueRequired:spec.ports[0].name", "FieldValueRequired:spec.ports[1].name"]);
  assert.deepEqual(fields(created(services, svc({ ports: [{ port: 0 }] })).errs), ["FieldValueInvalid:spec.ports[0].port", "FieldValueInvalid:spec.ports[0].targetPort"]);
  assert.deepEqual(fields(created(services, svc({})).errs), ["FieldValueRequired:spec.ports"]);
  assert.deepEqual(fields(created(services, svc({ clusterIP: "None" })).errs), []);
  assert.deepEqual(fields(created(services, svc({ type: "Weird", ports: [{ port: 80 }] })).errs), ["FieldValueNotSupported:spec.type"]);
  assert.deepEqual(fields(created(services, svc({ ports: [{ port: 80, nodePort: 30080 }] })).errs), ["FieldValueForbidden:spec.ports[0].nodePort"]);
  assert.deepEqual(fields(created(services, svc({ type: "ExternalName" })).errs), ["FieldValueRequired:spec.externalName"]);
  assert.deepEqual(fields(created(services, svc({ ports: [{ port: 80 }] }, "1web")).errs), ["FieldValueInvalid:metadata.name"]);
});

test("cluster IP is immutable, and kept when an update omits it", () => {
  const { obj: old } = created(services, svc({ ports: [{ port: 80 }] }));
  (old.spec as { clusterIP?: string; clusterIPs?: string[] }).clusterIP = "10.96.0.20";
  (old.spec as { clusterIPs?: string[] }).clusterIPs = ["10.96.0.20"];
  const changed = structuredClone(old);
  (changed.spec as { clusterIP?: string }).clusterIP = "10.96.0.21";
  (changed.spec as { clusterIPs?: string[] }).clusterIPs = ["10.96.0.21"];
  assert.deepEqual(fields(updated(services, changed, old).errs), ["FieldValueInvalid:spec.clusterIPs[0]"]);
  const omitted = svc({ ports: [{ port: 80 }] }) as never;
  // (a hand-written manifest: no protocol, no clusterIP)
  const r = updated(services, omitted, old);
  assert.deepEqual(r.errs, []);
  assert.equal((r.obj.spec as { clusterIP?: string }).clusterIP, "10.96.0.20");
});

test("service table", () => {
  const { obj } = created(services, svc({ type: "NodePort", selector: { app: "a" }, ports: [{ port: 80, nodePort: 30080 }] }));
  (obj.spec as { clusterIP?: string }).clusterIP = "10.96.0.20";
  assert.deepEqual(services.table!.cells(obj, NOW), ["web", "NodePort", "10.96.0.20", "<none>", "80:30080/TCP", "5m", "app=a"]);
  assert.deepEqual(services.strategy.fieldAttrs!(obj), { "spec.clusterIP": "10.96.0.20", "spec.type": "NodePort" });
  const lb = created(services, svc({ type: "LoadBalancer", ports: [{ port: 443 }] })).obj;
  assert.equal(services.table!.cells(lb, NOW)[3], "<pending>");
});

test("changing the type drops what the new type cannot have", () => {
  const { obj: old } = created(services, svc({ type: "NodePort", ports: [{ port: 80 }] }));
  const spec = old.spec as { clusterIP?: string; clusterIPs?: string[]; ports: { nodePort?: number }[] };
  spec.clusterIP = "10.96.0.20";
  spec.clusterIPs = ["10.96.0.20"];
  spec.ports[0]!.nodePort = 30080;
  const toClusterIP = structuredClone(old);
  (toClusterIP.spec as { type: string }).type = "ClusterIP";
  const r = updated(services, toClusterIP, old);
  assert.deepEqual(r.errs, []);
  assert.equal((r.obj.spec as Service["spec"])!.ports![0]!.nodePort, undefined);
  assert.equal((r.obj.spec as Service["spec"])!.externalTrafficPolicy, undefined);
  const toExternal = structuredClone(old);
  Object.assign(toExternal.spec as object, { type: "ExternalName", externalName: "example.com" });
  const e = updated(services, toExternal, old);
  assert.deepEqual(e.errs, []);
  assert.equal((e.obj.spec as Service["spec"])!.clusterIP, undefined);
  const kept = structuredClone(old);
  (kept.spec as { ports: unknown[] }).ports = [{ port: 80 }];
  assert.equal((updated(services, kept, old).obj.spec as Service["spec"])!.ports![0]!.nodePort, 30080, "an omitted node port is kept");
});

test("a service port name is a DNS-1123 label: kubectl's generated \"80-8080\" is valid, an uppercase one is not", () => {
  const svc = (name: string): StoredObject =>
    ({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "default" }, spec: { ports: [{ name, port: 80 }, { name: "b", port: 81 }] } }) as StoredObject;
  const ok = svc("80-8080");
  services.strategy.defaults?.(ok);
  assert.deepEqual(services.strategy.validate(ok), []);
  const bad = svc("Http");
  services.strategy.defaults?.(bad);
  assert.ok(services.strategy.validate(bad).some((e) => e.field === "spec.ports[0].name"));
});

test("an Invalid Status names the field once: in the message with the field, in each cause without it", () => {
  const bad = svc({ ports: [{ name: "http", port: 80 }, { name: "http", port: 81 }] });
  services.strategy.defaults?.(bad as StoredObject);
  const errs = services.strategy.validate(bad as StoredObject);
  const status = errors.invalid("Service", "", "web", errs).status;
  const cause = status.details?.causes?.find((c) => c.field === "spec.ports[1].name");
  assert.equal(cause?.message, 'Duplicate value: "http"');
  assert.match(status.message ?? "", /spec\.ports\[1\]\.name: Duplicate value: "http"/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Event, Node, Secret, Namespace } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import { namespaces } from "./namespaces.js";
import { configmaps } from "./configmaps.js";
import { secrets } from "./secrets.js";
import { nodes } from "./nodes.js";
import { coreEvents, eventsV1 } from "./events.js";
import { coreToEventsV1, eventsV1ToCore } from "./event_conversion.js";
import { leases } from "./leases.js";
import { endpoints } from "./endpoints.js";
import { persistentVolumeClaims } from "./persistent_volume_claims.js";
import { priorityClasses } from "./priority_classes.js";
import { NOW, created, fields, updated } from "./testing.js";

test("namespaces: DNS label names, finalizer, phase, name label", () => {
  const { obj, errs } = created(namespaces, { metadata: { name: "team-a" } });
  assert.deepEqual(errs, []);
  const ns = obj as unknown as Namespace;
  assert.deepEqual(ns.spec, { finalizers: ["kubernetes"] });
  assert.deepEqual(ns.status, { phase: "Active" });
  assert.equal(obj.metadata.labels!["kubernetes.io/metadata.name"], "team-a");
  assert.deepEqual(fields(created(namespaces, { metadata: { name: "a.b" } }).errs), ["FieldValueInvalid:metadata.name"]);
  assert.deepEqual(namespaces.table!.cells(obj, NOW), ["team-a", "Active", "5m"]);
  assert.deepEqual(namespaces.strategy.fieldAttrs!(obj), { "status.phase": "Active" });
});

test("configmaps: keys, and immutable ones stay as they are", () => {
  assert.deepEqual(fields(created(configmaps, { metadata: { name: "c" }, data: { "bad key": "v" } }).errs), ["FieldValueInvalid:data"]);
  const { obj: old } = created(configmaps, { metadata: { name: "c" }, data: { a: "1" }, immutable: true });
  const changed = { ...structuredClone(old), data: { a: "2" } };
  assert.deepEqual(fields(updated(configmaps, changed, old).errs), ["FieldValueForbidden:data"]);
  assert.deepEqual(configmaps.table!.cells(old, NOW), ["c", 1, "5m"]);
});

test("secrets: type Opaque, stringData folded into data, base64 checked, type immutable", () => {
  const { obj, errs } = created(secrets, { metadata: { name: "s" }, stringData: { password: "hunter2" } });
  assert.deepEqual(errs, []);
  const s = obj as unknown as Secret & { stringData?: unknown };
  assert.equal(s.type, "Opaque");
  assert.deepEqual(s.data, { password: Buffer.from("hunter2").toString("base64") });
  assert.equal(s.stringData, undefined);
  assert.deepEqual(fields(created(secrets, { metadata: { name: "s" }, data: { a: "not base64!" } }).errs), ["FieldValueInvalid:data[a]"]);
  assert.deepEqual(fields(created(secrets, { metadata: { name: "s" }, type: "kubernetes.io/tls", data: {} }).errs), ["FieldValueRequired:data[tls.crt]", "FieldValueRequired:data[tls.key]"]);
  const changed = { ...structuredClone(obj), type: "kubernetes.io/basic-auth" };
  assert.ok(fields(updated(secrets, changed, obj).errs).includes("FieldValueInvalid:type"));
  assert.deepEqual(secrets.strategy.fieldAttrs!(obj), { type: "Opaque" });
  assert.deepEqual(secrets.table!.cells(obj, NOW), ["s", "Opaque", 1, "5m"]);
});

test("nodes: status column, roles, field selector, podCIDR fixed once set", () => {
  const node = {
    metadata: { name: "n1", labels: { "node-role.kubernetes.io/control-plane": "" } },
    spec: { unschedulable: true, podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"] },
    status: { conditions: [{ type: "Ready", status: "True" }], addresses: [{ type: "InternalIP", address: "192.168.1.2" }], nodeInfo: { kubeletVersion: "v1.31.0", osImage: "Debian", kernelVersion: "6.1", containerRuntimeVersion: "containerd://1.7" } },
  };
  const { obj, errs } = created(nodes, node);
  assert.deepEqual(errs, []);
  assert.equal((obj as unknown as Node).status!.nodeInfo!.kubeletVersion, "v1.31.0", "a node registers with its status");
  assert.deepEqual(nodes.table!.cells(obj, NOW), ["n1", "Ready,SchedulingDisabled", "control-plane", "5m", "v1.31.0", "192.168.1.2", "<none>", "Debian", "6.1", "containerd://1.7"]);
  assert.deepEqual(nodes.strategy.fieldAttrs!(obj), { "spec.unschedulable": "true" });
  const moved = structuredClone(obj);
  (moved.spec as { podCIDR: string; podCIDRs: string[] }).podCIDR = "10.244.2.0/24";
  (moved.spec as { podCIDRs: string[] }).podCIDRs = ["10.244.2.0/24"];
  assert.deepEqual(fields(updated(nodes, moved, obj).errs), ["FieldValueForbidden:spec.podCIDRs"]);
});

const coreEvent = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web.1", namespace: "default", creationTimestamp: "2026-01-01T11:50:00Z" },
  involvedObject: { kind: "Pod", namespace: "default", name: "web", uid: "u1", apiVersion: "v1", fieldPath: "spec.containers{web}" },
  reason: "Pulled",
  message: "Successfully pulled image",
  source: { component: "kubelet", host: "n1" },
  firstTimestamp: "2026-01-01T11:50:00Z",
  lastTimestamp: "2026-01-01T11:58:00Z",
  count: 3,
  type: "Normal",
} as unknown as StoredObject;

test("events: field selectors and table", () => {
  const attrs = coreEvents.strategy.fieldAttrs!(coreEvent);
  assert.equal(attrs["involvedObject.name"], "web");
  assert.equal(attrs["involvedObject.uid"], "u1");
  assert.equal(attrs["involvedObject.kind"], "Pod");
  assert.equal(attrs.reason, "Pulled");
  assert.equal(attrs.source, "kubelet");
  assert.equal(attrs.type, "Normal");
  assert.deepEqual(coreEvents.table!.cells(coreEvent, NOW), ["2m", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, n1", "Successfully pulled image", "10m", 3, "web.1"]);
  assert.deepEqual(coreEvents.table!.columns.filter((c) => c.priority === 0).map((c) => c.name), ["Last Seen", "Type", "Reason", "Object", "Message"]);
});

test("events.k8s.io/v1 converts to and from the stored core/v1 form", () => {
  const v1 = coreToEventsV1(coreEvent) as unknown as Record<string, unknown>;
  assert.equal(v1.apiVersion, "events.k8s.io/v1");
  assert.deepEqual(v1.regarding, (coreEvent as unknown as Event).involvedObject);
  assert.equal(v1.note, "Successfully pulled image");
  assert.equal(v1.deprecatedCount, 3);
  const back = eventsV1ToCore(v1 as unknown as StoredObject) as unknown as Record<string, unknown>;
  assert.deepEqual(back, coreEvent, "core -> events.k8s.io -> core is lossless");
  assert.equal(back.message, "Successfully pulled image");
  assert.equal(back.count, 3);
  assert.deepEqual(eventsV1.versions[0]!.toStorage, eventsV1ToCore);
  assert.deepEqual(eventsV1.table!.cells(coreToEventsV1(coreEvent), NOW), coreEvents.table!.cells(coreEvent, NOW), "rows are the same in both APIs");
  assert.equal(eventsV1.strategy.fieldAttrs!(coreToEventsV1(coreEvent))["involvedObject.name"], "web");
});

test("new-style events must name their reporter; events.k8s.io writes are strict", () => {
  const ev = { metadata: { name: "e", namespace: "default" }, type: "Normal", eventTime: "2026-01-01T11:00:00.000000Z", involvedObject: { kind: "Pod", name: "p", namespace: "default" } };
  assert.deepEqual(fields(created(eventsV1, ev).errs), ["FieldValueRequired:reportingController", "FieldValueRequired:reportingInstance", "FieldValueRequired:action", "FieldValueRequired:reason"]);
  assert.deepEqual(fields(created(coreEvents, ev).errs), ["FieldValueRequired:reportingComponent", "FieldValueRequired:reportingInstance", "FieldValueRequired:action", "FieldValueRequired:reason"]);
  const full = { ...ev, reportingComponent: "k8ts.io/scheduler", reportingInstance: "s-1", action: "Binding", reason: "Scheduled" };
  assert.deepEqual(created(eventsV1, full).errs, []);
  assert.deepEqual(fields(created(eventsV1, { ...full, count: 2 }).errs), ["FieldValueInvalid:deprecatedCount"]);
  assert.deepEqual(created(coreEvents, { ...full, count: 2 }).errs, []);
  const { obj } = created(eventsV1, full);
  const series = { ...structuredClone(obj), series: { count: 2, lastObservedTime: "2026-01-01T11:01:00.000000Z" } };
  assert.deepEqual(updated(eventsV1, series, obj).errs, []);
  const renote = { ...structuredClone(obj), message: "changed" };
  assert.deepEqual(fields(updated(eventsV1, renote, obj).errs), ["FieldValueInvalid:note"]);
  const legacy = { metadata: { name: "n", namespace: "default" }, involvedObject: { kind: "Node", name: "n1" }, reason: "Starting" };
  assert.deepEqual(created(coreEvents, legacy).errs, [], "events about cluster-scoped objects live in default");
  const other = { metadata: { name: "e", namespace: "default" }, involvedObject: { kind: "Pod", name: "p", namespace: "kube-system" } };
  assert.deepEqual(fields(created(coreEvents, other).errs), ["FieldValueInvalid:involvedObject.namespace"]);
});

test("leases, endpoints, claims and priority classes", () => {
  const { obj: lease, errs } = created(leases, { metadata: { name: "l" }, spec: { holderIdentity: "me", leaseDurationSeconds: 15 } });
  assert.deepEqual(errs, []);
  assert.deepEqual(leases.table!.cells(lease, NOW), ["l", "me", "5m"]);
  assert.equal(leases.strategy.allowUnconditionalUpdate, false);
  assert.deepEqual(fields(created(leases, { metadata: { name: "l" }, spec: { leaseDurationSeconds: 0 } }).errs), ["FieldValueInvalid:spec.leaseDurationSeconds"]);

  const eps = created(endpoints, { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "10.244.0.5" }, { ip: "10.244.0.6" }], ports: [{ port: 80 }] }] });
  assert.deepEqual(eps.errs, []);
  assert.equal(endpoints.table!.cells(eps.obj, NOW)[1], "10.244.0.5:80,10.244.0.6:80");

  const claim = created(persistentVolumeClaims, { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
  assert.deepEqual(claim.errs, []);
  assert.deepEqual(claim.obj.status, { phase: "Pending" });
  assert.deepEqual(fields(created(persistentVolumeClaims, { metadata: { name: "d" }, spec: { resources: { requests: { storage: "1Gi" } } } }).errs), ["FieldValueRequired:spec.accessModes"]);

  assert.deepEqual(fields(created(priorityClasses, { metadata: { name: "high" }, value: 2_000_000_000 }).errs), ["FieldValueForbidden:value"]);
  assert.deepEqual(created(priorityClasses, { metadata: { name: "system-node-critical" }, value: 2_000_001_000 }).errs, []);
});

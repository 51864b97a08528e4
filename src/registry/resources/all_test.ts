import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_RESOURCES } from "./all.js";

/** group/resource -> [kind, namespaced, versions] as Kubernetes v1.31 serves them. */
const EXPECTED: Record<string, [string, boolean, string[]]> = {
  "/namespaces": ["Namespace", false, ["v1"]],
  "/pods": ["Pod", true, ["v1"]],
  "/services": ["Service", true, ["v1"]],
  "/endpoints": ["Endpoints", true, ["v1"]],
  "/nodes": ["Node", false, ["v1"]],
  "/configmaps": ["ConfigMap", true, ["v1"]],
  "/secrets": ["Secret", true, ["v1"]],
  "/serviceaccounts": ["ServiceAccount", true, ["v1"]],
  "/events": ["Event", true, ["v1"]],
  "/persistentvolumes": ["PersistentVolume", false, ["v1"]],
  "/persistentvolumeclaims": ["PersistentVolumeClaim", true, ["v1"]],
  "/replicationcontrollers": ["ReplicationController", true, ["v1"]],
  "/resourcequotas": ["ResourceQuota", true, ["v1"]],
  "/limitranges": ["LimitRange", true, ["v1"]],
  "apps/deployments": ["Deployment", true, ["v1"]],
  "apps/replicasets": ["ReplicaSet", true, ["v1"]],
  "apps/statefulsets": ["StatefulSet", true, ["v1"]],
  "apps/daemonsets": ["DaemonSet", true, ["v1"]],
  "apps/controllerrevisions": ["ControllerRevision", true, ["v1"]],
  "batch/jobs": ["Job", true, ["v1"]],
  "batch/cronjobs": ["CronJob", true, ["v1"]],
  "autoscaling/horizontalpodautoscalers": ["HorizontalPodAutoscaler", true, ["v2", "v1"]],
  "policy/poddisruptionbudgets": ["PodDisruptionBudget", true, ["v1"]],
  "networking.k8s.io/ingresses": ["Ingress", true, ["v1"]],
  "networking.k8s.io/ingressclasses": ["IngressClass", false, ["v1"]],
  "networking.k8s.io/networkpolicies": ["NetworkPolicy", true, ["v1"]],
  "discovery.k8s.io/endpointslices": ["EndpointSlice", true, ["v1"]],
  "coordination.k8s.io/leases": ["Lease", true, ["v1"]],
  "storage.k8s.io/storageclasses": ["StorageClass", false, ["v1"]],
  "scheduling.k8s.io/priorityclasses": ["PriorityClass", false, ["v1"]],
  "authorization.k8s.io/selfsubjectaccessreviews": ["SelfSubjectAccessReview", false, ["v1"]],
  "events.k8s.io/events": ["Event", true, ["v1"]],
};

const IN_ALL = ["/pods", "/services", "/replicationcontrollers", "apps/daemonsets", "apps/deployments", "apps/replicasets", "apps/statefulsets", "batch/jobs", "batch/cronjobs", "autoscaling/horizontalpodautoscalers"];
const WITH_STATUS = [
  "/namespaces", "/pods", "/services", "/nodes", "/persistentvolumes", "/persistentvolumeclaims", "/replicationcontrollers", "/resourcequotas",
  "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs", "autoscaling/horizontalpodautoscalers",
  "policy/poddisruptionbudgets", "networking.k8s.io/ingresses",
];
const WITH_SCALE = ["/replicationcontrollers", "apps/deployments", "apps/replicasets", "apps/statefulsets"];

const key = (d: { group: string; resource: string }) => `${d.group}/${d.resource}`;

test("ALL_RESOURCES covers every served resource once, with Kubernetes' kinds, scopes and versions", () => {
  const keys = ALL_RESOURCES.map(key);
  assert.equal(new Set(keys).size, keys.length, "group/resource pairs are unique");
  assert.deepEqual([...keys].sort(), Object.keys(EXPECTED).sort());
  for (const d of ALL_RESOURCES) {
    const [kind, namespaced, versions] = EXPECTED[key(d)]!;
    assert.equal(d.kind, kind, key(d));
    assert.equal(d.namespaced, namespaced, key(d));
    assert.deepEqual(d.versions.map((v) => v.version), versions, key(d));
    assert.ok(d.versions.some((v) => v.version === d.storageVersion), `${key(d)} serves its storage version`);
    assert.equal(d.singular, d.kind.toLowerCase(), key(d));
  }
});

test("categories, status and scale subresources match Kubernetes", () => {
  for (const d of ALL_RESOURCES) {
    const k = key(d);
    assert.equal(d.categories?.includes("all") ?? false, IN_ALL.includes(k), `category all: ${k}`);
    assert.equal(d.status ?? false, WITH_STATUS.includes(k), `status: ${k}`);
    assert.equal(d.scale !== undefined, WITH_SCALE.includes(k), `scale: ${k}`);
    if (d.status) assert.ok(d.strategy.prepareForStatusUpdate, `${k} resets non-status fields on status updates`);
  }
});

test("short names are Kubernetes' and unique", () => {
  const byKey = Object.fromEntries(ALL_RESOURCES.map((d) => [key(d), d.shortNames ?? []]));
  assert.deepEqual(byKey["/pods"], ["po"]);
  assert.deepEqual(byKey["apps/deployments"], ["deploy"]);
  assert.deepEqual(byKey["autoscaling/horizontalpodautoscalers"], ["hpa"]);
  const core = ALL_RESOURCES.filter((d) => d.group !== "events.k8s.io").flatMap((d) => d.shortNames ?? []);
  assert.equal(new Set(core).size, core.length);
});

test("every resource but the review has a table whose first column is the name", () => {
  for (const d of ALL_RESOURCES) {
    if (d.resource === "selfsubjectaccessreviews") {
      assert.deepEqual(d.verbs, ["create"]);
      continue;
    }
    assert.ok(d.table, key(d));
    const names = d.table.columns.map((c) => c.name);
    assert.ok(names.includes("Name"), key(d));
  }
});

test("both event APIs share one storage prefix", () => {
  const evs = ALL_RESOURCES.filter((d) => d.resource === "events");
  assert.equal(evs.length, 2);
  assert.deepEqual(evs.map((d) => d.storagePrefix), ["events", "events"]);
});

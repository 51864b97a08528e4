import { test } from "node:test";
import assert from "node:assert/strict";
import type { Deployment, StatefulSet, DaemonSet, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ReplicationController } from "kubernetes-types/core/v1.js";
import { deployments } from "./deployments.js";
import { replicasets } from "./replicasets.js";
import { statefulsets } from "./statefulsets.js";
import { daemonsets } from "./daemonsets.js";
import { replicationControllers } from "./replication_controllers.js";
import { NOW, created, fields, updated } from "./testing.js";

const template = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ metadata: { labels }, spec: { containers: [{ name: "web", image: "nginx:1.25" }], ...extra } });
const deploy = (spec: Record<string, unknown>) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "default" }, spec });

test("deployment defaults", () => {
  const { obj, errs } = created(deployments, deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) }));
  assert.deepEqual(errs, []);
  const d = obj as unknown as Deployment;
  assert.equal(d.spec!.replicas, 1);
  assert.deepEqual(d.spec!.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.equal(d.spec!.progressDeadlineSeconds, 600);
  assert.equal(d.spec!.template.spec!.restartPolicy, "Always");
  assert.equal(d.spec!.template.spec!.containers[0]!.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(d.status, {});
});

test("a deployment whose selector does not match its template labels is invalid", () => {
  const { errs } = created(deployments, deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "b" }) }));
  assert.deepEqual(fields(errs), ["FieldValueInvalid:spec.template.metadata.labels"]);
  assert.match(errs[0]!.detail, /`selector` does not match template `labels`/);
  assert.deepEqual(fields(created(deployments, deploy({ template: template({ app: "b" }) })).errs), ["FieldValueRequired:spec.selector"]);
  assert.deepEqual(fields(created(deployments, deploy({ selector: {}, template: template({ app: "b" }) })).errs), ["FieldValueInvalid:spec.selector"]);
});

test("deployment validation: restart policy, strategy, replicas", () => {
  const never = deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }, { restartPolicy: "Never" }) });
  assert.deepEqual(fields(created(deployments, never).errs), ["FieldValueNotSupported:spec.template.spec.restartPolicy"]);
  const zero = deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }), strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } });
  assert.deepEqual(fields(created(deployments, zero).errs), ["FieldValueInvalid:spec.strategy.rollingUpdate.maxUnavailable"]);
  const recreate = deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }), strategy: { type: "Recreate", rollingUpdate: {} } });
  assert.deepEqual(fields(created(deployments, recreate).errs), ["FieldValueForbidden:spec.strategy.rollingUpdate"]);
  const neg = deploy({ replicas: -1, selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) });
  assert.deepEqual(fields(created(deployments, neg).errs), ["FieldValueInvalid:spec.replicas"]);
});

test("deployment selector is immutable; template may change", () => {
  const { obj: old } = created(deployments, deploy({ selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) }));
  const img = structuredClone(old) as unknown as Deployment;
  img.spec!.template.spec!.containers[0]!.image = "nginx:1.26";
  assert.deepEqual(updated(deployments, img as never, old).errs, []);
  const sel = structuredClone(old) as unknown as Deployment;
  sel.spec!.selector = { matchLabels: { app: "a", tier: "x" } };
  sel.spec!.template.metadata!.labels = { app: "a", tier: "x" };
  assert.deepEqual(fields(updated(deployments, sel as never, old).errs), ["FieldValueInvalid:spec.selector"]);
});

test("deployment scale and table", () => {
  const { obj } = created(deployments, deploy({ replicas: 3, selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) }));
  obj.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
  assert.equal(deployments.scale!.selector(obj), "app=a");
  assert.equal(deployments.scale!.specReplicasPath, "spec.replicas");
  assert.deepEqual(deployments.table!.cells(obj, NOW), ["d", "2/3", 3, 2, "5m", "web", "nginx:1.25", "app=a"]);
  assert.deepEqual(deployments.table!.columns.map((c) => c.name), ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]);
});

test("replicaset defaults, field selector, table", () => {
  const { obj, errs } = created(replicasets, { metadata: { name: "rs" }, spec: { selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) } });
  assert.deepEqual(errs, []);
  assert.equal((obj as unknown as ReplicaSet).spec!.replicas, 1);
  obj.status = { replicas: 1, readyReplicas: 1 };
  assert.deepEqual(replicasets.strategy.fieldAttrs!(obj), { "status.replicas": "1" });
  assert.deepEqual(replicasets.table!.cells(obj, NOW).slice(0, 5), ["rs", 1, 1, 1, "5m"]);
});

test("statefulset defaults and forbidden updates", () => {
  const { obj, errs } = created(statefulsets, { metadata: { name: "s" }, spec: { serviceName: "s", selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }) } });
  assert.deepEqual(errs, []);
  const s = obj as unknown as StatefulSet;
  assert.equal(s.spec!.podManagementPolicy, "OrderedReady");
  assert.deepEqual(s.spec!.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  assert.deepEqual(s.spec!.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
  assert.equal(s.spec!.revisionHistoryLimit, 10);
  const scaled = structuredClone(obj) as unknown as StatefulSet;
  scaled.spec!.replicas = 5;
  assert.deepEqual(updated(statefulsets, scaled as never, obj).errs, []);
  const renamed = structuredClone(obj) as unknown as StatefulSet;
  renamed.spec!.serviceName = "other";
  assert.deepEqual(fields(updated(statefulsets, renamed as never, obj).errs), ["FieldValueForbidden:spec"]);
});

test("statefulset: volumeMounts may name a volumeClaimTemplate; other unknown volumes stay invalid", () => {
  const mounted = (name: string) => ({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "web", image: "nginx:1.25", volumeMounts: [{ name, mountPath: "/data" }] }] } });
  const claims = [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }];
  const spec = (name: string) => ({ serviceName: "s", selector: { matchLabels: { app: "a" } }, template: mounted(name), volumeClaimTemplates: claims });
  const { obj, errs } = created(statefulsets, { metadata: { name: "s" }, spec: spec("data") });
  assert.deepEqual(errs, []);
  // The stored template is the user's: no volume added to it.
  assert.equal((obj as unknown as StatefulSet).spec!.template.spec!.volumes, undefined);
  assert.deepEqual(fields(created(statefulsets, { metadata: { name: "s" }, spec: spec("other") }).errs), ["FieldValueInvalid:spec.template.spec.containers[0].volumeMounts[0].name"]);
});

test("daemonset defaults and table", () => {
  const { obj, errs } = created(daemonsets, { metadata: { name: "ds" }, spec: { selector: { matchLabels: { app: "a" } }, template: template({ app: "a" }, { nodeSelector: { "kubernetes.io/os": "linux" } }) } });
  assert.deepEqual(errs, []);
  const d = obj as unknown as DaemonSet;
  assert.deepEqual(d.spec!.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.deepEqual(daemonsets.table!.cells(obj, NOW).slice(0, 8), ["ds", 0, 0, 0, 0, 0, "kubernetes.io/os=linux", "5m"]);
});

test("replication controller selector defaults to template labels", () => {
  const { obj, errs } = created(replicationControllers, { metadata: { name: "rc" }, spec: { template: template({ app: "a" }) } });
  assert.deepEqual(errs, []);
  const rc = obj as unknown as ReplicationController;
  assert.deepEqual(rc.spec!.selector, { app: "a" });
  assert.deepEqual(obj.metadata.labels, { app: "a" });
  assert.equal(replicationControllers.scale!.selector(obj), "app=a");
  const bad = created(replicationControllers, { metadata: { name: "rc" }, spec: { selector: { app: "b" }, template: template({ app: "a" }) } });
  assert.deepEqual(fields(bad.errs), ["FieldValueInvalid:spec.template.metadata.labels"]);
});

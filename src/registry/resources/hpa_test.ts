import { test } from "node:test";
import assert from "node:assert/strict";
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2.js";
import type { StoredObject } from "../../api/object.js";
import { horizontalPodAutoscalers as hpa } from "./horizontal_pod_autoscalers.js";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa_conversion.js";
import { NOW, created, fields } from "./testing.js";

const v1 = {
  apiVersion: "autoscaling/v1",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "default" },
  spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
  status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 30 },
} as unknown as StoredObject;

test("v1 targetCPUUtilizationPercentage becomes a v2 Resource cpu Utilization metric", () => {
  const v2 = hpaV1ToV2(v1) as unknown as HorizontalPodAutoscaler;
  assert.equal(v2.apiVersion, "autoscaling/v2");
  assert.deepEqual(v2.spec!.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
  assert.deepEqual(v2.status!.currentMetrics, [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 30 } } }]);
  assert.equal(v2.spec!.minReplicas, 2);
});

test("v1 -> v2 -> v1 round trips, and v2-only data survives v2 -> v1 -> v2", () => {
  assert.deepEqual(hpaV2ToV1(hpaV1ToV2(v1)), v1);
  const v2 = hpaV1ToV2(v1) as unknown as HorizontalPodAutoscaler;
  v2.spec!.metrics!.push({ type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } } });
  v2.spec!.behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
  const back = hpaV2ToV1(v2 as unknown as StoredObject);
  assert.equal((back.spec as { targetCPUUtilizationPercentage?: number }).targetCPUUtilizationPercentage, 50);
  assert.ok(back.metadata.annotations?.["autoscaling.alpha.kubernetes.io/metrics"]);
  assert.deepEqual(hpaV1ToV2(back), v2);
});

test("v2 defaults: minReplicas 1, CPU 80%, behavior rules", () => {
  const { obj, errs } = created(hpa, { metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 3, behavior: {} } });
  assert.deepEqual(errs, []);
  const h = obj as unknown as HorizontalPodAutoscaler;
  assert.equal(h.spec!.minReplicas, 1);
  assert.deepEqual(h.spec!.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }]);
  assert.equal(h.spec!.behavior!.scaleDown!.stabilizationWindowSeconds, 300);
  assert.equal(h.spec!.behavior!.scaleUp!.policies!.length, 2);
});

test("v2 validation and table", () => {
  assert.deepEqual(fields(created(hpa, { metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, minReplicas: 4, maxReplicas: 3 } }).errs), ["FieldValueInvalid:spec.maxReplicas"]);
  const { obj } = created(hpa, hpaV1ToV2(v1));
  obj.status = hpaV1ToV2(v1).status;
  assert.deepEqual(hpa.table!.cells(obj, NOW), ["web", "Deployment/web", "cpu: 30%/50%", "2", 5, 2, "5m"]);
  assert.deepEqual(hpa.versions.map((v) => v.version), ["v2", "v1"]);
  assert.deepEqual(hpa.table!.cells(v1, NOW).slice(1, 3), ["Deployment/web", "cpu: 30%/50%"], "a v1 object gives the same row");
});

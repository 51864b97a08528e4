// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler. Stored as v2. v1 knows only a CPU utilization
// target; what it cannot express (other metrics, conditions, behavior) rides in annotations, as Kubernetes does,
// so a v1 read-modify-write keeps it.
import type { HorizontalPodAutoscaler as HpaV1 } from "kubernetes-types/autoscaling/v1.js";
import type { HorizontalPodAutoscaler as HpaV2, MetricSpec, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import { deepClone, type StoredObject } from "../../api/object.js";

export const METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics";
export const CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics";
export const CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions";
export const BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior";

function isCpuUtilization(m: MetricSpec): boolean {
  return m.type === "Resource" && m.resource?.name === "cpu" && m.resource.target.type === "Utilization";
}

function parseAnnotation<T>(annotations: Record<string, string>, key: string): T | undefined {
  const raw = annotations[key];
  delete annotations[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

export function hpaV1ToV2(obj: StoredObject): StoredObject {
  const v1 = deepClone(obj) as unknown as HpaV1 & StoredObject;
  const annotations = { ...(v1.metadata.annotations ?? {}) };
  const metrics: MetricSpec[] = [];
  const target = v1.spec?.targetCPUUtilizationPercentage;
  if (target !== undefined) metrics.push({ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: target } } });
  metrics.push(...(parseAnnotation<MetricSpec[]>(annotations, METRICS_ANNOTATION) ?? []).filter((m) => !isCpuUtilization(m)));
  const currentMetrics: MetricStatus[] = [];
  const current = v1.status?.currentCPUUtilizationPercentage;
  if (current !== undefined) currentMetrics.push({ type: "Resource", resource: { name: "cpu", current: { averageUtilization: current } } });
  currentMetrics.push(...(parseAnnotation<MetricStatus[]>(annotations, CURRENT_METRICS_ANNOTATION) ?? []));
  const conditions = parseAnnotation<NonNullable<HpaV2["status"]>["conditions"]>(annotations, CONDITIONS_ANNOTATION);
  const behavior = parseAnnotation<NonNullable<HpaV2["spec"]>["behavior"]>(annotations, BEHAVIOR_ANNOTATION);
  const meta = { ...v1.metadata };
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  const out: Record<string, unknown> = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: meta };
  if (v1.spec) {
    const spec: Record<string, unknown> = { scaleTargetRef: v1.spec.scaleTargetRef, maxReplicas: v1.spec.maxReplicas };
    if (v1.spec.minReplicas !== undefined) spec.minReplicas = v1.spec.minReplicas;
    if (metrics.length > 0) spec.metrics = metrics;
    if (behavior) spec.behavior = behavior;
    out.spec = spec;
  }
  if (v1.status) {
    const st: Record<string, unknown> = { currentReplicas: v1.status.currentReplicas, desiredReplicas: v1.status.desiredReplicas };
    if (v1.status.observedGeneration !== undefined) st.observedGeneration = v1.status.observedGeneration;
    if (v1.status.lastScaleTime !== undefined) st.lastScaleTime = v1.status.lastScaleTime;
    if (currentMetrics.length > 0) st.currentMetrics = currentMetrics;
    if (conditions) st.conditions = conditions;
    out.status = st;
  }
  return out as StoredObject;
}

export function hpaV2ToV1(obj: StoredObject): StoredObject {
  const v2 = deepClone(obj) as unknown as HpaV2 & StoredObject;
  const annotations = { ...(v2.metadata.annotations ?? {}) };
  const out: Record<string, unknown> = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler" };
  if (v2.spec) {
    const metrics = v2.spec.metrics ?? [];
    const cpu = metrics.find(isCpuUtilization);
    const others = metrics.filter((m) => m !== cpu);
    if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
    if (v2.spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(v2.spec.behavior);
    const spec: Record<string, unknown> = { scaleTargetRef: v2.spec.scaleTargetRef, maxReplicas: v2.spec.maxReplicas };
    if (v2.spec.minReplicas !== undefined) spec.minReplicas = v2.spec.minReplicas;
    if (cpu?.resource?.target.averageUtilization !== undefined) spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
    out.spec = spec;
  }
  if (v2.status) {
    const cur = v2.status.currentMetrics ?? [];
    const cpu = cur.find((m) => m.type === "Resource" && m.resource?.name === "cpu");
    const others = cur.filter((m) => m !== cpu);
    if (others.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(others);
    if (v2.status.conditions?.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(v2.status.conditions);
    const st: Record<string, unknown> = { currentReplicas: v2.status.currentReplicas ?? 0, desiredReplicas: v2.status.desiredReplicas };
    if (v2.status.observedGeneration !== undefined) st.observedGeneration = v2.status.observedGeneration;
    if (v2.status.lastScaleTime !== undefined) st.lastScaleTime = v2.status.lastScaleTime;
    if (cpu?.resource?.current.averageUtilization !== undefined) st.currentCPUUtilizationPercentage = cpu.resource.current.averageUtilization;
    out.status = st;
  }
  const meta = { ...v2.metadata };
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  return { ...out, metadata: meta } as StoredObject;
}

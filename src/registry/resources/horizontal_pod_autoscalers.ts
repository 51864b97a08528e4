// autoscaling/v2 (stored) and v1 horizontalpodautoscalers: defaults (minReplicas 1, CPU 80%, scaling behavior),
// validation of targets and metrics, and the `kubectl get hpa` table.
import { deepClone } from "../../api/object.js";
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, HPAScalingRules, MetricSpec, MetricTarget } from "kubernetes-types/autoscaling/v2.js";
import type { ResourceDef } from "../types.js";
import { invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { quantityValue } from "../../api/validation/quantity.js";
import { ALL, AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa_conversion.js";

/** Without metrics, an HPA targets 80% average CPU utilization. */
const DEFAULT_CPU_UTILIZATION = 80;
const METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"];
const TARGET_TYPES = ["AverageValue", "Utilization", "Value"];
const SELECT_POLICIES = ["Disabled", "Max", "Min"];
/** The longest stabilization window Kubernetes accepts: one hour. */
const MAX_STABILIZATION_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;
/** Table TARGETS shows this many metrics, then "+ N more...". */
const SHOWN_METRICS = 3;

function scaleUpDefaults(r: HPAScalingRules): void {
  r.stabilizationWindowSeconds ??= 0;
  r.selectPolicy ??= "Max";
  r.policies ??= [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }];
}

function scaleDownDefaults(r: HPAScalingRules): void {
  // Five minutes of stable recommendations before scaling down avoids flapping.
  r.stabilizationWindowSeconds ??= 300;
  r.selectPolicy ??= "Max";
  r.policies ??= [{ type: "Percent", value: 100, periodSeconds: 15 }];
}

export function defaultHpaSpec(spec: HorizontalPodAutoscalerSpec): void {
  spec.minReplicas ??= 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (spec.behavior) {
    scaleUpDefaults((spec.behavior.scaleUp ??= {}));
    scaleDownDefaults((spec.behavior.scaleDown ??= {}));
  }
}

function validateTarget(t: MetricTarget | undefined, field: string): FieldError[] {
  if (!t) return [required(field)];
  const errs: FieldError[] = [];
  if (!TARGET_TYPES.includes(t.type)) errs.push(notSupported(`${field}.type`, t.type, TARGET_TYPES));
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) errs.push(invalid(`${field}.averageUtilization`, t.averageUtilization, "must be greater than 0"));
  for (const k of ["value", "averageValue"] as const) {
    if (t[k] !== undefined && !((quantityValue(t[k]) ?? 0) > 0)) errs.push(invalid(`${field}.${k}`, t[k], "must be positive"));
  }
  if (t.type === "Utilization" && t.averageUtilization === undefined) errs.push(required(`${field}.averageUtilization`, "must set averageUtilization when type is Utilization"));
  if (t.type === "AverageValue" && t.averageValue === undefined) errs.push(required(`${field}.averageValue`, "must set averageValue when type is AverageValue"));
  if (t.type === "Value" && t.value === undefined) errs.push(required(`${field}.value`, "must set value when type is Value"));
  return errs;
}

function validateMetric(m: MetricSpec, field: string): FieldError[] {
  if (!METRIC_TYPES.includes(m.type)) return [notSupported(`${field}.type`, m.type, METRIC_TYPES)];
  const keys: Record<string, "resource" | "containerResource" | "pods" | "object" | "external"> = { Resource: "resource", ContainerResource: "containerResource", Pods: "pods", Object: "object", External: "external" };
  const key = keys[m.type]!;
  const src = m[key] as { target?: MetricTarget; name?: string; metric?: { name?: string } } | undefined;
  if (!src) return [required(`${field}.${key}`, `must populate information for the given metric source (type ${m.type})`)];
  const errs = validateTarget(src.target, `${field}.${key}.target`);
  if ((key === "resource" || key === "containerResource") && !src.name) errs.push(required(`${field}.${key}.name`));
  if ((key === "pods" || key === "object" || key === "external") && !src.metric?.name) errs.push(required(`${field}.${key}.metric.name`));
  return errs;
}

function validateRules(r: HPAScalingRules | undefined, field: string): FieldError[] {
  if (!r) return [];
  const errs: FieldError[] = [];
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > MAX_STABILIZATION_SECONDS)) errs.push(invalid(`${field}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_SECONDS}`));
  if (r.selectPolicy && !SELECT_POLICIES.includes(r.selectPolicy)) errs.push(notSupported(`${field}.selectPolicy`, r.selectPolicy, SELECT_POLICIES));
  (r.policies ?? []).forEach((p, i) => {
    const f = `${field}.policies[${i}]`;
    if (p.type !== "Pods" && p.type !== "Percent") errs.push(notSupported(`${f}.type`, p.type, ["Percent", "Pods"]));
    if (!(p.value > 0)) errs.push(invalid(`${f}.value`, p.value, "must be greater than zero"));
    if (!(p.periodSeconds > 0 && p.periodSeconds <= MAX_PERIOD_SECONDS)) errs.push(invalid(`${f}.periodSeconds`, p.periodSeconds, `must be greater than zero and less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

function validate(h: HorizontalPodAutoscaler): FieldError[] {
  const spec = h.spec;
  if (!spec) return [required("spec")];
  const errs: FieldError[] = [];
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) errs.push(invalid("spec.minReplicas", spec.minReplicas, "must be greater than or equal to 1"));
  if (!(spec.maxReplicas >= 1)) errs.push(invalid("spec.maxReplicas", spec.maxReplicas, "must be greater than 0"));
  else if (spec.minReplicas !== undefined && spec.maxReplicas < spec.minReplicas) errs.push(invalid("spec.maxReplicas", spec.maxReplicas, "must be greater than or equal to `minReplicas`"));
  const ref = spec.scaleTargetRef;
  if (!ref?.kind) errs.push(required("spec.scaleTargetRef.kind"));
  if (!ref?.name) errs.push(required("spec.scaleTargetRef.name"));
  (spec.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
  errs.push(...validateRules(spec.behavior?.scaleUp, "spec.behavior.scaleUp"), ...validateRules(spec.behavior?.scaleDown, "spec.behavior.scaleDown"));
  return errs;
}

function metricCell(h: HorizontalPodAutoscaler, m: MetricSpec, i: number): string {
  const cur = h.status?.currentMetrics?.[i];
  const fmt = (t: MetricTarget | undefined, c: { averageUtilization?: number; averageValue?: unknown; value?: unknown } | undefined): string => {
    if (t?.type === "Utilization") return `${c?.averageUtilization !== undefined ? `${c.averageUtilization}%` : "<unknown>"}/${t.averageUtilization}%`;
    if (t?.type === "AverageValue") return `${c?.averageValue !== undefined ? String(c.averageValue) : "<unknown>"}/${String(t.averageValue)} (avg)`;
    return `${c?.value !== undefined ? String(c.value) : "<unknown>"}/${String(t?.value)}`;
  };
  switch (m.type) {
    case "Resource":
      return `${m.resource?.name}: ${fmt(m.resource?.target, cur?.resource?.current)}`;
    case "ContainerResource":
      return `${m.containerResource?.name}: ${fmt(m.containerResource?.target, cur?.containerResource?.current)}`;
    case "Pods":
      return fmt(m.pods?.target, cur?.pods?.current);
    case "Object":
      return fmt(m.object?.target, cur?.object?.current);
    case "External":
      return fmt(m.external?.target, cur?.external?.current);
    default:
      return "<unknown type>";
  }
}

export function hpaTargetsCell(h: HorizontalPodAutoscaler): string {
  const metrics = h.spec?.metrics ?? [];
  if (metrics.length === 0) return "<none>";
  const cells = metrics.map((m, i) => metricCell(h, m, i));
  const more = cells.length > SHOWN_METRICS ? ` + ${cells.length - SHOWN_METRICS} more...` : "";
  return cells.slice(0, SHOWN_METRICS).join(", ") + more;
}

export const horizontalPodAutoscalers: ResourceDef = {
  group: "autoscaling",
  kind: "HorizontalPodAutoscaler",
  resource: "horizontalpodautoscalers",
  singular: "horizontalpodautoscaler",
  namespaced: true,
  storageVersion: "v2",
  versions: [{ version: "v2" }, { version: "v1", toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 }],
  shortNames: ["hpa"],
  categories: ALL,
  status: true,
  strategy: {
    defaults(obj) {
      const h = as<HorizontalPodAutoscaler>(obj);
      if (h.spec) defaultHpaSpec(h.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { desiredReplicas: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validate(as<HorizontalPodAutoscaler>(obj)),
    validateUpdate: (obj) => validate(as<HorizontalPodAutoscaler>(obj)),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Reference", "string", "Reference to the target object to be scaled."),
      col("Targets", "string", "The metrics the autoscaler targets."),
      col("MinPods", "string", "Lower limit for the number of pods that can be set by the autoscaler, default 1."),
      col("MaxPods", "integer", "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas."),
      col("Replicas", "integer", "Current number of replicas of pods managed by this autoscaler."),
      AGE_COLUMN,
    ],
    cells(obj, now) {
      // Rows are built from the version the client asked for; v1 objects read as their v2 form.
      const h = as<HorizontalPodAutoscaler>(obj.apiVersion === "autoscaling/v1" ? hpaV1ToV2(obj) : obj);
      const ref = h.spec?.scaleTargetRef;
      return [
        obj.metadata.name, `${ref?.kind ?? ""}/${ref?.name ?? ""}`, hpaTargetsCell(h), h.spec?.minReplicas !== undefined ? String(h.spec.minReplicas) : "<unset>",
        h.spec?.maxReplicas ?? 0, h.status?.currentReplicas ?? 0, age(obj, now),
      ];
    },
  },
};

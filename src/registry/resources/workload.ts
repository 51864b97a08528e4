// What the apps/v1 workloads (deployments, replicasets, statefulsets, daemonsets) share: template defaulting,
// spec validation (selector matching the template, restartPolicy Always), selector immutability, scale paths.
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { StoredObject } from "../../api/object.js";
import type { ScaleDef } from "../types.js";
import { defaultPodSpec } from "../../api/defaults/pod_spec.js";
import { validatePodTemplateSpec, validateReplicas, validateSelectorAndTemplate } from "../../api/validation/pod_template.js";
import { immutable, nonnegative, type FieldError } from "../../api/validation/field.js";
import { labelSelectorToString } from "../../machinery/labels.js";

export interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export function specOf(obj: StoredObject): WorkloadSpec {
  return (obj.spec ?? {}) as WorkloadSpec;
}

export function defaultTemplate(tpl: PodTemplateSpec | undefined): void {
  if (tpl?.spec) defaultPodSpec(tpl.spec);
}

/** Selector, template (restartPolicy Always), replicas and the common counters of an apps/v1 workload. */
export function validateWorkloadSpec(spec: WorkloadSpec, kind: string): FieldError[] {
  const errs = validateSelectorAndTemplate(spec.selector, spec.template, kind);
  errs.push(...validatePodTemplateSpec(spec.template, "spec.template", { restartPolicies: ["Always"] }));
  errs.push(...validateReplicas(spec.replicas, "spec.replicas"));
  errs.push(...nonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...nonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  return errs;
}

/** apps/v1 selectors never change after creation. */
export function validateSelectorUnchanged(obj: StoredObject, old: StoredObject): FieldError[] {
  return immutable(specOf(obj).selector, specOf(old).selector, "spec.selector");
}

export const workloadScale: ScaleDef = {
  specReplicasPath: "spec.replicas",
  statusReplicasPath: "status.replicas",
  selector: (obj) => {
    try {
      return labelSelectorToString(specOf(obj).selector);
    } catch {
      return "";
    }
  },
};

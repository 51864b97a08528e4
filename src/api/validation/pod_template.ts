// Pod templates of workloads (ValidatePodTemplateSpec) and the selector rules every controller shares.
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { selectorFromLabelSelector, validateAnnotations, validateLabelSelector, validateLabels } from "../../machinery/labels.js";
import { invalid, required, type FieldError } from "./field.js";
import { validatePodSpec, type PodSpecOptions } from "./pod_spec.js";

export function validatePodTemplateSpec(tpl: PodTemplateSpec | undefined, field: string, opts: PodSpecOptions = {}): FieldError[] {
  if (!tpl) return [required(field)];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(tpl.metadata?.labels, `${field}.metadata.labels`));
  errs.push(...validateAnnotations(tpl.metadata?.annotations, `${field}.metadata.annotations`));
  errs.push(...validatePodSpec(tpl.spec, `${field}.spec`, opts));
  if (tpl.spec?.activeDeadlineSeconds !== undefined && opts.restartPolicies?.includes("Always")) {
    errs.push(invalid(`${field}.spec.activeDeadlineSeconds`, tpl.spec.activeDeadlineSeconds, "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errs;
}

/**
 * A workload's LabelSelector: required, not empty, valid, and matching its template's labels (else the controller
 * would create pods it does not own). `kind` names the controller in Kubernetes' messages ("deployment").
 */
export function validateSelectorAndTemplate(selector: LabelSelector | undefined, tpl: PodTemplateSpec | undefined, kind: string, base = "spec"): FieldError[] {
  if (!selector) return [required(`${base}.selector`)];
  const errs = validateLabelSelector(selector, `${base}.selector`);
  if (errs.length > 0) return errs;
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
  if (empty) return [invalid(`${base}.selector`, selector, `empty selector is invalid for ${kind}`)];
  let matches = false;
  try {
    matches = selectorFromLabelSelector(selector).matches(tpl?.metadata?.labels ?? {});
  } catch {
    return [invalid(`${base}.selector`, selector, "invalid label selector")];
  }
  if (!matches) errs.push(invalid(`${base}.template.metadata.labels`, tpl?.metadata?.labels ?? {}, "`selector` does not match template `labels`"));
  return errs;
}

/** Replicas-like counts: at least zero. */
export function validateReplicas(n: number | undefined, field: string): FieldError[] {
  return n !== undefined && n < 0 ? [invalid(field, n, "must be greater than or equal to 0")] : [];
}

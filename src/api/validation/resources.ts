// Resource requirements of containers (ValidateResourceRequirements): names, quantities, requests <= limits.
import type { ResourceRequirements } from "kubernetes-types/core/v1.js";
import { invalid, notSupported, type FieldError } from "./field.js";
import { isQualifiedName } from "./names.js";
import { QUANTITY_SYNTAX_ERROR, quantityValue } from "./quantity.js";

const STANDARD_CONTAINER_RESOURCES = ["cpu", "memory", "ephemeral-storage"];

/** Resource names volumes are sized in. */
export const STORAGE_RESOURCES = ["storage"];

function isStandardOrExtended(name: string, standard: readonly string[]): boolean {
  if (standard.includes(name) || name.startsWith("hugepages-")) return true;
  // Extended resources are fully qualified and outside the kubernetes.io domain.
  return name.includes("/") && !name.includes("kubernetes.io/") && isQualifiedName(name).length === 0;
}

/** Errors at `${field}.limits[name]` / `${field}.requests[name]`. */
export function validateResourceList(list: Record<string, unknown> | undefined, field: string, standard: readonly string[] = STANDARD_CONTAINER_RESOURCES): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(list ?? {})) {
    const p = `${field}[${name}]`;
    if (!isStandardOrExtended(name, standard)) {
      for (const m of isQualifiedName(name)) errs.push(invalid(p, name, m));
      if (isQualifiedName(name).length === 0) errs.push(notSupported(p, name, standard));
      continue;
    }
    const v = quantityValue(q);
    if (v === undefined) errs.push(invalid(p, q, QUANTITY_SYNTAX_ERROR));
    else if (v < 0) errs.push(invalid(p, q, "must be greater than or equal to 0"));
    else if (!standard.includes(name) && !name.startsWith("hugepages-") && !Number.isInteger(v)) {
      errs.push(invalid(p, q, "must be an integer"));
    }
  }
  return errs;
}

export function validateResourceRequirements(r: ResourceRequirements | undefined, field: string): FieldError[] {
  if (!r) return [];
  const errs = [...validateResourceList(r.limits, `${field}.limits`), ...validateResourceList(r.requests, `${field}.requests`)];
  for (const [name, req] of Object.entries(r.requests ?? {})) {
    const lim = r.limits?.[name];
    const rv = quantityValue(req);
    const lv = quantityValue(lim);
    if (lim !== undefined && rv !== undefined && lv !== undefined && rv > lv) {
      errs.push(invalid(`${field}.requests[${name}]`, req, `must be less than or equal to ${name} limit of ${String(lim)}`));
    }
    // Extended resources cannot be overcommitted: a request needs an equal limit.
    if (name.includes("/") && !name.includes("kubernetes.io/") && lim !== undefined && rv !== lv) {
      errs.push(invalid(`${field}.requests[${name}]`, req, "must be equal to " + name + " limit of " + String(lim)));
    }
  }
  return errs;
}

// IntOrString fields that are counts or percentages (maxSurge, maxUnavailable, minAvailable).
import { invalid, type FieldError } from "./field.js";

const PERCENT_RE = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent: a non-negative integer or "N%". */
export function validateIntOrPercent(v: number | string | undefined, field: string): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === "number") return v < 0 ? [invalid(field, v, "must be greater than or equal to 0")] : [];
  if (!PERCENT_RE.test(v)) return [invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  return [];
}

/** A percentage over 100 (or any integer) where only up to 100% makes sense. */
export function validatePercentAtMost100(v: number | string | undefined, field: string): FieldError[] {
  if (typeof v === "string" && PERCENT_RE.test(v) && Number(v.slice(0, -1)) > 100) return [invalid(field, v, "must not be greater than 100%")];
  return [];
}

/** Whether an IntOrString counts as zero ("0%" or 0). */
export function isZero(v: number | string | undefined): boolean {
  return v === 0 || v === "0%" || v === undefined;
}

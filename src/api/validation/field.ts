// Constructors for field errors with Kubernetes' wording, and small checks every resource validation shares
// (k8s.io/apimachinery/pkg/util/validation/field and apimachinery's ValidateNonnegativeField & co).
import type { FieldError } from "../../machinery/errors.js";

export type { FieldError };

export const required = (field: string, detail = ""): FieldError => ({ type: "FieldValueRequired", field, detail });
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
export const forbidden = (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: "FieldValueDuplicate", field, value, detail: "" });
export const tooLong = (field: string, max: number): FieldError => ({ type: "FieldValueTooLong", field, detail: `may not be more than ${max} bytes` });
export const tooMany = (field: string, actual: number, max: number): FieldError => ({ type: "FieldValueTooMany", field, value: actual, detail: `must have at most ${max} items` });

/** field.NotSupported: the detail lists the allowed values, quoted, in the order given. */
export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  return { type: "FieldValueNotSupported", field, value, detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(", ")}` };
}

/** Structural equality of decoded JSON values; `undefined` members count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** ValidateImmutableField: a field that may not change once set. */
export function immutable(newValue: unknown, oldValue: unknown, field: string): FieldError[] {
  return deepEqual(newValue, oldValue) ? [] : [invalid(field, newValue, "field is immutable")];
}

export function nonnegative(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(field, value, "must be greater than or equal to 0")] : [];
}

export function positive(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value <= 0 ? [invalid(field, value, "must be greater than zero")] : [];
}

export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

// IntOrString (maxSurge, maxUnavailable, targetPort...): an integer or a percentage string, scaled the way
// Kubernetes' intstr.GetScaledValueFromIntOrPercent does it (float arithmetic, then ceil or floor).
import type { FieldError } from "./errors.js";
import { regexError } from "./label_validation.js";

export type IntOrString = number | string;

/** An IntOrString that cannot be scaled. */
export class IntOrStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntOrStringError";
  }
}

/** strconv.Atoi: optional sign and decimal digits within int64. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return undefined;
  return Number(n);
}

/** The integer, or the number before "%" with isPercent; throws IntOrStringError for anything else. */
export function intOrPercentValue(v: IntOrString): { value: number; isPercent: boolean } {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new IntOrStringError("invalid value for IntOrString: invalid type: neither int nor percentage");
    return { value: v, isPercent: false };
  }
  if (typeof v !== "string") throw new IntOrStringError("invalid value for IntOrString: invalid type: neither int nor percentage");
  if (!v.endsWith("%")) throw new IntOrStringError("invalid value for IntOrString: invalid type: string is not a percentage");
  const body = v.slice(0, -1);
  const n = atoi(body);
  if (n === undefined) {
    throw new IntOrStringError(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(body)}: invalid syntax`);
  }
  return { value: n, isPercent: true };
}

/**
 * An integer as is, or a percentage of `total` rounded up or down: "25%" of 10 is 3 rounded up, 2 down.
 * Undefined (a nil IntOrString) and non-percentage strings throw IntOrStringError.
 */
export function scaledValueFromIntOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) throw new IntOrStringError("nil value for IntOrString");
  const { value, isPercent } = intOrPercentValue(v);
  if (!isPercent) return value;
  const scaled = (value * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

const PERCENT_FMT = "[0-9]+%";
const PERCENT_RE = /^[0-9]+%$/;

/** apps validation ValidatePositiveIntOrPercent: a non-negative integer or a "N%" string. */
export function validatePositiveIntOrPercent(v: IntOrString, fieldPath: string): FieldError[] {
  if (typeof v === "string") {
    if (PERCENT_RE.test(v)) return [];
    return [{ type: "FieldValueInvalid", field: fieldPath, value: v, detail: regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, "1%", "93%") }];
  }
  if (typeof v === "number" && Number.isInteger(v)) {
    return v < 0 ? [{ type: "FieldValueInvalid", field: fieldPath, value: v, detail: "must be greater than or equal to 0" }] : [];
  }
  return [{ type: "FieldValueInvalid", field: fieldPath, value: v, detail: "must be an integer or percentage (e.g '5%')" }];
}

/** apps validation IsNotMoreThan100Percent: only percentages are checked. */
export function validateNotMoreThan100Percent(v: IntOrString, fieldPath: string): FieldError[] {
  if (typeof v !== "string" || !PERCENT_RE.test(v)) return [];
  const n = Number(v.slice(0, -1));
  return n <= 100 ? [] : [{ type: "FieldValueInvalid", field: fieldPath, value: v, detail: "must not be greater than 100%" }];
}

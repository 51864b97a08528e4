// Quantities in resource requirements ("100m", "1Gi", "2e3"): syntax and value, for validation and comparisons.
// Validation only needs to know whether a string is a quantity and to compare two of them.
import { parseQuantity } from "../../machinery/quantity.js";

/** The numeric value of a quantity string, or undefined when it is not one (parsed by machinery/quantity.ts, the
 *  one quantity grammar in the project). */
export function quantityValue(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const known = values.get(q);
  if (known !== undefined || values.has(q)) return known;
  let v: number | undefined;
  try {
    v = Number(parseQuantity(q).nanos) / 1e9;
  } catch {
    v = undefined;
  }
  if (values.size >= VALUES_MAX) values.clear();
  values.set(q, v);
  return v;
}

/** Values by text: every pod's create parses its few quantity strings ("100m", "128Mi") several times over
 *  (defaults, QoS class, validation), each parse microseconds of BigInt arithmetic. Bounded: cleared when full. */
const values = new Map<string, number | undefined>();
const VALUES_MAX = 4096;

export const QUANTITY_SYNTAX_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// Quantities in resource requirements ("100m", "1Gi", "2e3"): syntax and value, for validation and comparisons.
// Validation only needs to know whether a string is a quantity and to compare two of them.
import { parseQuantity } from "../../machinery/quantity.js";

/** The numeric value of a quantity string, or undefined when it is not one (parsed by machinery/quantity.ts, the
 *  one quantity grammar in the project). */
export function quantityValue(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  try {
    return Number(parseQuantity(q).nanos) / 1e9;
  } catch {
    return undefined;
  }
}

export const QUANTITY_SYNTAX_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

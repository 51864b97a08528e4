// Label selectors as Kubernetes parses, matches and prints them (k8s.io/apimachinery/pkg/labels and
// metav1.LabelSelector). The string form is what `?labelSelector=` and `kubectl -l` carry.
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { errors, fieldErrorMessage, type FieldError } from "./errors.js";
import { isQualifiedName, isValidLabelValue, validateLabelName, validateLabels } from "./label_validation.js";

export { validateLabels, validateAnnotations } from "./label_validation.js";

/** Operators as selection.Operator spells them. */
export type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  key: string;
  operator: Operator;
  /** In/NotIn: the set (sorted, unique when parsed); exact and Gt/Lt: one value; Exists/DoesNotExist: none. */
  values: string[];
}

export interface Selector {
  matches(labels?: Record<string, string> | null): boolean;
  /** True for the selector that matches everything (no requirements). */
  empty(): boolean;
  toString(): string;
  requirements(): Requirement[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in int64 range. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** NewRequirement's checks: the errors Kubernetes reports for a key, operator and values. */
export function requirementErrors(key: string, operator: Operator, values: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const keyMsgs = isQualifiedName(key);
  if (keyMsgs.length > 0) return [{ type: "FieldValueInvalid", field: "key", value: key, detail: keyMsgs.join("; ") }];
  const inv = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0) errs.push(inv("values", values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) errs.push(inv("values", values, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (values.length !== 0) errs.push(inv("values", values, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) errs.push(inv("values", values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(inv(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push({ type: "FieldValueNotSupported", field: "operator", value: operator, detail: 'supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"' });
  }
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(inv(`values[${i}]`, v, msgs.join("; ")));
  });
  return errs;
}

/** Kubernetes' aggregate error text: one message alone, several as "[a, b]". */
export function aggregate(errs: FieldError[]): string {
  return errs.length === 1 ? fieldErrorMessage(errs[0]!) : `[${errs.map(fieldErrorMessage).join(", ")}]`;
}

/** Builds a checked requirement; invalid input throws a 400 naming the problem. */
export function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const errs = requirementErrors(key, operator, values);
  if (errs.length > 0) throw errors.badRequest(aggregate(errs));
  return { key, operator, values: [...values] };
}

export function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return has && r.values.includes(v!);
    case "notin":
    case "!=":
      return !has || !r.values.includes(v!);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(v!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
}

export function requirementToString(r: Requirement): string {
  let s = r.operator === "!" ? `!${r.key}` : r.key;
  switch (r.operator) {
    case "exists":
    case "!":
      return s;
    case "in":
    case "notin":
      return `${s} ${r.operator} (${[...r.values].sort().join(",")})`;
    case "gt":
      s += ">";
      break;
    case "lt":
      s += "<";
      break;
    default:
      s += r.operator;
  }
  return s + (r.values.length === 1 ? r.values[0] : [...r.values].sort().join(","));
}

class RequirementsSelector implements Selector {
  private readonly reqs: Requirement[];
  constructor(reqs: Requirement[]) {
    // Kubernetes keeps requirements sorted by key: that is the order String() prints them in.
    this.reqs = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels?: Record<string, string> | null): boolean {
    const l = labels ?? {};
    return this.reqs.every((r) => requirementMatches(r, l));
  }
  empty(): boolean {
    return this.reqs.length === 0;
  }
  toString(): string {
    return this.reqs.map(requirementToString).join(",");
  }
  requirements(): Requirement[] {
    return this.reqs.map((r) => ({ ...r, values: [...r.values] }));
  }
}

/** Matches every object (labels.Everything()). */
export function everything(): Selector {
  return new RequirementsSelector([]);
}

/** Matches no object (labels.Nothing(), what a null LabelSelector means). */
export function nothing(): Selector {
  return { matches: () => false, empty: () => false, toString: () => "", requirements: () => [] };
}

export function selectorFromRequirements(reqs: Requirement[]): Selector {
  return new RequirementsSelector(reqs);
}

/**
 * A selector from a plain map: every key equals its value (labels.SelectorFromSet). Like Kubernetes it does
 * not validate: the map normally comes from an object that was validated already.
 */
export function selectorFromSet(set: Record<string, string> | undefined | null): Selector {
  return new RequirementsSelector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: "=" as const, values: [v] })));
}

const LABEL_SELECTOR_OPS: Record<string, Operator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, {} matches everything; matchLabels become
 * equality requirements, matchExpressions In/NotIn/Exists/DoesNotExist. Invalid input throws a 400.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing();
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everything();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, "=", [v]));
  for (const e of exprs) {
    const op = LABEL_SELECTOR_OPS[e.operator];
    if (!op) throw errors.badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new RequirementsSelector(reqs);
}

/** The string form of a LabelSelector, as a Scale's status.selector shows it ("" for the empty selector). */
export function labelSelectorToString(ls: LabelSelector | null | undefined): string {
  return selectorFromLabelSelector(ls).toString();
}

/** metav1.FormatLabelSelector, what kubectl describe prints: "<none>" for empty, "<error>" for invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  try {
    return selectorFromLabelSelector(ls).toString() || "<none>";
  } catch {
    return "<error>";
  }
}

/** metav1 ValidateLabelSelector: field errors for an object's spec.selector. */
export function validateLabelSelector(ls: LabelSelector | null | undefined, fieldPath: string): FieldError[] {
  if (!ls) return [];
  const errs = validateLabels(ls.matchLabels, `${fieldPath}.matchLabels`);
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = `${fieldPath}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) errs.push({ type: "FieldValueRequired", field: `${p}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) errs.push({ type: "FieldValueForbidden", field: `${p}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push({ type: "FieldValueInvalid", field: `${p}.operator`, value: e.operator, detail: "not a valid selector operator" });
    }
    errs.push(...validateLabelName(e.key, `${p}.key`));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push({ type: "FieldValueInvalid", field: `${p}.values[${j}]`, value: v, detail: m });
    });
  });
  return errs;
}

export { parseSelector } from "./label_selector_parser.js";

// Field selectors as Kubernetes parses and matches them (k8s.io/apimachinery/pkg/fields): comma-joined terms
// `field=value`, `field==value`, `field!=value`. In values, `\`, `,` and `=` are escaped with a backslash.
// Which fields a resource supports is the registry's business (its field attributes); this file is syntax.
import { errors } from "./errors.js";

export type FieldOperator = "=" | "!=";

export interface FieldRequirement {
  field: string;
  /** "==" is read as "=": Kubernetes keeps no difference once parsed. */
  op: FieldOperator;
  value: string;
}

export interface FieldSelector {
  /** A missing attribute reads as "": `spec.nodeName=` selects unscheduled pods. */
  matches(attrs: Record<string, string>): boolean;
  requirements(): FieldRequirement[];
  empty(): boolean;
  toString(): string;
  /** The value `field` must equal for anything to match (fields.RequiresExactMatch), if the selector pins it. */
  requiresExactMatch(field: string): string | undefined;
}

/** Escapes a value for use in a field selector string (fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undoes escapeFieldValue; unknown escapes and bare `,` `=` are errors (fields.UnescapeValue). */
export function unescapeFieldValue(s: string): string {
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === "\\") {
      inSlash = true;
    } else if (c === "," || c === "=") {
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  if (s === "") return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator position wins; at one position "!=" and "==" are tried before "=". */
function splitTerm(term: string): { lhs: string; op: "!=" | "==" | "="; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ["!=", "==", "="] as const) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

class TermsSelector implements FieldSelector {
  constructor(private readonly reqs: FieldRequirement[]) {}
  matches(attrs: Record<string, string>): boolean {
    return this.reqs.every((r) => {
      const v = Object.prototype.hasOwnProperty.call(attrs, r.field) ? attrs[r.field] : "";
      return r.op === "=" ? v === r.value : v !== r.value;
    });
  }
  requirements(): FieldRequirement[] {
    return this.reqs.map((r) => ({ ...r }));
  }
  empty(): boolean {
    return this.reqs.length === 0;
  }
  toString(): string {
    return this.reqs.map((r) => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(",");
  }
  requiresExactMatch(field: string): string | undefined {
    return this.reqs.find((r) => r.field === field && r.op === "=")?.value;
  }
}

/**
 * Parses a field selector string. Terms are sorted (as Kubernetes does), so toString() is canonical.
 * No whitespace trimming: `a = b` names the field "a " — Kubernetes then rejects it as an unsupported field.
 * Bad syntax throws a 400 BadRequest.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part === "") continue;
    const t = splitTerm(part);
    if (!t) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    reqs.push({ field: t.lhs, op: t.op === "!=" ? "!=" : "=", value: unescapeFieldValue(t.rhs) });
  }
  return new TermsSelector(reqs);
}

/** A selector requiring each field to equal its value (fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Record<string, string>): FieldSelector {
  return new TermsSelector(
    Object.keys(set)
      .sort()
      .map((field) => ({ field, op: "=" as const, value: set[field]! })),
  );
}

/** The selector that matches everything. */
export function everythingFields(): FieldSelector {
  return new TermsSelector([]);
}

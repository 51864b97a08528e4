// The label selector string grammar, as Kubernetes' labels.Parse reads it:
//   selector    := <requirement> [ "," <requirement> ]*
//   requirement := [ "!" ] KEY [ <op> <value> | ("in" | "notin") "(" <values> ")" ]
//   op          := "=" | "==" | "!=" | ">" | "<"
// Whitespace between tokens is ignored. A key alone means "exists", "!key" means "does not exist".
import { errors } from "./errors.js";
import { aggregate, requirementErrors, selectorFromRequirements, type Operator, type Requirement, type Selector } from "./labels.js";

type Tok = "id" | "eos" | "!" | "!=" | "=" | "==" | ">" | "<" | "(" | ")" | "," | "in" | "notin";

interface Token {
  tok: Tok;
  lit: string;
}

const SYMBOLS = new Set(["!", "=", "(", ")", ",", ">", "<"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

/** Splits into tokens. "in" and "notin" are keywords only where an operator may stand (see Parser.next). */
function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (WHITESPACE.has(c)) {
      i++;
    } else if (SYMBOLS.has(c)) {
      const two = s.slice(i, i + 2);
      if (two === "!=" || two === "==") {
        out.push({ tok: two, lit: two });
        i += 2;
      } else {
        out.push({ tok: c as Tok, lit: c });
        i++;
      }
    } else {
      let j = i;
      while (j < s.length && !WHITESPACE.has(s[j]!) && !SYMBOLS.has(s[j]!)) j++;
      const lit = s.slice(i, j);
      out.push({ tok: lit === "in" || lit === "notin" ? lit : "id", lit });
      i = j;
    }
  }
  out.push({ tok: "eos", lit: "" });
  return out;
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  /** Where values stand, "in"/"notin" are plain identifiers (so `a=in` and a key named `in` are allowed). */
  private peek(opContext = false): Token {
    const t = this.toks[this.pos]!;
    return !opContext && (t.tok === "in" || t.tok === "notin") ? { tok: "id", lit: t.lit } : t;
  }
  private next(opContext = false): Token {
    const t = this.peek(opContext);
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.tok === "eos") return reqs;
      if (t.tok !== "id" && t.tok !== "!") throw new ParseError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const after = this.next();
      if (after.tok === "eos") return reqs;
      if (after.tok !== ",") throw new ParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.tok !== "id" && t2.tok !== "!") throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    let negated = false;
    if (t.tok === "!") {
      negated = true;
      t = this.next();
    }
    if (t.tok !== "id") throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const la = this.peek().tok;
    if (negated || la === "eos" || la === ",") return this.build(key, negated ? "!" : "exists", []);
    const op = this.operator();
    const values = op === "in" || op === "notin" ? this.setValues() : [this.exactValue()];
    return this.build(key, op, values);
  }

  private build(key: string, op: Operator, values: string[]): Requirement {
    const errs = requirementErrors(key, op, values);
    if (errs.length > 0) throw new ParseError(`unable to parse requirement: ${aggregate(errs)}`);
    return { key, operator: op, values };
  }

  private operator(): Operator {
    const t = this.next(true);
    switch (t.tok) {
      case "=":
      case "==":
      case "!=":
      case "in":
      case "notin":
        return t.tok;
      case ">":
        return "gt";
      case "<":
        return "lt";
      default:
        throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** After =, ==, !=, >, <: one identifier, or nothing (the empty value) before "," or the end. */
  private exactValue(): string {
    const la = this.peek();
    if (la.tok === "eos" || la.tok === ",") return "";
    const t = this.next();
    if (t.tok === "id") return t.lit;
    throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: identifier`);
  }

  /** "(" values ")": empty entries (`()`, `(a,,b)`, `(,a)`) stand for the empty value. Sorted and unique. */
  private setValues(): string[] {
    const open = this.next();
    if (open.tok !== "(") throw new ParseError(`unable to parse requirement: found '${open.lit}' expected: '('`);
    const set = new Set<string>();
    if (this.peek().tok === ")") {
      this.next();
      return [""];
    }
    let expectValue = true;
    for (;;) {
      const t = this.next();
      if (t.tok === "id" && expectValue) {
        set.add(t.lit);
        expectValue = false;
      } else if (t.tok === ",") {
        if (expectValue) set.add("");
        expectValue = true;
      } else if (t.tok === ")") {
        if (expectValue) set.add("");
        return [...set].sort();
      } else {
        const want = expectValue ? "',', ')' or identifier" : "',' or ')'";
        throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: ${want}`);
      }
    }
  }
}

/**
 * Parses a label selector string ("app=web,tier in (a,b),!canary"). The empty string selects everything.
 * Bad input throws a 400 BadRequest whose message names the offending token or value.
 */
export function parseSelector(s: string): Selector {
  try {
    return selectorFromRequirements(new Parser(lex(s)).parse());
  } catch (e) {
    // The message is labels.Parse's own, which is what the API server sends back for a bad ?labelSelector=.
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

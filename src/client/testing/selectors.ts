// Label and field selector matching for the fake API server: the string forms `?labelSelector=` and
// `?fieldSelector=` carry (equality, inequality, set-based and existence requirements).
import type { KubeObject } from "../../api/object.js";
import { errors } from "../../machinery/errors.js";

export type Matcher = (obj: KubeObject) => boolean;

/** Splits on commas outside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"]. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== "");
}

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map((r): ((l: Record<string, string>) => boolean) => {
    let m: RegExpMatchArray | null;
    if ((m = r.match(/^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(",").map((v) => v.trim());
      return op === "in" ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l) || !values.includes(l[key]!);
    }
    if ((m = r.match(/^!\s*([^\s!=(),]+)$/))) return (l) => !(m![1]! in l);
    if ((m = r.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if ((m = r.match(/^([^\s!=(),]+)$/))) return (l) => m![1]! in l;
    throw errors.badRequest(`unable to parse requirement: ${JSON.stringify(r)}`);
  });
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    return reqs.every((r) => r(labels));
  };
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split(".")) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[part] : undefined;
  return cur === undefined || cur === null ? "" : String(cur);
}

export function fieldMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map((r): Matcher => {
    const m = r.match(/^([^!=]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid field selector: ${JSON.stringify(r)}`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    return op === "!=" ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value;
  });
  return (obj) => reqs.every((r) => r(obj));
}

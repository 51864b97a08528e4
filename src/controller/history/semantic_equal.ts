// Status comparison that does not depend on how a server serialized an object: key order, and absent vs. empty
// (null, [], {}) do not count as differences. Controllers compare the status they computed with the stored one
// this way, so a server that orders or prunes fields differently cannot make them write forever.
import { canonicalJson } from "./revisions.js";

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(prune) : undefined;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(prune(a) ?? null) === canonicalJson(prune(b) ?? null);
}

// The shape every stored API object shares. Typed resources come from the `kubernetes-types` package
// (type-only imports, erased at build); this file holds what generic code needs.
import type { ObjectMeta, ListMeta } from "kubernetes-types/meta/v1.js";

export type { ObjectMeta, ListMeta };

/** Any Kubernetes object as decoded JSON: apiVersion/kind, metadata, and resource-specific fields. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object whose metadata is known to be present (after decoding and defaulting). */
export interface StoredObject extends KubeObject {
  metadata: ObjectMeta;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** A deep copy. Plain objects, arrays and primitives (everything JSON decodes to) are copied directly, several
 *  times faster than structuredClone; anything else (Date, Map, class instances) goes through structuredClone. */
export function deepClone<T>(v: T): T {
  return cloneValue(v) as T;
}

function cloneValue(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = cloneValue(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const c = cloneValue((v as Record<string, unknown>)[k]);
    // A decoded "__proto__" key is an own property; plain assignment would set the copy's prototype instead.
    if (k === "__proto__") Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}

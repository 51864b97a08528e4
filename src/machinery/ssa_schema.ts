// How server-side apply sees a value through its OpenAPI schema: a leaf (scalar or atomic), a granular map
// (struct fields or map entries), an associative list keyed by x-kubernetes-list-map-keys, or a set.
// Lists without x-kubernetes-list-type fall back to the patch strategy (merge + merge key -> keyed list,
// merge without key -> set) and are otherwise atomic, as Kubernetes derives them. Values without a schema
// are "deduced": maps are granular, lists atomic.
import { errors } from "./errors.js";
import { jsonEqual } from "./json_patch.js";
import { derefSchema, type OpenAPISchema, type SchemaResolver } from "./openapi_schema.js";
import { FieldSet, pathString as pathStringOf, type FieldPath, type PathElement } from "./field_set.js";

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Defaults of list-map key fields, for schemas that do not carry them: in Kubernetes the only defaulted key
 * is `protocol` (container, service and endpoint ports). Without it, an applied `{containerPort: 80}` would
 * not match the stored, defaulted `{containerPort: 80, protocol: TCP}`.
 */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: "TCP" };

export type Shape =
  | { kind: "leaf" }
  | { kind: "map"; struct: boolean; child: (key: string) => { schema: OpenAPISchema | undefined; declared: boolean; required: boolean } }
  | { kind: "list"; item: OpenAPISchema | undefined; keyOf: (item: unknown) => PathElement };

/** Reads an extension from the property schema first, then from what it refers to. */
function ext<K extends keyof OpenAPISchema>(s: OpenAPISchema | undefined, name: K, resolver: SchemaResolver): OpenAPISchema[K] | undefined {
  if (!s) return undefined;
  return s[name] ?? derefSchema(s, resolver)?.[name];
}

export class SchemaView {
  constructor(readonly resolver: SchemaResolver) {}

  shape(schema: OpenAPISchema | undefined, value: unknown): Shape {
    const s = derefSchema(schema, this.resolver);
    if (Array.isArray(value)) return this.listShape(schema, s);
    if (!isObj(value)) return { kind: "leaf" };
    if (ext(schema, "x-kubernetes-map-type", this.resolver) === "atomic") return { kind: "leaf" };
    if (s && s.type !== undefined && s.type !== "object" && !s["x-kubernetes-preserve-unknown-fields"]) return { kind: "leaf" };
    const props = s?.properties;
    const additional = typeof s?.additionalProperties === "object" ? s.additionalProperties : undefined;
    const required = new Set(s?.required ?? []);
    return {
      kind: "map",
      struct: !!props,
      child: (key) => {
        if (props && Object.prototype.hasOwnProperty.call(props, key)) return { schema: props[key], declared: true, required: required.has(key) };
        return { schema: additional, declared: false, required: false };
      },
    };
  }

  private listShape(schema: OpenAPISchema | undefined, s: OpenAPISchema | undefined): Shape {
    const item = s?.items;
    let listType = ext(schema, "x-kubernetes-list-type", this.resolver);
    let keys = ext(schema, "x-kubernetes-list-map-keys", this.resolver) ?? [];
    if (!listType) {
      const strategy = ext(schema, "x-kubernetes-patch-strategy", this.resolver) ?? "";
      const mergeKey = ext(schema, "x-kubernetes-patch-merge-key", this.resolver);
      if (strategy.split(",").includes("merge")) {
        listType = mergeKey ? "map" : "set";
        keys = mergeKey ? [mergeKey] : [];
      }
    }
    if (listType === "map" && keys.length > 0) {
      const itemProps = derefSchema(item, this.resolver)?.properties ?? {};
      const sorted = [...keys].sort();
      return {
        kind: "list",
        item,
        keyOf: (v) => {
          if (!isObj(v)) throw errors.badRequest(`associative list with keys has an element that is not a map: ${JSON.stringify(v)}`);
          const key: Obj = {};
          for (const k of sorted) {
            const val = v[k] ?? derefSchema(itemProps[k], this.resolver)?.default ?? KEY_DEFAULTS[k];
            if (val !== undefined && val !== null) key[k] = val;
          }
          if (Object.keys(key).length === 0) throw errors.badRequest(`associative list with keys has an element that omits key field ${JSON.stringify(sorted[0])}`);
          return `k:${JSON.stringify(key)}`;
        },
      };
    }
    if (listType === "set") return { kind: "list", item, keyOf: (v) => `v:${JSON.stringify(v)}` };
    return { kind: "leaf" };
  }

  /** List items by key; duplicate keys in one list are refused, as Kubernetes does for applied configurations. */
  index(list: unknown[], keyOf: (item: unknown) => PathElement, where: string): Map<PathElement, unknown> {
    const m = this.tryIndex(list, keyOf);
    if (!m) throw errors.badRequest(`${where}: duplicate entries for key ${duplicateKey(list, keyOf)}`);
    return m;
  }

  /**
   * List items by key, or undefined when a key repeats or is missing: stored objects may hold such lists
   * (duplicate env names are legal), and they must never make a write fail.
   */
  tryIndex(list: unknown[], keyOf: (item: unknown) => PathElement): Map<PathElement, unknown> | undefined {
    const m = new Map<PathElement, unknown>();
    for (const v of list) {
      let k: PathElement;
      try {
        k = keyOf(v);
      } catch {
        return undefined;
      }
      if (m.has(k)) return undefined;
      m.set(k, v);
    }
    return m;
  }

  /**
   * The fields an applied configuration sets (Kubernetes' ToFieldSet): every scalar and atomic value, every
   * list item, map entries that are not declared struct fields, and explicit nulls or empty maps.
   */
  fieldSet(value: unknown, schema: OpenAPISchema | undefined): FieldSet {
    const set = new FieldSet();
    const walk = (v: unknown, s: OpenAPISchema | undefined, path: FieldPath) => {
      const shape = this.shape(s, v);
      if (shape.kind === "leaf") {
        if (path.length > 0) set.insert(path);
        return;
      }
      if (shape.kind === "map") {
        for (const [k, child] of Object.entries(v as Obj)) {
          const c = shape.child(k);
          const p = [...path, `f:${k}`];
          walk(child, c.schema, p);
          if (child === null || (isObj(child) && Object.keys(child).length === 0) || !c.declared) set.insert(p);
        }
        return;
      }
      for (const [key, item] of this.index(v as unknown[], shape.keyOf, pathStringOf(path))) {
        const p = [...path, key];
        walk(item, shape.item, p);
        set.insert(p);
      }
    };
    walk(value, schema, []);
    return set;
  }

  /** A struct-typed (declared properties) granular map: in Kubernetes its zero value exists before it is set. */
  private isStruct(schema: OpenAPISchema | undefined): boolean {
    const s = derefSchema(schema, this.resolver);
    return !!s?.properties && ext(schema, "x-kubernetes-map-type", this.resolver) !== "atomic";
  }

  /**
   * What changed from `before` to `after`: leaves added, modified, removed. Lists and maps that appear or
   * disappear count themselves too, except where Kubernetes' typed objects already hold a zero value: struct
   * fields and required fields below the root or below anything that existed before (a new list item or map
   * entry has no zero-valued skeleton, so everything in it appears).
   */
  compare(before: unknown, after: unknown, schema: OpenAPISchema | undefined): { added: FieldSet; modified: FieldSet; removed: FieldSet } {
    const added = new FieldSet();
    const modified = new FieldSet();
    const removed = new FieldSet();
    const walk = (a: unknown, b: unknown, s: OpenAPISchema | undefined, path: FieldPath, skeleton: boolean) => {
      const an = a === null ? undefined : a;
      const bn = b === null ? undefined : b;
      if (an === undefined && bn === undefined) return;
      const sa = an === undefined ? undefined : this.shape(s, an);
      const sb = bn === undefined ? undefined : this.shape(s, bn);
      const container = (sa ?? sb)!;
      if (container.kind === "leaf" || (sa && sb && sa.kind !== sb.kind)) {
        if (an === undefined) added.insert(path);
        else if (bn === undefined) removed.insert(path);
        else if (!jsonEqual(an, bn)) modified.insert(path);
        return;
      }
      if (path.length > 0 && !skeleton) {
        if (an === undefined) added.insert(path);
        if (bn === undefined) removed.insert(path);
      }
      const existed = an !== undefined || skeleton;
      if (container.kind === "map") {
        const ao = (an as Obj | undefined) ?? {};
        const bo = (bn as Obj | undefined) ?? {};
        for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
          const c = container.child(k);
          walk(ao[k], bo[k], c.schema, [...path, `f:${k}`], existed && c.declared && (c.required || this.isStruct(c.schema)));
        }
        return;
      }
      const la = this.tryIndex((an as unknown[] | undefined) ?? [], container.keyOf);
      const lb = this.tryIndex((bn as unknown[] | undefined) ?? [], container.keyOf);
      if (!la || !lb) {
        // Repeated keys: Kubernetes tracks such a list as one value.
        if (!jsonEqual(an, bn)) (an === undefined ? added : bn === undefined ? removed : modified).insert(path);
        return;
      }
      for (const k of new Set([...la.keys(), ...lb.keys()])) walk(la.get(k), lb.get(k), container.item, [...path, k], false);
    };
    walk(before, after, schema, [], true);
    return { added, modified, removed };
  }
}

function duplicateKey(list: unknown[], keyOf: (item: unknown) => PathElement): string {
  const seen = new Set<PathElement>();
  for (const v of list) {
    const k = keyOf(v);
    if (seen.has(k)) return k.slice(2);
    seen.add(k);
  }
  return "";
}

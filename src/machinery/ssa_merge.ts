// Merging an applied configuration into a live object, and removing fields, the way server-side apply does:
// leaves and atomic values take the applied value; granular maps merge key by key; associative lists and sets
// merge item by item, keeping live-only items where they were and shared items in the applied order.
import { deepClone } from "../api/object.js";
import type { OpenAPISchema } from "./openapi_schema.js";
import type { FieldPath, FieldSet, PathElement } from "./field_set.js";
import { isObj, type Obj, type SchemaView } from "./ssa_schema.js";

/** Where a value sits: the schema view and the schema describing the value (undefined: deduced). */
export interface MergeContext {
  view: SchemaView;
  schema: OpenAPISchema | undefined;
}

/** The merged value; neither input is changed. A null in the applied value removes the field. */
export function mergeApplied(live: unknown, applied: unknown, ctx: MergeContext): unknown {
  return merge(ctx.view, live, applied, ctx.schema);
}

function merge(view: SchemaView, live: unknown, applied: unknown, schema: OpenAPISchema | undefined): unknown {
  if (applied === undefined) return deepClone(live);
  if (live === undefined || live === null || applied === null) return deepClone(applied);
  const sl = view.shape(schema, live);
  const sa = view.shape(schema, applied);
  if (sa.kind === "leaf" || sl.kind !== sa.kind) return deepClone(applied);
  if (sa.kind === "map") {
    const out: Obj = deepClone(live as Obj);
    for (const [k, v] of Object.entries(applied as Obj)) {
      if (v === null) delete out[k];
      else out[k] = merge(view, (live as Obj)[k], v, sa.child(k).schema);
    }
    return out;
  }
  return mergeLists(view, live as unknown[], applied as unknown[], sa.item, sa.keyOf);
}

/**
 * Item order as Kubernetes produces it: walk both lists; live-only items stay in place, applied items come in
 * applied order, and a shared item is emitted where the applied list puts it.
 */
function mergeLists(
  view: SchemaView,
  live: unknown[],
  applied: unknown[],
  item: OpenAPISchema | undefined,
  keyOf: (v: unknown) => PathElement,
): unknown[] {
  const aByKey = view.index(applied, keyOf, "applied list");
  const lByKey = view.tryIndex(live, keyOf);
  // A stored list with repeated keys cannot be merged item by item: the applied list replaces it.
  if (!lByKey) return deepClone(applied);
  const lKeys = live.map(keyOf);
  const aKeys = applied.map(keyOf);
  const shared = aKeys.filter((k) => lByKey.has(k));
  let nextShared = 0;
  const done = new Set<PathElement>();
  const out: unknown[] = [];
  const emit = (k: PathElement) => {
    out.push(merge(view, lByKey.get(k), aByKey.get(k), item));
    done.add(k);
    if (shared[nextShared] === k) nextShared++;
  };
  let li = 0;
  let ai = 0;
  while (li < lKeys.length || ai < aKeys.length) {
    if (li < lKeys.length && ai < aKeys.length) {
      const lk = lKeys[li]!;
      if (lk === aKeys[ai]) {
        emit(lk);
        li++;
        ai++;
        continue;
      }
      // A shared live item that the applied list wants later: skip it here, it is emitted in applied order.
      if (aByKey.has(lk) && nextShared < shared.length && shared[nextShared] !== lk) {
        li++;
        continue;
      }
    }
    if (li < lKeys.length) {
      const lk = lKeys[li]!;
      if (!aByKey.has(lk)) {
        out.push(deepClone(live[li]));
        li++;
        continue;
      }
      if (done.has(lk)) {
        li++;
        continue;
      }
    }
    if (ai < aKeys.length) {
      emit(aKeys[ai]!);
      ai++;
    }
  }
  return out;
}

/** A copy of `value` without the members of `remove` (each removed with everything below it). */
export function removeFields(value: unknown, remove: FieldSet, ctx: MergeContext): unknown {
  const view = ctx.view;
  const walk = (v: unknown, s: OpenAPISchema | undefined, path: FieldPath): unknown => {
    const shape = view.shape(s, v);
    if (shape.kind === "leaf") return v;
    if (shape.kind === "map") {
      const out: Obj = {};
      for (const [k, child] of Object.entries(v as Obj)) {
        const p = [...path, `f:${k}`];
        if (remove.has(p)) continue;
        out[k] = remove.hasWithin(p) ? walk(child, shape.child(k).schema, p) : child;
      }
      return out;
    }
    if (!view.tryIndex(v as unknown[], shape.keyOf)) return v;
    const out: unknown[] = [];
    for (const itemValue of v as unknown[]) {
      const p = [...path, shape.keyOf(itemValue)];
      if (remove.has(p)) continue;
      out.push(remove.hasWithin(p) ? walk(itemValue, shape.item, p) : itemValue);
    }
    return out;
  };
  return walk(deepClone(value), ctx.schema, []);
}

export { isObj };

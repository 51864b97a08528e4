// Kubernetes strategic merge patch (application/strategic-merge-patch+json), driven by the OpenAPI schema's
// x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key extensions:
// - maps merge recursively and null deletes a key;
// - lists whose field has strategy "merge" merge by the merge key (maps) or by value (scalars, as a union);
//   other lists are replaced;
// - directives: `$patch: replace|delete` in a map, `$patch: replace` or `{<key>: v, $patch: delete}` items in a
//   merging list, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`;
// - fields without a schema are patched by JSON merge patch rules (maps merge, lists replace).
// Like Kubernetes, `$patch: merge` is refused. Values taken whole from the patch (a key the live object lacks,
// an appended list item) are patched onto an empty value, so no directive or null is ever stored.
import { deepClone } from "../api/object.js";
import type { OpenAPISchema, SchemaResolver } from "./openapi_schema.js";
import { errors } from "./errors.js";
import {
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  RETAIN_KEYS,
  SET_ELEMENT_ORDER,
  badPatchFormatForRetainKeys,
  badPatchFormatForSetElementOrder,
  discardNulls,
  elementKind,
  extractKey,
  goFormat,
  hasOwn,
  indexIn,
  isObj,
  itemSchema,
  lookupField,
  noMergeKey,
  normalizeOrder,
  partition,
  unknownError,
  type FieldMeta,
  type Obj,
} from "./smp_support.js";

export interface StrategicMergePatchOptions {
  resolver: SchemaResolver;
  /** Name of the root object's schema, e.g. "io.k8s.api.apps.v1.Deployment". */
  schema: string;
}

/** Applies a strategic merge patch to a copy of `doc` (neither input is mutated) and returns the result. */
export function applyStrategicMergePatch(doc: object, patch: object, opts: StrategicMergePatchOptions): object {
  if (!isObj(doc)) throw errors.badRequest("invalid JSON document");
  if (!isObj(patch)) throw errors.badRequest("invalid JSON document");
  const root = opts.resolver.resolve(opts.schema);
  return new Merger(opts.resolver).mergeMap(deepClone(doc), deepClone(patch), root);
}

class Merger {
  constructor(private readonly resolver: SchemaResolver) {}

  /** Merges `patch` into `original` (both owned by this merger and changed in place). */
  mergeMap(original: Obj, patch: Obj, schema: OpenAPISchema | undefined): Obj {
    if (hasOwn(patch, DIRECTIVE)) return mapDirective(patch);
    this.retainKeys(original, patch);
    this.setElementOrder(original, patch, schema);
    const deletions: [string, unknown][] = [];
    for (const [key, pv] of Object.entries(patch)) {
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        deletions.push([extractKey(key, DELETE_FROM_PRIMITIVE_LIST), pv]);
        continue;
      }
      if (pv === null) {
        delete original[key];
        continue;
      }
      const meta = lookupField(schema, key, this.resolver);
      const ov = hasOwn(original, key) ? original[key] : undefined;
      if (isObj(ov) && isObj(pv)) {
        original[key] = meta.strategy === "replace" ? this.fresh(pv, { ...meta, strategy: "" }) : this.mergeMap(ov, pv, meta.schema);
      } else if (Array.isArray(ov) && Array.isArray(pv)) {
        original[key] = meta.strategy === "merge" ? this.mergeList(ov, pv, meta) : this.fresh(pv, meta);
      } else {
        original[key] = this.fresh(pv, meta);
      }
    }
    // A deletion list only removes values from a list the object has; anything else is ignored.
    for (const [key, pv] of deletions) {
      const ov = original[key];
      if (Array.isArray(ov) && Array.isArray(pv)) original[key] = ov.filter((v) => indexIn(pv, v, "") < 0);
    }
    return original;
  }

  /** A patch value with nothing to merge into: patched onto an empty value of its kind. */
  private fresh(pv: unknown, meta: FieldMeta): unknown {
    if (isObj(pv)) return this.mergeMap({}, pv, meta.schema);
    if (Array.isArray(pv) && meta.strategy === "merge") return this.mergeList([], pv, meta);
    return discardNulls(pv);
  }

  /** `$retainKeys: [...]`: drop every live key not listed; the patch may only set listed keys. */
  private retainKeys(original: Obj, patch: Obj): void {
    if (!hasOwn(patch, RETAIN_KEYS)) return;
    const keep = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(keep)) throw badPatchFormatForRetainKeys();
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
      if (!keep.includes(k)) throw badPatchFormatForRetainKeys();
    }
    for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
  }

  /**
   * `$setElementOrder/<field>: [...]` (what kubectl apply sends): merge the field's patch list, then order the
   * result: listed items in the directive's order, live-only items keeping their live positions around them.
   */
  private setElementOrder(original: Obj, patch: Obj, schema: OpenAPISchema | undefined): void {
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[key];
      delete patch[key];
      if (!Array.isArray(order)) throw badPatchFormatForSetElementOrder();
      const field = extractKey(key, SET_ELEMENT_ORDER);
      const meta = lookupField(schema, field, this.resolver);
      const hasO = hasOwn(original, field);
      const hasP = hasOwn(patch, field);
      const ov = original[field];
      const pv = patch[field];
      if ((hasO && !Array.isArray(ov)) || (hasP && !Array.isArray(pv))) {
        throw unknownError(`expected a list for ${field}, but received ${goFormat(hasP ? pv : ov)}`);
      }
      const live = (ov as unknown[] | undefined) ?? [];
      const patchList = (pv as unknown[] | undefined) ?? [];
      validateOrder(patchList, order, meta.mergeKey);
      if (!hasO && !hasP) continue;
      let merged: unknown[];
      if (!hasP) merged = live;
      else if (!hasO) merged = this.fresh(patchList, meta) as unknown[];
      else merged = meta.strategy === "merge" ? this.mergeList(live, patchList, meta) : (this.fresh(patchList, meta) as unknown[]);
      delete patch[field];
      const kind = elementKind(live, patchList);
      if (kind === "none") {
        original[field] = merged;
        continue;
      }
      const mergeKey = kind === "object" ? meta.mergeKey : "";
      const { inList, rest } = partition(merged, order, mergeKey);
      original[field] = normalizeOrder(inList, rest, { patch: order, server: live }, mergeKey, kind);
    }
  }

  /** A list with strategy "merge". */
  mergeList(original: unknown[], patch: unknown[], meta: FieldMeta): unknown[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = elementKind(original, patch);
    if (kind !== "object") {
      const merged: unknown[] = [];
      for (const v of [...original, ...patch]) if (indexIn(merged, v, "") < 0) merged.push(v);
      const { inList, rest } = partition(merged, patch, "");
      return normalizeOrder(inList, rest, { patch, server: original }, "", kind);
    }
    const mergeKey = meta.mergeKey;
    if (!mergeKey) throw unknownError(`cannot merge lists without merge key for ${meta.name}`);
    const elem = itemSchema(meta, this.resolver);
    const special = specialElements(original, patch, mergeKey);
    const merged = [...special.original];
    for (const item of special.patch) {
      const p = item as Obj;
      if (!hasOwn(p, mergeKey)) throw noMergeKey(p, mergeKey);
      const at = findByKey(merged, mergeKey, p[mergeKey]);
      if (at >= 0) merged[at] = this.mergeMap(merged[at] as Obj, p, elem);
      else merged.push(this.mergeMap({}, p, elem));
    }
    const { inList, rest } = partition(merged, special.patch, mergeKey);
    return normalizeOrder(inList, rest, { patch: special.patch, server: special.original }, mergeKey, "object");
  }
}

/** `$patch` in a map: "replace" keeps only the patch's content, "delete" empties the map. */
function mapDirective(patch: Obj): Obj {
  const d = patch[DIRECTIVE];
  if (d === "replace") {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return discardNulls(rest) as Obj;
  }
  if (d === "delete") return {};
  throw unknownError(`unknown patch type: ${goFormat(d)} in map: ${goFormat(patch)}`);
}

/** Index of the map whose merge key equals `value`; non-map elements are an error as in Kubernetes. */
function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObj(v)) throw unknownError(`value for key ${i} is not a map.`);
    if (hasOwn(v, mergeKey) && v[mergeKey] === value) return i;
  }
  return -1;
}

/** Applies `$patch` items of a merging list: deletions by key, or `replace` (the patch items become the list). */
function specialElements(original: unknown[], patch: unknown[], mergeKey: string): { original: unknown[]; patch: unknown[] } {
  let live = original;
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as Obj;
    if (!hasOwn(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case "delete":
        if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
        live = live.filter((x) => !(isObj(x) && hasOwn(x, mergeKey) && x[mergeKey] === item[mergeKey]));
        break;
      case "replace":
        replace = true;
        break;
      case "merge":
        throw unknownError("merging lists cannot yet be specified in the patch");
      default:
        throw unknownError(`unknown patch type: ${goFormat(item[DIRECTIVE])} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return { original: plain.map(discardNulls), patch: [] };
  return { original: live, patch: plain };
}

/** The list's non-directive items must appear in `$setElementOrder` in the same relative order. */
function validateOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((v) => !(isObj(v) && v[DIRECTIVE] === "delete")) : patchList;
  let pi = 0;
  let si = 0;
  while (pi < items.length && si < order.length) {
    const p = items[pi];
    if (isObj(p) && hasOwn(p, DIRECTIVE)) {
      pi++;
      continue;
    }
    if (mergeKey) {
      const o = order[si];
      if (!isObj(p) || !hasOwn(p, mergeKey)) throw noMergeKey(p, mergeKey);
      if (!isObj(o) || !hasOwn(o, mergeKey)) throw noMergeKey(o, mergeKey);
      if (p[mergeKey] === o[mergeKey]) pi++;
    } else if (p === order[si]) pi++;
    si++;
  }
  if (pi < items.length) {
    throw unknownError(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}

// Helpers for strategic merge patch: patch metadata from OpenAPI schemas, the errors the API server returns,
// and the list-order rules (live order, patch order, $setElementOrder) Kubernetes applies after merging.
import { errors, StatusError } from "./errors.js";
import { jsonEqual } from "./json_patch.js";
import { derefSchema, type OpenAPISchema, type SchemaResolver } from "./openapi_schema.js";

export type Obj = Record<string, unknown>;

export const DIRECTIVE = "$patch";
export const RETAIN_KEYS = "$retainKeys";
export const SET_ELEMENT_ORDER = "$setElementOrder";
export const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** How one field is patched: its (dereferenced) schema, strategy ("merge", "replace" or "") and merge key. */
export interface FieldMeta {
  schema?: OpenAPISchema;
  strategy: string;
  mergeKey: string;
  name: string;
}

/** Patch metadata for `key` inside an object described by `schema`; unknown fields get none (merge-patch rules). */
export function lookupField(schema: OpenAPISchema | undefined, key: string, resolver: SchemaResolver): FieldMeta {
  const s = derefSchema(schema, resolver);
  const prop = s?.properties?.[key] ?? (typeof s?.additionalProperties === "object" ? s.additionalProperties : undefined);
  if (!prop) return { strategy: "", mergeKey: "", name: key };
  const target = derefSchema(prop, resolver);
  const strategies = (prop["x-kubernetes-patch-strategy"] ?? target?.["x-kubernetes-patch-strategy"] ?? "").split(",").filter((x) => x !== "");
  const mergeKey = prop["x-kubernetes-patch-merge-key"] ?? target?.["x-kubernetes-patch-merge-key"] ?? "";
  return { schema: target, strategy: withoutRetainKeys(strategies), mergeKey, name: key };
}

/** The element schema of a list field. */
export function itemSchema(meta: FieldMeta, resolver: SchemaResolver): OpenAPISchema | undefined {
  return derefSchema(meta.schema?.items, resolver);
}

/** "retainKeys" only says the $retainKeys directive is allowed; at most one other strategy may accompany it. */
function withoutRetainKeys(strategies: string[]): string {
  const others = strategies.filter((s) => s !== "retainKeys");
  if (strategies.length > 2 || others.length > 1) throw unknownError(`unexpected patch strategy: [${strategies.join(" ")}]`);
  return others[0] ?? "";
}

// Errors. Kubernetes maps a few strategic-merge-patch errors to 400 or 422 and lets every other one through
// as a plain error, which reaches the client as a 500 with an empty reason.
export const badPatchFormatForPrimitiveList = () => errors.badRequest("invalid patch format of primitive list");
export const badPatchFormatForRetainKeys = () => errors.badRequest("invalid patch format of retainKeys");
export const badPatchFormatForSetElementOrder = () => errors.badRequest("invalid patch format of setElementOrder list");

export function unprocessable(detail: string): StatusError {
  return new StatusError({
    code: 422,
    reason: "Invalid",
    message: "the server rejected our request due to an error in our request",
    details: { causes: [{ reason: "UnexpectedServerResponse", message: detail }] },
  });
}
export const noListOfLists = () => unprocessable("lists of lists are not supported");

export function unknownError(message: string): StatusError {
  return new StatusError({ code: 500, reason: "", message });
}

/** Go's %v rendering, which Kubernetes' error messages use for maps and lists. */
export function goFormat(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (isObj(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormat(v[k])}`).join(" ")}]`;
  if (v === null || v === undefined) return "<nil>";
  return String(v);
}

export const noMergeKey = (m: unknown, key: string) => unknownError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);

/** "$setElementOrder/containers" -> "containers"; a prefix without "/field" is a malformed patch. */
export function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw badPatchFormatForPrimitiveList();
    if (prefix === SET_ELEMENT_ORDER) throw badPatchFormatForSetElementOrder();
    throw unknownError(`fail to find unknown prefix ${JSON.stringify(prefix)} in ${key}`);
  }
  return key.slice(slash + 1);
}

export type ElementKind = "object" | "scalar" | "none";

/** All elements of the lists must share one kind; lists of lists are refused (422). */
export function elementKind(...lists: unknown[][]): ElementKind {
  let kind: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
      if (kind === undefined) {
        if (k === "array") throw noListOfLists();
        kind = k;
      } else if (kind !== k) {
        throw unknownError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (kind === undefined) return "none";
  return kind === "object" ? "object" : "scalar";
}

/** Identity of a list element for ordering: its merge key value for maps, itself for scalars. */
function identity(item: unknown, mergeKey: string): unknown {
  return mergeKey && isObj(item) ? item[mergeKey] : item;
}

export function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  const id = identity(item, mergeKey);
  return list.findIndex((v) => {
    const other = identity(v, mergeKey);
    return typeof id === "object" && id !== null ? jsonEqual(id, other) : id === other;
  });
}

/** Splits `items` into those present in `by` (compared by merge key) and the rest, keeping order. */
export function partition(items: unknown[], by: unknown[], mergeKey: string): { inList: unknown[]; rest: unknown[] } {
  const inList: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of items) {
    if (mergeKey && isObj(v) && !hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    (indexIn(by, v, mergeKey) >= 0 ? inList : rest).push(v);
  }
  return { inList, rest };
}

function isDeleteItem(v: unknown): boolean {
  return isObj(v) && v[DIRECTIVE] === "delete";
}

/** Stable sort of `toSort` by position in `order`; `$patch: delete` items go last. */
function sortByOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let keep = toSort;
  let deletes: unknown[] = [];
  if (kind === "object" && mergeKey) {
    for (const v of [...toSort, ...order]) if (isObj(v) && !hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    keep = toSort.filter((v) => !isDeleteItem(v));
    deletes = toSort.filter(isDeleteItem);
  }
  const pos = (v: unknown) => {
    const i = indexIn(order, v, mergeKey);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const sorted = keep.map((v, i) => ({ v, i, p: pos(v) })).sort((a, b) => (a.p === b.p ? a.i - b.i : a.p - b.p));
  return [...sorted.map((x) => x.v), ...deletes];
}

/**
 * Kubernetes' element order after a merge: patch items in `patchOrder`, server-only items in live order, then
 * the two interleaved by live order where both are known. A patch item the live list does not know is placed
 * before the remaining server-only items (which is why patched-in elements tend to come first).
 */
export function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  orders: { patch: unknown[]; server: unknown[] },
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const right = sortByOrder(patchItems, orders.patch, mergeKey, kind);
  const left = sortByOrder(serverOnly, orders.server, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(orders.server, left[i], mergeKey);
      const ri = indexIn(orders.server, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Drops null members everywhere (what a value taken whole from the patch looks like once stored). */
export function discardNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(discardNulls);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = discardNulls(x);
  return out;
}

// RFC 6902 JSON Patch (application/json-patch+json) with the behaviour the Kubernetes API server shows:
// a patch body that is not a list of operation objects is 400 BadRequest; an operation that cannot be applied
// (failed test, missing path, bad index, unknown op) is 422 with the message kubectl prints as
// "The request is invalid: the server rejected our request due to an error in our request", the cause carrying
// the detail. Like the library Kubernetes uses, array indices may be negative (counted from the end) and
// `add` without a value adds null.
import { deepClone } from "../api/object.js";
import { errors, StatusError } from "./errors.js";

/** The API server refuses patches with more operations than this (it bounds the work of one request). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Container = Json[] | { [k: string]: Json };

/** A 422 as apierrors.NewGenericServerResponse builds it for a patch that does not apply. */
export function patchApplyError(detail: string): StatusError {
  return new StatusError({
    code: 422,
    reason: "Invalid",
    message: "the server rejected our request due to an error in our request",
    details: { causes: [{ reason: "UnexpectedServerResponse", message: detail }] },
  });
}

/** "/a/b~1c" -> ["a", "b/c"]; "" -> [] (the whole document). */
export function parseJsonPointer(p: string): string[] {
  if (p === "") return [];
  if (!p.startsWith("/")) throw patchApplyError(`JSON pointer must be empty or start with a "/": ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function formatJsonPointer(parts: string[]): string {
  return parts.map((p) => "/" + p.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

function isObject(v: unknown): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasKey(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Deep JSON equality: objects compare by key set regardless of order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => hasKey(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** strconv.Atoi for an array index token; `-` is handled by callers. */
function index(token: string, path: string): number {
  if (!/^[+-]?[0-9]+$/.test(token)) throw patchApplyError(`value was not a proper array index: '${token}' (path ${JSON.stringify(path)})`);
  return Number(token);
}

/** Resolves a negative index against `len`; out of range (outside [0, len)) is an error. */
function resolveIndex(token: string, len: number, path: string): number {
  let i = index(token, path);
  if (i < 0) i += len;
  if (i < 0 || i >= len) throw patchApplyError(`Unable to access invalid index: ${index(token, path)}: invalid index referenced (path ${JSON.stringify(path)})`);
  return i;
}

function get(doc: Json, parts: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) {
      if (!/^[+-]?[0-9]+$/.test(p)) return undefined;
      let i = Number(p);
      if (i < 0) i += cur.length;
      cur = i >= 0 && i < cur.length ? cur[i] : undefined;
    } else if (isObject(cur)) {
      cur = hasKey(cur, p) ? cur[p] : undefined;
    } else {
      return undefined;
    }
  }
  return cur;
}

/** The container holding the last token of `path`, or an error naming the operation. */
function parent(doc: Json, parts: string[], op: string, path: string): Container {
  const c = get(doc, parts.slice(0, -1));
  if (!Array.isArray(c) && !isObject(c)) throw patchApplyError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return c;
}

function add(doc: Json, path: string, value: Json): Json {
  const parts = parseJsonPointer(path);
  if (parts.length === 0) return value;
  const c = parent(doc, parts, "add", path);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(c)) {
    if (key === "-") c.push(value);
    else {
      let i = index(key, path);
      if (i < 0) i += c.length + 1;
      if (i < 0 || i > c.length) throw patchApplyError(`Unable to access invalid index: ${index(key, path)}: invalid index referenced (path ${JSON.stringify(path)})`);
      c.splice(i, 0, value);
    }
  } else c[key] = value;
  return doc;
}

function remove(doc: Json, path: string, op = "remove"): { doc: Json; removed: Json } {
  const parts = parseJsonPointer(path);
  if (parts.length === 0) throw patchApplyError(`${op} operation does not apply: cannot remove the whole document`);
  const c = parent(doc, parts, op, path);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(c)) {
    const i = resolveIndex(key, c.length, path);
    const [removed] = c.splice(i, 1);
    return { doc, removed: removed! };
  }
  if (!hasKey(c, key)) throw patchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
  const removed = c[key]!;
  delete c[key];
  return { doc, removed };
}

function replace(doc: Json, path: string, value: Json): Json {
  const parts = parseJsonPointer(path);
  if (parts.length === 0) return value;
  const c = parent(doc, parts, "replace", path);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(c)) c[resolveIndex(key, c.length, path)] = value;
  else {
    if (!hasKey(c, key)) throw patchApplyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    c[key] = value;
  }
  return doc;
}

function stringField(op: Record<string, unknown>, name: string, i: number): string {
  const v = op[name];
  if (typeof v !== "string") throw patchApplyError(`${String(op.op)} operation failed to decode ${name}: missing value (operation ${i})`);
  return v;
}

/**
 * Applies a JSON Patch document to a copy of `doc` (the input is never mutated) and returns the result.
 * Throws 400 when `ops` is not a list of objects, 413 past MAX_JSON_PATCH_OPERATIONS, 422 when an operation
 * does not apply.
 */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw errors.badRequest(`json: cannot unmarshal ${describe(ops)} into Go value of type jsonpatch.Patch`);
  ops.forEach((op) => {
    if (!isObject(op)) throw errors.badRequest(`json: cannot unmarshal ${describe(op)} into Go value of type jsonpatch.Operation`);
  });
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  let cur = deepClone(doc) as Json;
  (ops as Record<string, unknown>[]).forEach((op, i) => {
    const value = (hasKey(op, "value") ? deepClone(op.value) : null) as Json;
    switch (op.op) {
      case "add":
        cur = add(cur, stringField(op, "path", i), value);
        break;
      case "remove":
        cur = remove(cur, stringField(op, "path", i)).doc;
        break;
      case "replace":
        cur = replace(cur, stringField(op, "path", i), value);
        break;
      case "move": {
        const from = stringField(op, "from", i);
        const path = stringField(op, "path", i);
        if (path !== from && path.startsWith(from + "/")) throw patchApplyError(`move operation does not apply: "from" ${JSON.stringify(from)} is a prefix of "path" ${JSON.stringify(path)}`);
        if (get(cur, parseJsonPointer(from)) === undefined) throw patchApplyError(`move operation does not apply: doc is missing from path: ${JSON.stringify(from)}: missing value`);
        const r = remove(cur, from, "move");
        cur = add(r.doc, path, r.removed);
        break;
      }
      case "copy": {
        const from = stringField(op, "from", i);
        const v = get(cur, parseJsonPointer(from));
        if (v === undefined) throw patchApplyError(`copy operation does not apply: doc is missing from path: ${JSON.stringify(from)}: missing value`);
        cur = add(cur, stringField(op, "path", i), deepClone(v));
        break;
      }
      case "test": {
        const path = stringField(op, "path", i);
        const actual = get(cur, parseJsonPointer(path));
        // A missing value passes a test against null, as in the library Kubernetes uses.
        if (actual === undefined ? value !== null : !jsonEqual(actual, value)) {
          throw patchApplyError(`testing value ${path} failed: test failed`);
        }
        break;
      }
      default:
        throw patchApplyError(`Unexpected kind: ${typeof op.op === "string" ? op.op : "unknown"}`);
    }
  });
  return cur;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

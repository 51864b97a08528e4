// Patches for the fake API server: JSON merge patch (RFC 7386, also used for strategic merge patches, which only
// differ for lists with merge keys) and JSON patch (RFC 6902: add, remove, replace, test).
import { errors } from "../../machinery/errors.js";

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw errors.badRequest("json patch: the body must be an array of operations");
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    const parts = raw.path.split("/").slice(1).map(unescape);
    if (parts.length === 0) {
      if (raw.op === "test" && JSON.stringify(doc) !== JSON.stringify(raw.value)) throw errors.invalid("Patch", "", "", [{ type: "FieldValueInvalid", field: raw.path, detail: "test failed" }]);
      if (raw.op === "replace" || raw.op === "add") doc = structuredClone(raw.value);
      continue;
    }
    let parent: Json = doc;
    for (const p of parts.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[Number(p)] : isObject(parent) ? parent[p] : undefined;
      if (parent === undefined) throw errors.invalid("Patch", "", "", [{ type: "FieldValueInvalid", field: raw.path, detail: "path not found" }]);
    }
    const last = parts[parts.length - 1]!;
    const notFound = (): never => {
      throw errors.invalid("Patch", "", "", [{ type: "FieldValueInvalid", field: raw.path, detail: "path not found" }]);
    };
    if (Array.isArray(parent)) {
      const idx = last === "-" ? parent.length : Number(last);
      if (raw.op === "add") parent.splice(idx, 0, structuredClone(raw.value));
      else if (idx >= parent.length) notFound();
      else if (raw.op === "remove") parent.splice(idx, 1);
      else if (raw.op === "replace") parent[idx] = structuredClone(raw.value);
      else if (raw.op === "test" && JSON.stringify(parent[idx]) !== JSON.stringify(raw.value)) notFound();
    } else if (isObject(parent)) {
      if (raw.op === "add") parent[last] = structuredClone(raw.value);
      else if (!(last in parent)) notFound();
      else if (raw.op === "remove") delete parent[last];
      else if (raw.op === "replace") parent[last] = structuredClone(raw.value);
      else if (raw.op === "test" && JSON.stringify(parent[last]) !== JSON.stringify(raw.value)) notFound();
    } else notFound();
  }
  return doc;
}

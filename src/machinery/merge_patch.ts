// RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge key by key, null deletes a key,
// anything else (arrays included) replaces. Inputs are never mutated.
import { deepClone } from "../api/object.js";
import { jsonEqual } from "./json_patch.js";

type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** MergePatch(target, patch) exactly as RFC 7386 section 2 defines it. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return mergeInto(deepClone(doc), patch);
}

/** RFC 7386 on a target this module owns (already copied): it may be changed in place. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return deepClone(patch);
  const out: JsonObject = isJsonObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeInto(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v);
  }
  return out;
}

/**
 * The merge patch that turns `original` into `modified`: removed keys become null, changed scalars and arrays
 * are sent whole, nested objects recurse. Equal documents give {}. When either side is not an object the patch
 * is `modified` itself. (A null *value* in `modified` cannot be expressed in a merge patch; it reads as delete.)
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isJsonObject(original) || !isJsonObject(modified)) return deepClone(modified);
  const patch: JsonObject = {};
  for (const k of Object.keys(original)) {
    if (!Object.prototype.hasOwnProperty.call(modified, k)) patch[k] = null;
  }
  for (const [k, mv] of Object.entries(modified)) {
    const has = Object.prototype.hasOwnProperty.call(original, k);
    const ov = has ? original[k] : undefined;
    if (has && jsonEqual(ov, mv)) continue;
    if (has && isJsonObject(ov) && isJsonObject(mv)) {
      const sub = createMergePatch(ov, mv);
      if (isJsonObject(sub) && Object.keys(sub).length > 0) patch[k] = sub;
    } else {
      patch[k] = deepClone(mv);
    }
  }
  return patch;
}

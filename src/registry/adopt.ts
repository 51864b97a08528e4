// Taking a written object into the watch cache without parsing its stored text again. The registry encodes each
// object it writes (codec.encodeObject); when the storage event carries exactly that text, the object the registry
// holds is what JSON.parse of the text would rebuild, but for what JSON.stringify leaves out or rewrites.
// freezeJsonData checks for those and evens out the harmless ones in place, so an adopted object and a parsed one
// are the same data.

/**
 * True when JSON.parse(JSON.stringify(v)) would give back v's data: plain objects and arrays of strings, finite
 * numbers, booleans and null. Removes object properties whose value is undefined (stringify skips them), and turns
 * undefined array elements into null and -0 into 0 (as stringify writes them), then deep-freezes v: checking and
 * freezing are one walk. False for anything stringify would rewrite otherwise (toJSON, class instances such as Date,
 * functions, symbols, bigint, NaN, Infinity): the caller then parses the text instead, and v may be left partly
 * frozen. A frozen value is not walked: in the registry's objects, frozen values are the watch cache's (a write
 * builds on the cached object), which holds only JSON data (parsed from storage, or checked here when adopted).
 */
export function freezeJsonData(v: object): boolean {
  if (Object.isFrozen(v)) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === "object") {
        if (e !== null && !freezeJsonData(e)) return false;
      } else if (e === undefined) v[i] = null;
      else if (!scalarOk(e)) return false;
      else if (e === 0) v[i] = 0; // -0
    }
    Object.freeze(v);
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { toJSON?: unknown }).toJSON === "function") return false;
  const o = v as Record<string, unknown>;
  // for-in, not Object.keys: no key array per object (a pod has dozens of objects). A plain object's prototype
  // has no enumerable properties, so for-in sees exactly its own.
  for (const k in o) {
    const e = o[k];
    if (typeof e === "object") {
      if (e !== null && !freezeJsonData(e)) return false;
    } else if (e === undefined) delete o[k];
    else if (!scalarOk(e)) return false;
    else if (e === 0) o[k] = 0; // -0
  }
  Object.freeze(o);
  return true;
}

/** A string, a boolean or a finite number (the scalars JSON writes as they are). */
function scalarOk(e: unknown): boolean {
  switch (typeof e) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(e);
    default:
      return false;
  }
}

/** The opening of the top-level metadata object in an object's JSON text, when every key before it is a scalar. */
const METADATA_OPENS = `"metadata":{`;

/**
 * The JSON text of `obj` once metadata.resourceVersion is set to `rv`, from `stored` (obj's JSON text without
 * resourceVersion, as codec.encodeObject writes it), when resourceVersion is metadata's first key and every key
 * before metadata holds a string, number, boolean or null (apiVersion and kind in practice): the text is then
 * `stored` with the field inserted where metadata opens. Undefined otherwise (the caller lets JSON.stringify do it).
 */
export function textWithResourceVersion(obj: Record<string, unknown>, stored: string, rv: string): string | undefined {
  for (const k in obj) {
    if (k === "metadata") {
      // Only scalars come before it, and no JSON string holds an unescaped quote: the first `"metadata":{` of the
      // text is where this metadata opens.
      const at = stored.indexOf(METADATA_OPENS);
      if (at < 0) return undefined;
      const open = at + METADATA_OPENS.length;
      return `${stored.slice(0, open)}"resourceVersion":${JSON.stringify(rv)}${stored[open] === "}" ? "" : ","}${stored.slice(open)}`;
    }
    const v = obj[k];
    if (v !== null && typeof v === "object") return undefined;
  }
  return undefined;
}

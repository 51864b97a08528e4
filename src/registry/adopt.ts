// Taking a written object into the watch cache without parsing its stored text again. The registry encodes each
// object it writes (codec.encodeObject); when the storage event carries exactly that text, the object the registry
// holds is what JSON.parse of the text would rebuild, but for what JSON.stringify leaves out or rewrites. asJsonData
// checks for those and evens out the harmless ones in place, so an adopted object and a parsed one are the same data.

/**
 * True when JSON.parse(JSON.stringify(v)) would give back v's data: plain objects and arrays of strings, finite
 * numbers, booleans and null. Removes object properties whose value is undefined (stringify skips them), and turns
 * undefined array elements into null and -0 into 0 (as stringify writes them), in place where v is not frozen.
 * False for anything stringify would rewrite otherwise (toJSON, class instances such as Date, functions, symbols,
 * bigint, NaN, Infinity) or an undefined it cannot remove from a frozen object: the caller then parses the text.
 */
export function asJsonData(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return true;
  if (Array.isArray(v)) {
    const frozen = Object.isFrozen(v);
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (e === undefined || (typeof e === "number" && Object.is(e, -0))) {
        if (frozen) return false;
        v[i] = e === undefined ? null : 0;
      } else if (!scalarOk(e) || !asJsonData(e)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { toJSON?: unknown }).toJSON === "function") return false;
  const o = v as Record<string, unknown>;
  const frozen = Object.isFrozen(o);
  // for-in, not Object.keys: no key array per object (a pod has dozens of objects). A plain object's prototype
  // has no enumerable properties, so for-in sees exactly its own.
  for (const k in o) {
    const e = o[k];
    if (e === undefined) {
      if (frozen) return false;
      delete o[k];
    } else if (typeof e === "number" && Object.is(e, -0)) {
      if (frozen) return false;
      o[k] = 0;
    } else if (!scalarOk(e) || !asJsonData(e)) return false;
  }
  return true;
}

function scalarOk(e: unknown): boolean {
  switch (typeof e) {
    case "string":
    case "boolean":
    case "object":
      return true;
    case "number":
      return Number.isFinite(e);
    default:
      return false;
  }
}

/**
 * The JSON text of `obj` once metadata.resourceVersion is set to `rv`, from `stored` (obj's JSON text without
 * resourceVersion, as codec.encodeObject writes it), when resourceVersion is metadata's first key and every key
 * before metadata holds a string, number, boolean or null (apiVersion and kind in practice): the text is then
 * `stored` with the field inserted where metadata opens. Undefined otherwise (the caller lets JSON.stringify do it).
 */
export function textWithResourceVersion(obj: Record<string, unknown>, stored: string, rv: string): string | undefined {
  let prefix = "{";
  for (const k in obj) {
    const v = obj[k];
    if (k === "metadata") {
      prefix += `${JSON.stringify(k)}:{`;
      const at = prefix.length;
      if (!stored.startsWith(prefix)) return undefined;
      const field = `"resourceVersion":${JSON.stringify(rv)}`;
      return `${prefix}${field}${stored[at] === "}" ? "" : ","}${stored.slice(at)}`;
    }
    if (v === undefined) continue;
    if (v !== null && typeof v === "object") return undefined;
    prefix += `${JSON.stringify(k)}:${JSON.stringify(v)},`;
  }
  return undefined;
}

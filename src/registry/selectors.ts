// List and watch filters: namespace, label selector and field selector over storage-version objects.
// metadata.name and metadata.namespace are supported for every resource; a strategy adds its own field labels.
// Objects given to a filter must not change afterwards: their field attributes are memoized per object.
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { parseFieldSelector } from "../machinery/fields.js";
import { parseSelector } from "../machinery/labels.js";
import type { ResourceDef } from "./types.js";

export interface ObjectFilter {
  /** Only objects of this namespace (absent: every namespace). */
  namespace?: string;
  /** When the field selector pins metadata.name, that name (lets callers skip a scan). */
  name?: string;
  /** True when no label or field selector restricts anything beyond the namespace. */
  everything: boolean;
  matches(obj: StoredObject): boolean;
}

/** Field labels a resource supports: the generic ones plus its strategy's. */
export function supportedFieldLabels(def: ResourceDef): Set<string> {
  const labels = new Set(["metadata.name", "metadata.namespace"]);
  const s = def.strategy;
  if (s.fields) for (const l of Object.keys(s.fields)) labels.add(l);
  if (s.fieldLabels) for (const l of s.fieldLabels) labels.add(l);
  else if (s.fieldAttrs) {
    // Without a declared list, learn the labels from the attributes of an empty object.
    try {
      for (const l of Object.keys(s.fieldAttrs({ metadata: {}, spec: {}, status: {} }))) labels.add(l);
    } catch {
      /* a strategy that cannot read an empty object only gets the generic labels checked */
    }
  }
  return labels;
}

/** Strategy field attributes per object, computed once: cached objects are immutable and shared by every watcher,
 *  so an event is evaluated once however many field-selector watches look at it. */
const attrCache = new WeakMap<ResourceDef, WeakMap<StoredObject, Record<string, string>>>();

function strategyAttrs(def: ResourceDef, obj: StoredObject): Record<string, string> {
  let perDef = attrCache.get(def);
  if (!perDef) attrCache.set(def, (perDef = new WeakMap()));
  let attrs = perDef.get(obj);
  if (!attrs) {
    attrs = def.strategy.fieldAttrs?.(obj) ?? {};
    perDef.set(obj, attrs);
  }
  return attrs;
}

type FieldReader = (obj: StoredObject) => string;

const readName: FieldReader = (obj) => obj.metadata.name ?? "";
const readNamespace: FieldReader = (obj) => obj.metadata.namespace ?? "";

/** How a filter reads one field label of an object (a missing attribute reads as ""). */
function fieldReader(def: ResourceDef, field: string): FieldReader {
  if (field === "metadata.name") return readName;
  if (field === "metadata.namespace") return readNamespace;
  const fields = def.strategy.fields;
  if (fields && Object.hasOwn(fields, field)) return fields[field]!;
  return (obj) => {
    const attrs = strategyAttrs(def, obj);
    return Object.hasOwn(attrs, field) ? attrs[field]! : "";
  };
}

export function buildFilter(def: ResourceDef, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string }): ObjectFilter {
  const labels = parseSelector(opts.labelSelector ?? "");
  const fields = parseFieldSelector(opts.fieldSelector ?? "");
  const supported = supportedFieldLabels(def);
  const terms = fields.requirements();
  for (const r of terms) {
    if (!supported.has(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
  }
  // Each term reads only its own field: no record of every attribute per object tested.
  const checks = terms.map((r) => ({ read: fieldReader(def, r.field), value: r.value, equal: r.op === "=" }));
  const namespace = def.namespaced ? opts.namespace || undefined : undefined;
  const labelsEmpty = labels.empty();
  return {
    namespace,
    name: fields.requiresExactMatch("metadata.name"),
    everything: labelsEmpty && checks.length === 0,
    matches(obj) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) return false;
      if (!labelsEmpty && !labels.matches(obj.metadata.labels ?? {})) return false;
      for (const c of checks) if ((c.read(obj) === c.value) !== c.equal) return false;
      return true;
    },
  };
}

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

/** Field attributes per object, computed once: cached objects are immutable and shared by every watcher, so an
 *  event is evaluated once however many field-selector watches (kubelets: spec.nodeName=...) look at it. */
const attrCache = new WeakMap<ResourceDef, WeakMap<StoredObject, Record<string, string>>>();

export function fieldAttrs(def: ResourceDef, obj: StoredObject): Record<string, string> {
  let perDef = attrCache.get(def);
  if (!perDef) attrCache.set(def, (perDef = new WeakMap()));
  let attrs = perDef.get(obj);
  if (!attrs) {
    attrs = {
      ...(def.strategy.fieldAttrs?.(obj) ?? {}),
      "metadata.name": obj.metadata.name ?? "",
      "metadata.namespace": obj.metadata.namespace ?? "",
    };
    perDef.set(obj, attrs);
  }
  return attrs;
}

export function buildFilter(def: ResourceDef, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string }): ObjectFilter {
  const labels = parseSelector(opts.labelSelector ?? "");
  const fields = parseFieldSelector(opts.fieldSelector ?? "");
  const supported = supportedFieldLabels(def);
  for (const r of fields.requirements()) {
    if (!supported.has(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
  }
  const namespace = def.namespaced ? opts.namespace || undefined : undefined;
  const labelsEmpty = labels.empty();
  const fieldsEmpty = fields.empty();
  return {
    namespace,
    name: fields.requiresExactMatch("metadata.name"),
    everything: labelsEmpty && fieldsEmpty,
    matches(obj) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) return false;
      if (!labelsEmpty && !labels.matches(obj.metadata.labels ?? {})) return false;
      return fieldsEmpty || fields.matches(fieldAttrs(def, obj));
    },
  };
}

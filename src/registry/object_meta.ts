// Generic ObjectMeta handling, as Kubernetes' rest.BeforeCreate/BeforeUpdate and ValidateObjectMeta(Update) do:
// identity fields the server owns (uid, creationTimestamp, generation, deletion fields), names, namespaces,
// labels/annotations, finalizers, ownerReferences.
import { randomInt, randomUUID } from "node:crypto";
import type { ObjectMeta, StoredObject } from "../api/object.js";
import { errors, type FieldError } from "../machinery/errors.js";
import { jsonEqual } from "../machinery/json_patch.js";
import { formatTime } from "../machinery/managed_fields.js";
import { isDNS1123Subdomain, isQualifiedName } from "../machinery/label_validation.js";
import { validateAnnotations, validateLabels } from "../machinery/labels.js";
import type { ResourceDef } from "./types.js";

/** ObjectMeta with the server-owned fields writable (kubernetes-types marks them readonly for clients). */
export type WritableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

export function writableMeta(obj: StoredObject): WritableMeta {
  return obj.metadata as WritableMeta;
}

/** The alphabet and length Kubernetes' SimpleNameGenerator uses (no vowels, no confusable characters). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const RANDOM_LENGTH = 5;
/** A generated name must still fit the 63-character limit of DNS labels. */
const MAX_GENERATE_NAME_PREFIX = 63 - RANDOM_LENGTH;

export function generateName(prefix: string): string {
  let s = prefix.length > MAX_GENERATE_NAME_PREFIX ? prefix.slice(0, MAX_GENERATE_NAME_PREFIX) : prefix;
  for (let i = 0; i < RANDOM_LENGTH; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
}

/** RFC 3339 with second precision, as metav1.Time marshals (one implementation, with its per-second cache). */
export { formatTime };

const namespaceMismatch = () => errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");

/** Reconciles metadata.namespace with the request's namespace (both ways), or fails with 400. */
export function reconcileNamespace(obj: StoredObject, def: ResourceDef, requestNs: string | undefined): void {
  if (!def.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const ns = obj.metadata.namespace;
  if (ns && requestNs && ns !== requestNs) throw namespaceMismatch();
  if (!ns && requestNs) obj.metadata.namespace = requestNs;
  if (!obj.metadata.namespace) throw errors.badRequest("namespace is required for a namespaced resource");
}

/** Server-owned fields of a new object. The name is generated from generateName when absent. */
export function prepareCreateMeta(obj: StoredObject, now: Date): void {
  const m = writableMeta(obj);
  if (!m.name && m.generateName) m.name = generateName(m.generateName);
  m.uid = randomUUID();
  m.creationTimestamp = formatTime(now);
  m.generation = 1;
  delete m.resourceVersion;
  delete m.selfLink;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
}

function nameErrors(def: ResourceDef, name: string): string[] {
  return def.strategy.validateName ? def.strategy.validateName(name) : isDNS1123Subdomain(name);
}

export function validateObjectMeta(obj: StoredObject, def: ResourceDef): FieldError[] {
  const m = obj.metadata;
  const errs: FieldError[] = [];
  if (!m.name && !m.generateName) errs.push({ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" });
  else if (m.name) for (const d of nameErrors(def, m.name)) errs.push({ type: "FieldValueInvalid", field: "metadata.name", value: m.name, detail: d });
  if (m.generateName && !m.name) {
    for (const d of nameErrors(def, m.generateName.replace(/-$/, "") + "x")) {
      errs.push({ type: "FieldValueInvalid", field: "metadata.generateName", value: m.generateName, detail: d });
    }
  }
  errs.push(...validateLabels(m.labels, "metadata.labels"), ...validateAnnotations(m.annotations, "metadata.annotations"));
  for (const [i, f] of (m.finalizers ?? []).entries()) {
    for (const d of isQualifiedName(f)) errs.push({ type: "FieldValueInvalid", field: `metadata.finalizers[${i}]`, value: f, detail: d });
  }
  for (const [i, ref] of (m.ownerReferences ?? []).entries()) {
    for (const f of ["apiVersion", "kind", "name", "uid"] as const) {
      if (!ref[f]) errs.push({ type: "FieldValueRequired", field: `metadata.ownerReferences[${i}].${f}`, detail: `${f} must not be empty` });
    }
  }
  if ((m.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
    errs.push({ type: "FieldValueInvalid", field: "metadata.ownerReferences", value: m.ownerReferences, detail: "Only one reference can have Controller set to true" });
  }
  return errs;
}

/** Copies what an update may not change from the stored object (BeforeUpdate). */
export function prepareUpdateMeta(obj: StoredObject, old: StoredObject): void {
  const m = writableMeta(obj);
  const o = old.metadata;
  m.uid = o.uid;
  m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  if (o.generateName !== undefined) m.generateName = o.generateName;
  delete m.selfLink;
  m.generation = o.generation ?? 1;
}

export function validateObjectMetaUpdate(obj: StoredObject, old: StoredObject, def: ResourceDef): FieldError[] {
  const errs = validateObjectMeta(obj, def).filter((e) => e.field !== "metadata.name");
  const oldFinalizers = new Set(old.metadata.finalizers ?? []);
  const added = (obj.metadata.finalizers ?? []).filter((f) => !oldFinalizers.has(f));
  if (old.metadata.deletionTimestamp && added.length) {
    errs.push({ type: "FieldValueForbidden", field: "metadata.finalizers", detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` });
  }
  return errs;
}

/** Everything but metadata and status: what generation counts. */
function specPart(obj: StoredObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** True when anything outside metadata and status differs (generation is bumped). */
export function specChanged(obj: StoredObject, old: StoredObject): boolean {
  return !jsonEqual(specPart(obj), specPart(old));
}

/** True when a write would change nothing stored (managedFields timestamps and resourceVersion aside). */
export function sameObject(a: StoredObject, b: StoredObject): boolean {
  return sameJson(a, b, TOP_SKIP) && sameJson(a.metadata, b.metadata, META_SKIP);
}

const TOP_SKIP = new Set(["metadata"]);
const META_SKIP = new Set(["resourceVersion", "managedFields"]);
const NO_SKIP = new Set<string>();

/** Whether a and b serialize to equal JSON values, key order aside (undefined fields are absent, undefined list
 *  items null, as JSON.stringify writes them); keys in `skip` are not compared. No intermediate copies. */
function sameJson(a: unknown, b: unknown, skip: Set<string> = NO_SKIP): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const k in ra) {
    if (!Object.prototype.hasOwnProperty.call(ra, k) || skip.has(k) || ra[k] === undefined) continue;
    na++;
    if (!Object.prototype.hasOwnProperty.call(rb, k) || !sameJson(ra[k], rb[k])) return false;
  }
  let nb = 0;
  for (const k in rb) if (Object.prototype.hasOwnProperty.call(rb, k) && !skip.has(k) && rb[k] !== undefined) nb++;
  return na === nb;
}

// Server-side apply (application/apply-patch+yaml) and field ownership for ordinary writes, as Kubernetes
// keeps them in metadata.managedFields:
// - apply: the applied configuration is merged into the live object; the applier owns every field it sets;
//   fields it applied before and no longer applies are removed unless another manager owns them; changing a
//   field another manager owns is a conflict unless forced (force moves ownership to the applier);
// - update (create/update/patch): the writer takes ownership of what it changed, from everyone else.
// Both compare through the OpenAPI schema (x-kubernetes-list-type/-map-keys, patch-merge-key as fallback).
import { deepClone, type KubeObject } from "../api/object.js";
import { errors, StatusError } from "./errors.js";
import { FieldSet, pathString, type FieldPath } from "./field_set.js";
import { jsonEqual } from "./json_patch.js";
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  formatTime,
  isUntracked,
  managerKey,
  stripUntracked,
  withoutManagedFields,
  type ManagerFields,
} from "./managed_fields.js";
import type { SchemaResolver } from "./openapi_schema.js";
import { mergeApplied, removeFields } from "./ssa_merge.js";
import { SchemaView } from "./ssa_schema.js";

/** The manager Kubernetes invents for fields of an object that had no managedFields when first applied. */
export const BEFORE_FIRST_APPLY = "before-first-apply";

export interface FieldManagerOptions {
  manager: string;
  resolver: SchemaResolver;
  /** Root schema name of the object's kind. */
  schema: string;
  now: Date;
  subresource?: string;
  /** Top-level fields this endpoint does not manage: "status" on the main resource, for instance. */
  ignoredFields?: string[];
}

export interface ApplyOptions extends FieldManagerOptions {
  force: boolean;
}

/** A field another manager owns with a different value. */
export interface ApplyConflict {
  manager: string;
  /** Kubernetes' path spelling: .spec.template.spec.containers[name="app"].image */
  field: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  subresource?: string;
}

export interface ApplyResult {
  /** The applied object with its new managedFields; the live object unchanged when there are conflicts. */
  object: KubeObject;
  conflicts: ApplyConflict[];
}

/**
 * Applies `applied` (a partial object, as `kubectl apply --server-side` sends it) to `live` (undefined when
 * the object does not exist yet). Conflicts are returned, not thrown: see applyConflictError.
 */
export function serverSideApply(live: object | undefined, applied: object, opts: ApplyOptions): ApplyResult {
  const cfg = applied as KubeObject;
  if ((cfg.metadata?.managedFields ?? []).length > 0) throw errors.badRequest("metadata.managedFields must be nil");
  const view = new SchemaView(opts.resolver);
  const root = opts.resolver.resolve(opts.schema);
  const ignored = opts.ignoredFields ?? [];
  const config = withoutManagedFields(cfg);
  for (const f of ignored) delete config[f];
  const liveClean = live === undefined ? undefined : withoutManagedFields(live as KubeObject);
  const managers = decodeManagedFields(live);
  if (liveClean !== undefined && managers.size === 0) {
    // An object nobody tracked yet (created before field management, or its managedFields cleared): like
    // Kubernetes, give everything it holds to "before-first-apply" so the first apply cannot silently take it.
    const all = stripUntracked(view.compare(undefined, liveClean, root).added, ignored);
    const owner = { manager: BEFORE_FIRST_APPLY, operation: "Update" as const, apiVersion: cfg.apiVersion ?? "", time: formatTime(opts.now), set: all };
    if (!all.empty()) managers.set(managerKey(owner), owner);
  }
  const self = { manager: opts.manager, operation: "Apply" as const, apiVersion: cfg.apiVersion ?? "", subresource: opts.subresource };
  const selfKey = managerKey(self);
  const last = managers.get(selfKey);

  const appliedSet = stripUntracked(view.fieldSet(config, root), ignored);
  let merged = mergeApplied(liveClean ?? {}, config, { view, schema: root }) as KubeObject;
  const owners = [...managers.entries()].filter(([k]) => k !== selfKey).map(([, m]) => m.set);
  owners.push(appliedSet);
  if (last) merged = removeFields(merged, prunable(last.set, owners), { view, schema: root }) as KubeObject;

  const diff = view.compare(liveClean, merged, root);
  const changed = stripUntracked(diff.added.union(diff.modified));
  const conflicts: ApplyConflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === selfKey) continue;
    const c = m.set.intersection(changed);
    if (c.empty()) continue;
    taken.set(key, c);
    for (const p of c.paths()) conflicts.push({ manager: m.manager, field: pathString(p), operation: m.operation, apiVersion: m.apiVersion, subresource: m.subresource });
  }
  if (conflicts.length > 0 && !opts.force) return { object: deepClone(live ?? {}) as KubeObject, conflicts };

  for (const [key, m] of managers) {
    if (key === selfKey) continue;
    m.set = m.set.difference(taken.get(key) ?? new FieldSet()).difference(diff.removed);
  }
  const objectChanged = !jsonEqual(liveClean, merged);
  const setChanged = !last || !last.set.equals(appliedSet);
  managers.set(selfKey, {
    ...self,
    time: objectChanged || setChanged || !last?.time ? formatTime(opts.now) : last.time,
    set: appliedSet,
  });
  capUpdateManagers(managers);
  return { object: withManagedFields(merged, managers.values()), conflicts: [] };
}

/**
 * What a new apply may remove: what the applier owned last time (and the named fields above it, below the
 * top level) that no manager, the applier included, still owns anything of.
 */
function prunable(last: FieldSet, owners: FieldSet[]): FieldSet {
  const candidates = new Map<string, FieldPath>();
  for (const p of last.paths()) {
    for (let n = p.length; n >= 2; n--) {
      const prefix = p.slice(0, n);
      if (n < p.length && !prefix[n - 1]!.startsWith("f:")) break;
      candidates.set(JSON.stringify(prefix), prefix);
    }
  }
  const remove = [...candidates.values()].filter((p) => !isUntracked(p) && !owners.some((o) => o.hasWithin(p)));
  return FieldSet.fromPaths(remove);
}

/**
 * Ownership after a create, update or non-apply patch by `opts.manager` (operation "Update"): the writer
 * owns what it added or changed, taking it from other managers; removed fields leave every set. If the new
 * object carries managedFields different from the old one's, the client reset them and those are used.
 * Returns a copy of `updated` with metadata.managedFields set.
 */
export function updateManagedFieldsForUpdate(old: object | undefined, updated: object, opts: FieldManagerOptions): KubeObject {
  const view = new SchemaView(opts.resolver);
  const root = opts.resolver.resolve(opts.schema);
  const oldObj = old as KubeObject | undefined;
  const newObj = updated as KubeObject;
  const sent = newObj.metadata?.managedFields;
  const managers = decodeManagedFields(sent !== undefined && !jsonEqual(sent, oldObj?.metadata?.managedFields) ? newObj : oldObj);
  const before = oldObj === undefined ? undefined : withoutManagedFields(oldObj);
  const after = withoutManagedFields(newObj);
  const diff = view.compare(before, after, root);
  const changed = stripUntracked(diff.added.union(diff.modified), opts.ignoredFields);
  const self = { manager: opts.manager, operation: "Update" as const, apiVersion: newObj.apiVersion ?? "", subresource: opts.subresource };
  const selfKey = managerKey(self);
  for (const [key, m] of managers) {
    if (key !== selfKey) m.set = m.set.difference(changed).difference(diff.removed);
  }
  const prev = managers.get(selfKey);
  const set = (prev?.set ?? new FieldSet()).difference(diff.removed).union(changed);
  const entry: ManagerFields = { ...self, set, time: changed.empty() ? prev?.time : formatTime(opts.now) };
  managers.set(selfKey, entry);
  capUpdateManagers(managers);
  return withManagedFields(after, managers.values());
}

function withManagedFields(obj: KubeObject, managers: Iterable<ManagerFields>): KubeObject {
  const out = deepClone(obj);
  const entries = encodeManagedFields(managers);
  out.metadata = { ...(out.metadata ?? {}) };
  if (entries.length > 0) out.metadata.managedFields = entries;
  else delete out.metadata.managedFields;
  return out;
}

function printManager(c: ApplyConflict): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === "Update") s += ` using ${c.apiVersion}`;
  return s;
}

/** The 409 Kubernetes returns for apply conflicts, message and causes as kubectl prints them. */
export function applyConflictError(conflicts: ApplyConflict[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${printManager(c)}`, field: c.field }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!)}: ${conflicts[0]!.field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(printManager(c), [...(byManager.get(printManager(c)) ?? []), c.field]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const f of byManager.get(m)!) lines.push(`- ${f}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError({ code: 409, reason: "Conflict", message, details: { causes } });
}

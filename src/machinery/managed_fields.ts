// metadata.managedFields: decoding entries into field sets per manager and encoding them back in the order
// Kubernetes writes them (Apply before Update, then by time, manager, apiVersion, subresource).
import { deepClone } from "../api/object.js";
import type { ManagedFieldsEntry } from "kubernetes-types/meta/v1.js";
import { FieldSet, type FieldPath } from "./field_set.js";

export type { ManagedFieldsEntry };

export interface ManagerFields {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/**
 * The identity of a manager entry. Appliers are one entry whatever apiVersion they used; updaters are one
 * entry per apiVersion. The subresource always counts.
 */
export function managerKey(m: Pick<ManagerFields, "manager" | "operation" | "apiVersion" | "subresource">): string {
  return JSON.stringify([m.manager, m.operation, m.operation === "Apply" ? "" : m.apiVersion, m.subresource ?? ""]);
}

/** Fields that are never tracked: identity and system-maintained metadata. */
const UNTRACKED: FieldPath[] = [
  ["f:apiVersion"],
  ["f:kind"],
  ["f:metadata"],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion"].map((f) => ["f:metadata", `f:${f}`]),
];
const UNTRACKED_SET = FieldSet.fromPaths(UNTRACKED);

export function isUntracked(path: FieldPath): boolean {
  return UNTRACKED_SET.has(path);
}

/** Drops untracked paths and everything under ignored top-level fields (e.g. "status" on the main resource). */
export function stripUntracked(set: FieldSet, ignoredTopLevel: string[] = []): FieldSet {
  const ignored = new Set(ignoredTopLevel.map((f) => `f:${f}`));
  return FieldSet.fromPaths(set.paths().filter((p) => !isUntracked(p) && !ignored.has(p[0]!)));
}

/** Entries of an object's metadata.managedFields, merged by manager identity; non-FieldsV1 entries are skipped. */
export function decodeManagedFields(obj: unknown): Map<string, ManagerFields> {
  const out = new Map<string, ManagerFields>();
  const meta = (obj as { metadata?: { managedFields?: ManagedFieldsEntry[] } } | undefined)?.metadata;
  for (const e of meta?.managedFields ?? []) {
    if (e.fieldsType !== undefined && e.fieldsType !== "FieldsV1") continue;
    const operation = e.operation === "Apply" ? "Apply" : "Update";
    const m: ManagerFields = {
      manager: e.manager ?? "",
      operation,
      apiVersion: e.apiVersion ?? "",
      time: e.time,
      subresource: e.subresource || undefined,
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    const key = managerKey(m);
    const prev = out.get(key);
    out.set(key, prev ? { ...m, set: prev.set.union(m.set) } : m);
  }
  return out;
}

/** The managedFields list: empty sets dropped, Kubernetes' order. */
export function encodeManagedFields(managers: Iterable<ManagerFields>): ManagedFieldsEntry[] {
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return [...managers]
    .filter((m) => !m.set.empty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? "", q.subresource ?? ""),
    )
    .map((m) => {
      const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
      if (m.time) e.time = m.time;
      e.fieldsType = "FieldsV1";
      e.fieldsV1 = m.set.toFieldsV1();
      if (m.subresource) e.subresource = m.subresource;
      return e;
    });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

let lastSecond = NaN;
let lastText = "";

/** metav1.Time as Kubernetes writes it: RFC 3339, whole seconds, UTC. The text of the last second is kept: every
 *  write in that second (creationTimestamp, managedFields times) reuses it. */
export function formatTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    // An invalid Date (NaN) never matches and throws here, as toISOString does.
    lastText = d.toISOString().replace(/\.\d{3}Z$/, "Z");
    lastSecond = second;
  }
  return lastText;
}

/** A copy of the object without metadata.managedFields. */
export function withoutManagedFields<T>(obj: T): T {
  const c = deepClone(obj);
  const meta = (c as { metadata?: Record<string, unknown> } | undefined)?.metadata;
  if (meta && typeof meta === "object") delete meta.managedFields;
  return c;
}

/** Kubernetes keeps at most this many Update entries; older ones are folded into "ancient-changes". */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = "ancient-changes";

/**
 * Folds the oldest Update entries into one "ancient-changes" entry per apiVersion until at most `max` Update
 * entries remain (the first old entry of a version becomes the bucket when a second one joins it).
 */
export function capUpdateManagers(managers: Map<string, ManagerFields>, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === "Update");
  if (updaters.length <= max) return;
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [key, m] of updaters) {
    if (length <= max) break;
    const bucketKey = managerKey({ manager: ANCIENT_CHANGES, operation: "Update", apiVersion: m.apiVersion });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, key);
      continue;
    }
    let bucket = managers.get(bucketKey);
    if (!bucket) {
      const seed = managers.get(first)!;
      managers.delete(first);
      bucket = { manager: ANCIENT_CHANGES, operation: "Update", apiVersion: m.apiVersion, set: seed.set, time: seed.time };
    }
    managers.set(bucketKey, { ...bucket, set: m.set.union(bucket.set), time: m.time });
    managers.delete(key);
    length--;
  }
}

// Helpers for resource tests: run a definition's create/update pipeline as the generic store would
// (defaults -> prepare -> validate), without storage.
import type { StoredObject } from "../../api/object.js";
import type { FieldError } from "../../machinery/errors.js";
import type { ResourceDef } from "../types.js";

export const NOW = new Date("2026-01-01T12:00:00Z");

export function created(def: ResourceDef, obj: Record<string, unknown>): { obj: StoredObject; errs: FieldError[] } {
  const o = structuredClone(obj) as StoredObject;
  // The generic store sets these before the strategy runs.
  o.metadata = { uid: "0a1b2c3d-0000-4000-8000-000000000001", creationTimestamp: "2026-01-01T11:55:00Z", ...o.metadata };
  def.strategy.defaults?.(o);
  def.strategy.prepareForCreate?.(o, { now: NOW });
  const errs = def.strategy.validate(o);
  if (def.strategy.validateName && o.metadata.name) {
    for (const m of def.strategy.validateName(o.metadata.name)) errs.push({ type: "FieldValueInvalid", field: "metadata.name", value: o.metadata.name, detail: m });
  }
  return { obj: o, errs };
}

export function updated(def: ResourceDef, obj: StoredObject, old: StoredObject): { obj: StoredObject; errs: FieldError[] } {
  const o = structuredClone(obj);
  // The generic store's order: prepareForUpdate, then defaults.
  def.strategy.prepareForUpdate?.(o, old, { now: NOW });
  def.strategy.defaults?.(o);
  return { obj: o, errs: def.strategy.validateUpdate(o, old) };
}

export function fields(errs: FieldError[]): string[] {
  return errs.map((e) => `${e.type}:${e.field}`);
}

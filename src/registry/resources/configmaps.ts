// core/v1 configmaps: valid keys, data and binaryData disjoint, at most 1 MiB, and `immutable` honoured.
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { check, isConfigMapKey } from "../../api/validation/names.js";
import { deepEqual, forbidden, invalid, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

/** ConfigMaps and Secrets are capped at 1 MiB of data so objects stay well under etcd's request limit. */
export const MAX_DATA_BYTES = 1024 * 1024;

function validate(cm: ConfigMap): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    errs.push(...check(k, "data", isConfigMapKey));
    total += Buffer.byteLength(String(v));
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    errs.push(...check(k, "binaryData", isConfigMapKey));
    if (cm.data && k in cm.data) errs.push(invalid("data", k, "duplicate of key present in binaryData"));
    total += Math.floor((String(v).length * 3) / 4);
  }
  if (total > MAX_DATA_BYTES) errs.push({ type: "FieldValueTooLong", field: "", detail: `must have at most ${MAX_DATA_BYTES} bytes` });
  return errs;
}

/** Objects marked immutable keep their data and stay immutable (shared by configmaps and secrets). */
export function validateImmutableData(n: { immutable?: boolean; data?: unknown; binaryData?: unknown }, o: typeof n, dataFields: string[]): FieldError[] {
  if (o.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (n.immutable !== true) errs.push(forbidden("immutable", "field is immutable when `immutable` is set"));
  for (const f of dataFields) {
    const rec = (x: typeof n) => (x as Record<string, unknown>)[f];
    if (!deepEqual(rec(n), rec(o))) errs.push(forbidden(f, "field is immutable when `immutable` is set"));
  }
  return errs;
}

export const configmaps: ResourceDef = {
  group: "",
  kind: "ConfigMap",
  resource: "configmaps",
  singular: "configmap",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["cm"],
  strategy: {
    validate: (obj) => validate(as<ConfigMap>(obj)),
    validateUpdate(obj, old) {
      const n = as<ConfigMap>(obj);
      return [...validate(n), ...validateImmutableData(n, as<ConfigMap>(old), ["data", "binaryData"])];
    },
  },
  table: {
    columns: [NAME_COLUMN, col("Data", "integer", "Data contains the configuration data."), AGE_COLUMN],
    cells(obj, now) {
      const cm = as<ConfigMap>(obj);
      return [obj.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
    },
  },
};

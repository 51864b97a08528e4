// core/v1 limitranges: per-type limits (Pod, Container, PersistentVolumeClaim) as quantities, min <= default <= max.
import type { LimitRange } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, required, type FieldError } from "../../api/validation/field.js";
import { QUANTITY_SYNTAX_ERROR, quantityValue } from "../../api/validation/quantity.js";
import { NAME_COLUMN, as, col } from "./common.js";

const LIMIT_KEYS = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;

function validate(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const limits = lr.spec?.limits;
  if (!lr.spec) return [required("spec")];
  (limits ?? []).forEach((l, i) => {
    const f = `spec.limits[${i}]`;
    if (!l.type) errs.push(required(`${f}.type`));
    for (const key of LIMIT_KEYS) {
      for (const [k, v] of Object.entries(l[key] ?? {})) {
        if (quantityValue(v) === undefined) errs.push(invalid(`${f}.${key}[${k}]`, v, QUANTITY_SYNTAX_ERROR));
      }
    }
    for (const [k, maxV] of Object.entries(l.max ?? {})) {
      const minV = l.min?.[k];
      if (minV !== undefined && (quantityValue(minV) ?? 0) > (quantityValue(maxV) ?? 0)) {
        errs.push(invalid(`${f}.min[${k}]`, minV, `min value ${String(minV)} is greater than max value ${String(maxV)}`));
      }
      const d = l.default?.[k];
      if (d !== undefined && (quantityValue(d) ?? 0) > (quantityValue(maxV) ?? 0)) {
        errs.push(invalid(`${f}.default[${k}]`, d, `default value ${String(d)} is greater than max value ${String(maxV)}`));
      }
    }
    if (l.type === "Pod" && (l.default || l.defaultRequest)) {
      errs.push(invalid(`${f}.default`, l.default ?? l.defaultRequest, "may not be specified when `type` is 'Pod'"));
    }
  });
  return errs;
}

export const limitRanges: ResourceDef = {
  group: "",
  kind: "LimitRange",
  resource: "limitranges",
  singular: "limitrange",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["limits"],
  strategy: {
    allowCreateOnUpdate: true,
    defaults(obj) {
      // A container limit range's default request is its default limit, and its default limit its max.
      for (const l of as<LimitRange>(obj).spec?.limits ?? []) {
        if (l.type !== "Container") continue;
        for (const [k, v] of Object.entries(l.max ?? {})) (l.default ??= {})[k] ??= v;
        for (const [k, v] of Object.entries(l.default ?? {})) (l.defaultRequest ??= {})[k] ??= v;
      }
    },
    validate: (obj) => validate(as<LimitRange>(obj)),
    validateUpdate: (obj) => validate(as<LimitRange>(obj)),
  },
  table: {
    columns: [NAME_COLUMN, col("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.")],
    cells: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? ""],
  },
};

// core/v1 resourcequotas: hard limits as quantities, known scopes; the table shows used/hard for requests and limits.
import { deepClone } from "../../api/object.js";
import type { ResourceQuota } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { QUANTITY_SYNTAX_ERROR, quantityValue } from "../../api/validation/quantity.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";

const SCOPES = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"];

function validateHard(hard: Record<string, unknown> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(hard ?? {})) {
    const q = quantityValue(v);
    if (q === undefined) errs.push(invalid(`${field}[${k}]`, v, QUANTITY_SYNTAX_ERROR));
    else if (q < 0) errs.push(invalid(`${field}[${k}]`, v, "must be greater than or equal to 0"));
  }
  return errs;
}

function validate(q: ResourceQuota): FieldError[] {
  const errs = validateHard(q.spec?.hard, "spec.hard");
  for (const s of q.spec?.scopes ?? []) if (!SCOPES.includes(s)) errs.push(notSupported("spec.scopes", s, SCOPES));
  return errs;
}

/** "cpu: 100m/1, pods: 2/10": used/hard per resource, sorted by name. */
function usage(q: ResourceQuota, wantLimits: boolean): string {
  const hard = q.status?.hard ?? q.spec?.hard ?? {};
  const used = q.status?.used ?? {};
  return Object.keys(hard)
    .filter((k) => k.startsWith("limits.") === wantLimits)
    .sort()
    .map((k) => `${k}: ${String(used[k] ?? "0")}/${String(hard[k])}`)
    .join(", ");
}

export const resourceQuotas: ResourceDef = {
  group: "",
  kind: "ResourceQuota",
  resource: "resourcequotas",
  singular: "resourcequota",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["quota"],
  status: true,
  strategy: {
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = {};
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validate(as<ResourceQuota>(obj)),
    validateUpdate: (obj) => validate(as<ResourceQuota>(obj)),
    validateStatusUpdate(obj) {
      const q = as<ResourceQuota>(obj);
      return [...validateHard(q.status?.hard, "status.hard"), ...validateHard(q.status?.used, "status.used")];
    },
  },
  table: {
    columns: [NAME_COLUMN, AGE_COLUMN, col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."), col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.")],
    cells: (obj, now) => [obj.metadata.name, age(obj, now), usage(as<ResourceQuota>(obj), false), usage(as<ResourceQuota>(obj), true)],
  },
};

// policy/v1 poddisruptionbudgets: minAvailable xor maxUnavailable, a valid selector, the eviction policy.
import { deepClone } from "../../api/object.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { validateIntOrPercent, validatePercentAtMost100 } from "../../api/validation/intstr.js";
import { validateLabelSelector } from "../../machinery/labels.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";

const EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

function validate(pdb: PodDisruptionBudget): FieldError[] {
  const spec = pdb.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
  }
  errs.push(...validateIntOrPercent(spec.minAvailable, "spec.minAvailable"), ...validatePercentAtMost100(spec.minAvailable, "spec.minAvailable"));
  errs.push(...validateIntOrPercent(spec.maxUnavailable, "spec.maxUnavailable"), ...validatePercentAtMost100(spec.maxUnavailable, "spec.maxUnavailable"));
  errs.push(...validateLabelSelector(spec.selector, "spec.selector"));
  if (spec.unhealthyPodEvictionPolicy && !EVICTION_POLICIES.includes(spec.unhealthyPodEvictionPolicy)) {
    errs.push(notSupported("spec.unhealthyPodEvictionPolicy", spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  return errs;
}

export const podDisruptionBudgets: ResourceDef = {
  group: "policy",
  kind: "PodDisruptionBudget",
  resource: "poddisruptionbudgets",
  singular: "poddisruptionbudget",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["pdb"],
  status: true,
  strategy: {
    prepareForCreate(obj) {
      obj.status = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validate(as<PodDisruptionBudget>(obj)),
    validateUpdate: (obj) => validate(as<PodDisruptionBudget>(obj)),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Min Available", "string", "The minimum number of pods that must be available."),
      col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
      col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const p = as<PodDisruptionBudget>(obj);
      const s = p.spec ?? {};
      return [obj.metadata.name, s.minAvailable !== undefined ? String(s.minAvailable) : "N/A", s.maxUnavailable !== undefined ? String(s.maxUnavailable) : "N/A", p.status?.disruptionsAllowed ?? 0, age(obj, now)];
    },
  },
};

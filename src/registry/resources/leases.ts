// coordination.k8s.io/v1 leases: leader election and node heartbeats. Durations positive, transitions >= 0.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, nonnegative, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

function validate(l: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const d = l.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(invalid("spec.leaseDurationSeconds", d, "must be greater than 0"));
  errs.push(...nonnegative(l.spec?.leaseTransitions, "spec.leaseTransitions"));
  return errs;
}

export const leases: ResourceDef = {
  group: "coordination.k8s.io",
  kind: "Lease",
  resource: "leases",
  singular: "lease",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: {
    allowCreateOnUpdate: true,
    // Leader election relies on compare-and-swap: an update must name the version it read.
    allowUnconditionalUpdate: false,
    validate: (obj) => validate(as<Lease>(obj)),
    validateUpdate: (obj) => validate(as<Lease>(obj)),
  },
  table: {
    columns: [NAME_COLUMN, col("Holder", "string", "The holder of the lease."), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, as<Lease>(obj).spec?.holderIdentity ?? "", age(obj, now)],
  },
};

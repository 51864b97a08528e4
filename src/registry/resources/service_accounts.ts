// core/v1 serviceaccounts: secret references by name; the `kubectl get sa` table counts them.
import type { ServiceAccount } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { required, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

function validate(sa: ServiceAccount): FieldError[] {
  const errs: FieldError[] = [];
  (sa.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) errs.push(required(`imagePullSecrets[${i}].name`));
  });
  return errs;
}

export const serviceAccounts: ResourceDef = {
  group: "",
  kind: "ServiceAccount",
  resource: "serviceaccounts",
  singular: "serviceaccount",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["sa"],
  strategy: {
    allowCreateOnUpdate: true,
    validate: (obj) => validate(as<ServiceAccount>(obj)),
    validateUpdate: (obj) => validate(as<ServiceAccount>(obj)),
  },
  table: {
    columns: [NAME_COLUMN, col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, (as<ServiceAccount>(obj).secrets ?? []).length, age(obj, now)],
  },
};

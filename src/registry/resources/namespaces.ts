// core/v1 namespaces: cluster-scoped, DNS-label names, the kubernetes finalizer, phase Active/Terminating.
import { deepClone } from "../../api/object.js";
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { isDNS1123Label } from "../../api/validation/names.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";
import { notSupported } from "../../api/validation/field.js";

/** The label every namespace carries with its own name, so selectors can pick namespaces by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** The finalizer the namespace controller removes once the namespace's content is gone. */
export const NAMESPACE_FINALIZER = "kubernetes";

export const namespaces: ResourceDef = {
  group: "",
  kind: "Namespace",
  resource: "namespaces",
  singular: "namespace",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ns"],
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  status: true,
  strategy: {
    defaults(obj) {
      if (obj.metadata.name) (obj.metadata.labels ??= {})[NAMESPACE_NAME_LABEL] = obj.metadata.name;
    },
    prepareForCreate(obj) {
      const ns = as<Namespace>(obj);
      obj.status = { phase: "Active" };
      const spec = (ns.spec ??= {});
      const fins = (spec.finalizers ??= []);
      if (!fins.includes(NAMESPACE_FINALIZER)) fins.push(NAMESPACE_FINALIZER);
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
      // spec.finalizers change only through the finalize subresource.
      obj.spec = deepClone(old.spec);
    },
    prepareForStatusUpdate(obj, old) {
      resetForStatus(obj, old);
    },
    validateName: isDNS1123Label,
    validate: () => [],
    validateUpdate: () => [],
    validateStatusUpdate(obj) {
      const phase = as<Namespace>(obj).status?.phase;
      return phase !== undefined && phase !== "Active" && phase !== "Terminating" ? [notSupported("status.phase", phase, ["Active", "Terminating"])] : [];
    },
    fieldAttrs: (obj) => ({ "status.phase": as<Namespace>(obj).status?.phase ?? "" }),
  },
  table: {
    columns: [NAME_COLUMN, col("Status", "string", "The status of the namespace"), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, as<Namespace>(obj).status?.phase ?? "", age(obj, now)],
  },
};

// scheduling.k8s.io/v1 priorityclasses. The server bootstrap creates the two builtin classes below; their values
// are fixed here because pods referring to them get their priority from this table too.
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import type { ResourceDef } from "../types.js";
import { forbidden, immutable, invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

/** User-defined priorities may not exceed one billion; higher values are reserved for system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CLUSTER_CRITICAL = 2_000_000_000;
export const SYSTEM_NODE_CRITICAL = SYSTEM_CLUSTER_CRITICAL + 1000;

/** The builtin classes the server bootstrap creates (scheduling.k8s.io SystemPriorityClasses). */
export const BUILTIN_PRIORITY_CLASSES: PriorityClass[] = [
  { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "system-node-critical" }, value: SYSTEM_NODE_CRITICAL, description: "Used for system critical pods that must not be moved from their current node.", preemptionPolicy: "PreemptLowerPriority" },
  { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "system-cluster-critical" }, value: SYSTEM_CLUSTER_CRITICAL, description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.", preemptionPolicy: "PreemptLowerPriority" },
];

export function builtinPriority(name: string | undefined): number | undefined {
  return BUILTIN_PRIORITY_CLASSES.find((c) => c.metadata?.name === name)?.value;
}

const PREEMPTION = ["Never", "PreemptLowerPriority"];

function validate(pc: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? "";
  const builtin = BUILTIN_PRIORITY_CLASSES.find((c) => c.metadata?.name === name);
  if (name.startsWith("system-") && !builtin) errs.push(forbidden("metadata.name", "priority class names with 'system-' prefix are reserved"));
  if (builtin && pc.value !== builtin.value) errs.push(forbidden("value", `value of ${name} must be ${builtin.value}`));
  if (!builtin && typeof pc.value === "number" && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (typeof pc.value !== "number" || !Number.isInteger(pc.value)) errs.push(invalid("value", pc.value, "must be an integer"));
  if (pc.preemptionPolicy && !PREEMPTION.includes(pc.preemptionPolicy)) errs.push(notSupported("preemptionPolicy", pc.preemptionPolicy, PREEMPTION));
  return errs;
}

export const priorityClasses: ResourceDef = {
  group: "scheduling.k8s.io",
  kind: "PriorityClass",
  resource: "priorityclasses",
  singular: "priorityclass",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["pc"],
  strategy: {
    defaults(obj) {
      const pc = as<PriorityClass>(obj);
      pc.preemptionPolicy ??= "PreemptLowerPriority";
    },
    validate: (obj) => validate(as<PriorityClass>(obj)),
    validateUpdate(obj, old) {
      const n = as<PriorityClass>(obj);
      const o = as<PriorityClass>(old);
      return [...validate(n), ...immutable(n.value, o.value, "value"), ...immutable(n.preemptionPolicy, o.preemptionPolicy, "preemptionPolicy")];
    },
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Value", "integer", "value represents the integer value of this priority class."),
      col("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class."),
      AGE_COLUMN,
      col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority.", 1),
    ],
    cells(obj, now) {
      const pc = as<PriorityClass>(obj);
      return [obj.metadata.name, pc.value, pc.globalDefault ?? false, age(obj, now), pc.preemptionPolicy ?? ""];
    },
  },
};

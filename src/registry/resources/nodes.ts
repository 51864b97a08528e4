// core/v1 nodes: cluster-scoped; podCIDR(s) fixed once set; taints; the `kubectl get nodes` table with
// Ready/NotReady/Unknown, SchedulingDisabled and roles from node-role.kubernetes.io/* labels.
import { deepClone } from "../../api/object.js";
import type { Node, NodeSpec } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { validateLabelName } from "../../machinery/label_validation.js";
import { duplicate, invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const ROLE_PREFIX = "node-role.kubernetes.io/";
const LEGACY_ROLE_LABEL = "kubernetes.io/role";
const CIDR_RE = /^[0-9a-fA-F:.]+\/[0-9]{1,3}$/;

function validateSpec(spec: NodeSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (spec?.taints ?? []).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    if (!t.key) errs.push(required(`${f}.key`));
    else errs.push(...validateLabelName(t.key, `${f}.key`));
    if (!t.effect) errs.push(required(`${f}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(`${f}.effect`, t.effect, TAINT_EFFECTS));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push(duplicate(f, { key: t.key, effect: t.effect }));
    seen.add(k);
  });
  for (const [i, c] of (spec?.podCIDRs ?? []).entries()) {
    if (!CIDR_RE.test(c)) errs.push(invalid(`spec.podCIDRs[${i}]`, c, "must be a valid CIDR"));
  }
  if (spec?.podCIDR && spec.podCIDRs?.length && spec.podCIDRs[0] !== spec.podCIDR) {
    errs.push(invalid("spec.podCIDRs", spec.podCIDRs, "element [0] must match podCIDR"));
  }
  return errs;
}

function validateUpdate(n: NodeSpec | undefined, o: NodeSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (o?.podCIDR && n?.podCIDR !== o.podCIDR) errs.push({ type: "FieldValueForbidden", field: "spec.podCIDRs", detail: "node updates may not change podCIDR except from \"\" to valid" });
  if (o?.providerID && n?.providerID !== o.providerID) errs.push({ type: "FieldValueForbidden", field: "spec.providerID", detail: "node updates may not change providerID except from \"\" to valid" });
  return errs;
}

export function nodeStatusCell(node: Node): string {
  const parts: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
  if (ready) parts.push(ready.status === "True" ? "Ready" : "NotReady");
  else parts.push("Unknown");
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === LEGACY_ROLE_LABEL && v) roles.add(v);
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? "<none>";
}

export const nodes: ResourceDef = {
  group: "",
  kind: "Node",
  resource: "nodes",
  singular: "node",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["no"],
  status: true,
  strategy: {
    prepareForCreate(obj) {
      // A node registers with its status (capacity, addresses): unlike most resources, create keeps it.
      obj.status ??= {};
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateSpec(as<Node>(obj).spec),
    validateUpdate: (obj, old) => [...validateSpec(as<Node>(obj).spec), ...validateUpdate(as<Node>(obj).spec, as<Node>(old).spec)],
    fieldAttrs: (obj) => ({ "spec.unschedulable": String(as<Node>(obj).spec?.unschedulable ?? false) }),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Status", "string", "The status of the node"),
      col("Roles", "string", "The roles of the node"),
      AGE_COLUMN,
      col("Version", "string", "Kubelet Version reported by the node."),
      col("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
      col("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
      col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
      col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
    ],
    cells(obj, now) {
      const n = as<Node>(obj);
      const info = n.status?.nodeInfo;
      return [
        obj.metadata.name, nodeStatusCell(n), nodeRoles(n), age(obj, now), info?.kubeletVersion ?? "",
        address(n, "InternalIP"), address(n, "ExternalIP"),
        info?.osImage || "<unknown>", info?.kernelVersion || "<unknown>", info?.containerRuntimeVersion || "<unknown>",
      ];
    },
  },
};

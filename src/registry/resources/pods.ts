// core/v1 pods: defaults, validation of create and update (a pod's spec is nearly immutable), status handling,
// the field selectors kubelets and kubectl use, graceful deletion and the `kubectl get pods` table.
import type { Pod, PodSpec, Container } from "kubernetes-types/core/v1.js";
import { deepClone, type StoredObject } from "../../api/object.js";
import type { ResourceDef } from "../types.js";
import { defaultPodSpec } from "../../api/defaults/pod_spec.js";
import { validatePodSpec } from "../../api/validation/pod_spec.js";
import { deepEqual, forbidden, invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { quantityValue } from "../../api/validation/quantity.js";
import { ALL, AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";
import { readinessGatesCell, summarizePod } from "./pod_status.js";
import { builtinPriority } from "./priority_classes.js";

const DEFAULT_GRACE_SECONDS = 30;
const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/** Kubernetes' QoS classes: Guaranteed (cpu and memory limited, requests equal limits), BestEffort (nothing), else Burstable. */
export function qosClass(spec: PodSpec): "Guaranteed" | "Burstable" | "BestEffort" {
  const all: Container[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ["cpu", "memory"]) {
      const rq = quantityValue(req[r]);
      const lm = quantityValue(lim[r]);
      if ((rq !== undefined && rq !== 0) || (lm !== undefined && lm !== 0)) any = true;
      if (lm === undefined || (rq !== undefined && rq !== lm)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

const UPDATE_FORBIDDEN =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** ValidatePodUpdate: only images, a shorter activeDeadlineSeconds, added tolerations and removed scheduling gates. */
export function validatePodSpecUpdate(spec: PodSpec, old: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  if ((spec.containers ?? []).length !== (old.containers ?? []).length) {
    return [forbidden("spec.containers", "pod updates may not add or remove containers")];
  }
  if ((spec.initContainers ?? []).length !== (old.initContainers ?? []).length) {
    return [forbidden("spec.initContainers", "pod updates may not add or remove containers")];
  }
  if (old.activeDeadlineSeconds !== undefined) {
    if (spec.activeDeadlineSeconds === undefined) errs.push(invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
    else if (spec.activeDeadlineSeconds > old.activeDeadlineSeconds) errs.push(invalid("spec.activeDeadlineSeconds", spec.activeDeadlineSeconds, "must be less than or equal to previous value"));
  }
  for (const t of old.tolerations ?? []) {
    const kept = (spec.tolerations ?? []).some((n) => deepEqual({ ...n, tolerationSeconds: undefined }, { ...t, tolerationSeconds: undefined }));
    if (!kept) errs.push(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
  }
  for (const g of spec.schedulingGates ?? []) {
    if (!(old.schedulingGates ?? []).some((o) => o.name === g.name)) errs.push(forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate '" + g.name + "'"));
  }
  // Everything else must be unchanged: compare with the mutable fields copied from the new spec.
  const mutated: PodSpec = deepClone(old);
  (mutated.containers ?? []).forEach((c, i) => (c.image = spec.containers[i]!.image));
  (mutated.initContainers ?? []).forEach((c, i) => (c.image = spec.initContainers![i]!.image));
  mutated.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  mutated.tolerations = spec.tolerations;
  mutated.schedulingGates = spec.schedulingGates;
  if (old.terminationGracePeriodSeconds !== undefined && old.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1) {
    mutated.terminationGracePeriodSeconds = 1;
  }
  if (!deepEqual(mutated, spec)) errs.push(forbidden("spec", UPDATE_FORBIDDEN));
  return errs;
}

function validatePod(obj: StoredObject): FieldError[] {
  return validatePodSpec(as<Pod>(obj).spec, "spec");
}

/** Pod field selectors (Kubernetes' pod GetAttrs), one reader each: see Strategy.fields. */
const podFields: Record<string, (obj: StoredObject) => string> = {
  "spec.nodeName": (obj) => as<Pod>(obj).spec?.nodeName ?? "",
  "spec.restartPolicy": (obj) => as<Pod>(obj).spec?.restartPolicy ?? "",
  "spec.schedulerName": (obj) => as<Pod>(obj).spec?.schedulerName ?? "",
  "spec.serviceAccountName": (obj) => as<Pod>(obj).spec?.serviceAccountName ?? "",
  "spec.hostNetwork": (obj) => String(as<Pod>(obj).spec?.hostNetwork ?? false),
  "status.phase": (obj) => as<Pod>(obj).status?.phase ?? "",
  "status.podIP": (obj) => {
    const st = as<Pod>(obj).status;
    return st?.podIPs?.[0]?.ip ?? st?.podIP ?? "";
  },
  "status.nominatedNodeName": (obj) => as<Pod>(obj).status?.nominatedNodeName ?? "",
};

export const pods: ResourceDef = {
  group: "",
  kind: "Pod",
  resource: "pods",
  singular: "pod",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["po"],
  categories: ALL,
  status: true,
  strategy: {
    defaults(obj) {
      const p = as<Pod>(obj);
      if (p.spec) defaultPodSpec(p.spec);
    },
    prepareForCreate(obj) {
      const p = as<Pod>(obj);
      const spec = p.spec;
      // What the Priority admission plugin resolves when nothing ran before us: builtin classes, else priority 0.
      if (spec && spec.priority === undefined) {
        spec.priority = builtinPriority(spec.priorityClassName) ?? 0;
        spec.preemptionPolicy ??= "PreemptLowerPriority";
      }
      obj.status = { phase: "Pending", qosClass: spec ? qosClass(spec) : "BestEffort" };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate(obj, old) {
      resetForStatus(obj, old);
    },
    validate: validatePod,
    validateUpdate(obj, old) {
      const errs = validatePod(obj);
      const n = as<Pod>(obj).spec;
      const o = as<Pod>(old).spec;
      if (n && o) errs.push(...validatePodSpecUpdate(n, o));
      // Mirror pods (static pods shown by their node): the annotation stays as it was and the spec is the node's.
      const mirror = "kubernetes.io/config.mirror";
      const was = as<Pod>(old).metadata?.annotations?.[mirror];
      const is = as<Pod>(obj).metadata?.annotations?.[mirror];
      if (was !== is) errs.push(forbidden(`metadata.annotations[${mirror}]`, was === undefined ? "may not add mirror pod annotation" : "may not remove or update mirror pod annotation"));
      else if (was !== undefined && n && o && !deepEqual(n, o)) errs.push(forbidden("spec", "may not update the spec of a mirror pod"));
      return errs;
    },
    validateStatusUpdate(obj) {
      const phase = as<Pod>(obj).status?.phase;
      return phase !== undefined && !PHASES.includes(phase) ? [notSupported("status.phase", phase, PHASES)] : [];
    },
    fields: podFields,
  },
  defaultGracePeriodSeconds(obj) {
    return as<Pod>(obj).spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      col("Status", "string", "The aggregate status of the containers in this pod."),
      col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
      AGE_COLUMN,
      col("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
      col("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
      col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
      col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
    ],
    cells(obj, now) {
      const p = as<Pod>(obj);
      const s = summarizePod(p, now);
      return [
        obj.metadata.name,
        s.ready,
        s.status,
        s.restarts,
        age(obj, now),
        p.status?.podIPs?.[0]?.ip || p.status?.podIP || "<none>",
        p.spec?.nodeName || "<none>",
        p.status?.nominatedNodeName || "<none>",
        readinessGatesCell(p),
      ];
    },
  },
};

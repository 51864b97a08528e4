// apps/v1 daemonsets: defaults (RollingUpdate maxUnavailable 1 maxSurge 0, history 10), validation and table.
import { deepClone } from "../../api/object.js";
import type { DaemonSet, DaemonSetSpec } from "kubernetes-types/apps/v1.js";
import type { ResourceDef } from "../types.js";
import { forbidden, invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { isZero, validateIntOrPercent, validatePercentAtMost100 } from "../../api/validation/intstr.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, col, mapSelectorCell, resetForStatus, selectorCell, templateCells } from "./common.js";
import { defaultTemplate, validateSelectorUnchanged, validateWorkloadSpec } from "./workload.js";

const UPDATE_TYPES = ["OnDelete", "RollingUpdate"];

export function defaultDaemonSetSpec(spec: DaemonSetSpec): void {
  const us = (spec.updateStrategy ??= {});
  us.type ??= "RollingUpdate";
  if (us.type === "RollingUpdate") {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
}

function validateSpec(spec: DaemonSetSpec): FieldError[] {
  const errs = validateWorkloadSpec(spec, "daemonset");
  const us = spec.updateStrategy ?? {};
  if (!us.type || !UPDATE_TYPES.includes(us.type)) errs.push(notSupported("spec.updateStrategy.type", us.type, UPDATE_TYPES));
  if (us.type === "OnDelete" && us.rollingUpdate) errs.push(forbidden("spec.updateStrategy.rollingUpdate", "may not be specified when strategy `type` is 'OnDelete'"));
  const ru = us.rollingUpdate;
  if (us.type === "RollingUpdate" && ru) {
    const f = "spec.updateStrategy.rollingUpdate";
    errs.push(...validateIntOrPercent(ru.maxUnavailable, `${f}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${f}.maxSurge`));
    errs.push(...validatePercentAtMost100(ru.maxUnavailable, `${f}.maxUnavailable`), ...validatePercentAtMost100(ru.maxSurge, `${f}.maxSurge`));
    if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) errs.push(invalid(`${f}.maxUnavailable`, ru.maxUnavailable ?? 0, "may not be 0 when `maxSurge` is 0"));
  }
  return errs;
}

export const daemonsets: ResourceDef = {
  group: "apps",
  kind: "DaemonSet",
  resource: "daemonsets",
  singular: "daemonset",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ds"],
  categories: ALL,
  status: true,
  strategy: {
    defaults(obj) {
      const d = as<DaemonSet>(obj);
      if (d.spec) defaultDaemonSetSpec(d.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateSpec(as<DaemonSet>(obj).spec ?? ({} as DaemonSetSpec)),
    validateUpdate: (obj, old) => [...validateSpec(as<DaemonSet>(obj).spec ?? ({} as DaemonSetSpec)), ...validateSelectorUnchanged(obj, old)],
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Desired", "integer", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
      col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
      col("Ready", "integer", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
      col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
      col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
      col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const d = as<DaemonSet>(obj);
      const st = d.status;
      const [containers, images] = templateCells(d.spec?.template);
      return [
        obj.metadata.name, st?.desiredNumberScheduled ?? 0, st?.currentNumberScheduled ?? 0, st?.numberReady ?? 0,
        st?.updatedNumberScheduled ?? 0, st?.numberAvailable ?? 0, mapSelectorCell(d.spec?.template?.spec?.nodeSelector),
        age(obj, now), containers, images, selectorCell(d.spec?.selector),
      ];
    },
  },
};

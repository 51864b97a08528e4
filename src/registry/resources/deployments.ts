// apps/v1 deployments: defaults (replicas, RollingUpdate 25%/25%, history 10, progress deadline 600s), validation,
// the scale subresource and the `kubectl get deploy` table.
import { deepClone } from "../../api/object.js";
import type { Deployment, DeploymentSpec } from "kubernetes-types/apps/v1.js";
import type { ResourceDef } from "../types.js";
import { forbidden, invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { isZero, validateIntOrPercent, validatePercentAtMost100 } from "../../api/validation/intstr.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, col, resetForStatus, selectorCell, templateCells } from "./common.js";
import { defaultTemplate, validateSelectorUnchanged, validateWorkloadSpec, workloadScale } from "./workload.js";

const STRATEGIES = ["Recreate", "RollingUpdate"];
/** Ten minutes without progress marks a rollout as failed. */
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
const DEFAULT_REVISION_HISTORY = 10;

export function defaultDeploymentSpec(spec: DeploymentSpec): void {
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= "25%";
    ru.maxSurge ??= "25%";
  }
  spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY;
  spec.progressDeadlineSeconds ??= DEFAULT_PROGRESS_DEADLINE_SECONDS;
  defaultTemplate(spec.template);
}

function validateDeploymentSpec(spec: DeploymentSpec): FieldError[] {
  const errs = validateWorkloadSpec(spec, "deployment");
  const s = spec.strategy ?? {};
  if (!s.type || !STRATEGIES.includes(s.type)) errs.push(notSupported("spec.strategy.type", s.type, STRATEGIES));
  if (s.type === "Recreate" && s.rollingUpdate) errs.push(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
  if (s.type === "RollingUpdate" && s.rollingUpdate) {
    const f = "spec.strategy.rollingUpdate";
    const { maxSurge, maxUnavailable } = s.rollingUpdate;
    errs.push(...validateIntOrPercent(maxUnavailable, `${f}.maxUnavailable`), ...validateIntOrPercent(maxSurge, `${f}.maxSurge`));
    errs.push(...validatePercentAtMost100(maxUnavailable, `${f}.maxUnavailable`));
    if (isZero(maxSurge) && isZero(maxUnavailable)) errs.push(invalid(`${f}.maxUnavailable`, maxUnavailable ?? 0, "may not be 0 when `maxSurge` is 0"));
  }
  const pd = spec.progressDeadlineSeconds;
  if (pd !== undefined) {
    if (pd < 0) errs.push(invalid("spec.progressDeadlineSeconds", pd, "must be greater than or equal to 0"));
    else if (pd <= (spec.minReadySeconds ?? 0)) errs.push(invalid("spec.progressDeadlineSeconds", pd, "must be greater than minReadySeconds"));
  }
  return errs;
}

export const deployments: ResourceDef = {
  group: "apps",
  kind: "Deployment",
  resource: "deployments",
  singular: "deployment",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["deploy"],
  categories: ALL,
  status: true,
  scale: workloadScale,
  strategy: {
    defaults(obj) {
      const d = as<Deployment>(obj);
      if (d.spec) defaultDeploymentSpec(d.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = {};
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateDeploymentSpec(as<Deployment>(obj).spec ?? ({} as DeploymentSpec)),
    validateUpdate: (obj, old) => [...validateDeploymentSpec(as<Deployment>(obj).spec ?? ({} as DeploymentSpec)), ...validateSelectorUnchanged(obj, old)],
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Ready", "string", "Number of the pod with ready state"),
      col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
      col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const d = as<Deployment>(obj);
      const st = d.status ?? {};
      const [containers, images] = templateCells(d.spec?.template);
      return [obj.metadata.name, `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, age(obj, now), containers, images, selectorCell(d.spec?.selector)];
    },
  },
};

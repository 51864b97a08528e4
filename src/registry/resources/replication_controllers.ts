// core/v1 replicationcontrollers: map selectors defaulted from the template labels, validation, scale, table.
import { deepClone } from "../../api/object.js";
import type { ReplicationController, ReplicationControllerSpec } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { validateLabels } from "../../machinery/labels.js";
import { validatePodTemplateSpec, validateReplicas } from "../../api/validation/pod_template.js";
import { invalid, nonnegative, required, type FieldError } from "../../api/validation/field.js";
import { defaultTemplate } from "./workload.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, mapSelectorCell, resetForStatus, templateCells } from "./common.js";
import { REPLICA_COLUMNS } from "./replicasets.js";

function validateSpec(spec: ReplicationControllerSpec | undefined): FieldError[] {
  if (!spec) return [required("spec")];
  const errs: FieldError[] = [];
  const selector = spec.selector ?? {};
  if (Object.keys(selector).length === 0) errs.push(required("spec.selector"));
  else errs.push(...validateLabels(selector, "spec.selector"));
  const labels = spec.template?.metadata?.labels ?? {};
  if (!spec.template) errs.push(required("spec.template"));
  else if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  if (spec.template) errs.push(...validatePodTemplateSpec(spec.template, "spec.template", { restartPolicies: ["Always"] }));
  errs.push(...validateReplicas(spec.replicas, "spec.replicas"), ...nonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  return errs;
}

export const replicationControllers: ResourceDef = {
  group: "",
  kind: "ReplicationController",
  resource: "replicationcontrollers",
  singular: "replicationcontroller",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["rc"],
  categories: ALL,
  status: true,
  scale: {
    specReplicasPath: "spec.replicas",
    statusReplicasPath: "status.replicas",
    selector: (obj) => {
      const sel = as<ReplicationController>(obj).spec?.selector ?? {};
      return Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(",");
    },
  },
  strategy: {
    defaults(obj) {
      const rc = as<ReplicationController>(obj);
      const spec = rc.spec;
      if (!spec) return;
      const tplLabels = spec.template?.metadata?.labels;
      // An RC without a selector selects its template's labels; without labels it carries them too.
      if (tplLabels && Object.keys(spec.selector ?? {}).length === 0) spec.selector = { ...tplLabels };
      if (tplLabels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...tplLabels };
      spec.replicas ??= 1;
      defaultTemplate(spec.template);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { replicas: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateSpec(as<ReplicationController>(obj).spec),
    validateUpdate: (obj) => validateSpec(as<ReplicationController>(obj).spec),
    fieldAttrs: (obj) => ({ "status.replicas": String(as<ReplicationController>(obj).status?.replicas ?? 0) }),
  },
  table: {
    columns: [NAME_COLUMN, ...REPLICA_COLUMNS, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN],
    cells(obj, now) {
      const rc = as<ReplicationController>(obj);
      const [containers, images] = templateCells(rc.spec?.template);
      return [obj.metadata.name, rc.spec?.replicas ?? 0, rc.status?.replicas ?? 0, rc.status?.readyReplicas ?? 0, age(obj, now), containers, images, mapSelectorCell(rc.spec?.selector)];
    },
  },
};

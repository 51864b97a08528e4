// apps/v1 replicasets: defaults, validation, scale and the `kubectl get rs` table.
import { deepClone } from "../../api/object.js";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ResourceDef } from "../types.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, col, resetForStatus, selectorCell, templateCells } from "./common.js";
import { defaultTemplate, specOf, validateSelectorUnchanged, validateWorkloadSpec, workloadScale } from "./workload.js";

export const REPLICA_COLUMNS = [
  col("Desired", "integer", "Number of desired pods."),
  col("Current", "integer", "Number of actual pods observed."),
  col("Ready", "integer", "Number of pods ready."),
];

export const replicasets: ResourceDef = {
  group: "apps",
  kind: "ReplicaSet",
  resource: "replicasets",
  singular: "replicaset",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["rs"],
  categories: ALL,
  status: true,
  scale: workloadScale,
  strategy: {
    defaults(obj) {
      const rs = as<ReplicaSet>(obj);
      if (rs.spec) {
        rs.spec.replicas ??= 1;
        defaultTemplate(rs.spec.template);
      }
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { replicas: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateWorkloadSpec(specOf(obj), "replicaset"),
    validateUpdate: (obj, old) => [...validateWorkloadSpec(specOf(obj), "replicaset"), ...validateSelectorUnchanged(obj, old)],
    fieldAttrs: (obj) => ({ "status.replicas": String(as<ReplicaSet>(obj).status?.replicas ?? 0) }),
  },
  table: {
    columns: [NAME_COLUMN, ...REPLICA_COLUMNS, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN],
    cells(obj, now) {
      const rs = as<ReplicaSet>(obj);
      const st = rs.status;
      const [containers, images] = templateCells(rs.spec?.template);
      return [obj.metadata.name, rs.spec?.replicas ?? 0, st?.replicas ?? 0, st?.readyReplicas ?? 0, age(obj, now), containers, images, selectorCell(rs.spec?.selector)];
    },
  },
};

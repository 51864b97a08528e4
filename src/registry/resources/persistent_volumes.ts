// core/v1 persistentvolumes: cluster-scoped; capacity, access modes, exactly one volume source, reclaim policy
// (default Retain); phase Pending on create.
import { deepClone } from "../../api/object.js";
import type { PersistentVolume, PersistentVolumeSpec } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { forbidden, immutable, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { STORAGE_RESOURCES, validateResourceList } from "../../api/validation/resources.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";
import { VOLUME_MODES, accessModesCell, validateAccessModes } from "./persistent_volume_claims.js";

const RECLAIM = ["Delete", "Recycle", "Retain"];
const PV_SOURCES = [
  "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "iscsi", "cinder", "cephfs", "fc",
  "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk",
  "portworxVolume", "scaleIO", "local", "storageos", "csi",
];

function validateSpec(spec: PersistentVolumeSpec | undefined): FieldError[] {
  if (!spec) return [required("spec")];
  const errs = validateAccessModes(spec.accessModes, "spec.accessModes");
  if (!spec.capacity?.storage) errs.push(required("spec.capacity", "must specify capacity"));
  else errs.push(...validateResourceList(spec.capacity, "spec.capacity", STORAGE_RESOURCES));
  const rec = spec as unknown as Record<string, unknown>;
  const sources = PV_SOURCES.filter((k) => rec[k] !== undefined && rec[k] !== null);
  if (sources.length === 0) errs.push(required("spec", "must specify a volume type"));
  else if (sources.length > 1) errs.push(forbidden(`spec.${sources[1]}`, "may not specify more than 1 volume type"));
  if (spec.hostPath && !spec.hostPath.path) errs.push(required("spec.hostPath.path"));
  if (spec.local && !spec.local.path) errs.push(required("spec.local.path"));
  if (spec.local && !spec.nodeAffinity) errs.push(required("spec.nodeAffinity", "Local volume requires node affinity"));
  if (spec.persistentVolumeReclaimPolicy && !RECLAIM.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(notSupported("spec.persistentVolumeReclaimPolicy", spec.persistentVolumeReclaimPolicy, RECLAIM));
  }
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported("spec.volumeMode", spec.volumeMode, VOLUME_MODES));
  return errs;
}

export const persistentVolumes: ResourceDef = {
  group: "",
  kind: "PersistentVolume",
  resource: "persistentvolumes",
  singular: "persistentvolume",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["pv"],
  status: true,
  strategy: {
    defaults(obj) {
      const pv = as<PersistentVolume>(obj);
      if (!pv.spec) return;
      pv.spec.persistentVolumeReclaimPolicy ??= "Retain";
      pv.spec.volumeMode ??= "Filesystem";
      if (pv.spec.hostPath) pv.spec.hostPath.type ??= "";
    },
    prepareForCreate(obj, ctx) {
      obj.status = { phase: "Pending", lastPhaseTransitionTime: ctx.now.toISOString().replace(/\.\d+Z$/, "Z") };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateSpec(as<PersistentVolume>(obj).spec),
    validateUpdate(obj, old) {
      const n = as<PersistentVolume>(obj).spec;
      const o = as<PersistentVolume>(old).spec;
      return [...validateSpec(n), ...immutable(n?.volumeMode, o?.volumeMode, "spec.volumeMode")];
    },
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
      col("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
      col("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
      col("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
      col("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
      col("StorageClass", "string", "StorageClass of the pv"),
      col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
      col("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
      AGE_COLUMN,
      col("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
    ],
    cells(obj, now) {
      const pv = as<PersistentVolume>(obj);
      const ref = pv.spec?.claimRef;
      const claim = ref ? `${ref.namespace ?? ""}/${ref.name ?? ""}` : "";
      const phase = obj.metadata.deletionTimestamp ? "Terminating" : pv.status?.phase ?? "";
      return [
        obj.metadata.name, String(pv.spec?.capacity?.storage ?? ""), accessModesCell(pv.spec?.accessModes),
        pv.spec?.persistentVolumeReclaimPolicy ?? "", phase, claim, pv.spec?.storageClassName ?? "",
        pv.spec?.volumeAttributesClassName || "<unset>", pv.status?.reason ?? "", age(obj, now), pv.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
};

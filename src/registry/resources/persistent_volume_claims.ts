// core/v1 persistentvolumeclaims: access modes, a storage request, spec fixed after creation except the
// requested size (expansion) and binding to a volume; phase Pending on create.
import { deepClone } from "../../api/object.js";
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { deepEqual, forbidden, invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { STORAGE_RESOURCES, validateResourceList } from "../../api/validation/resources.js";
import { quantityValue } from "../../api/validation/quantity.js";
import { validateLabelSelector } from "../../machinery/labels.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";

export const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
export const VOLUME_MODES = ["Block", "Filesystem"];
const SHORT_MODE: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };

export function accessModesCell(modes: string[] | undefined): string {
  return (modes ?? []).map((m) => SHORT_MODE[m] ?? m).join(",");
}

export function defaultClaimSpec(spec: PersistentVolumeClaimSpec): void {
  spec.volumeMode ??= "Filesystem";
}

export function validateAccessModes(modes: string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!modes || modes.length === 0) return [required(field, "at least 1 access mode is required")];
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(notSupported(field, m, ACCESS_MODES));
  if (modes.includes("ReadWriteOncePod") && modes.length > 1) errs.push(forbidden(field, "may not use ReadWriteOncePod with other access modes"));
  return errs;
}

export function validateClaimSpec(spec: PersistentVolumeClaimSpec | undefined, field: string): FieldError[] {
  if (!spec) return [required(field)];
  const errs = validateAccessModes(spec.accessModes, `${field}.accessModes`);
  errs.push(...validateLabelSelector(spec.selector, `${field}.selector`));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(required(`${field}.resources[storage]`));
  else {
    errs.push(...validateResourceList(spec.resources?.requests, `${field}.resources.requests`, STORAGE_RESOURCES));
    if ((quantityValue(storage) ?? 0) <= 0) errs.push(invalid(`${field}.resources[storage]`, storage, "must be greater than zero"));
  }
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported(`${field}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  return errs;
}

function validateUpdate(n: PersistentVolumeClaimSpec | undefined, o: PersistentVolumeClaimSpec | undefined): FieldError[] {
  if (!n || !o) return [];
  const errs: FieldError[] = [];
  const strip = (s: PersistentVolumeClaimSpec): PersistentVolumeClaimSpec => ({ ...s, resources: undefined, volumeName: o.volumeName ? s.volumeName : undefined, volumeAttributesClassName: undefined });
  if (!deepEqual(strip(n), strip(o))) errs.push(forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
  const nv = quantityValue(n.resources?.requests?.storage);
  const ov = quantityValue(o.resources?.requests?.storage);
  if (nv !== undefined && ov !== undefined && nv < ov) errs.push(forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
  return errs;
}

export const persistentVolumeClaims: ResourceDef = {
  group: "",
  kind: "PersistentVolumeClaim",
  resource: "persistentvolumeclaims",
  singular: "persistentvolumeclaim",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["pvc"],
  status: true,
  strategy: {
    defaults(obj) {
      const c = as<PersistentVolumeClaim>(obj);
      if (c.spec) defaultClaimSpec(c.spec);
    },
    prepareForCreate(obj) {
      obj.status = { phase: "Pending" };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateClaimSpec(as<PersistentVolumeClaim>(obj).spec, "spec"),
    validateUpdate: (obj, old) => [
      ...validateClaimSpec(as<PersistentVolumeClaim>(obj).spec, "spec"),
      ...validateUpdate(as<PersistentVolumeClaim>(obj).spec, as<PersistentVolumeClaim>(old).spec),
    ],
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
      col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
      col("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
      col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has."),
      col("StorageClass", "string", "StorageClass of the pvc"),
      col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
      AGE_COLUMN,
      col("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim.", 1),
    ],
    cells(obj, now) {
      const c = as<PersistentVolumeClaim>(obj);
      const phase = obj.metadata.deletionTimestamp ? "Terminating" : c.status?.phase ?? "";
      const bound = c.spec?.volumeName;
      const capacity = bound ? String(c.status?.capacity?.storage ?? "") : "";
      const modes = bound ? accessModesCell(c.status?.accessModes) : "";
      return [
        obj.metadata.name, phase, c.spec?.volumeName ?? "", capacity, modes, c.spec?.storageClassName ?? "",
        c.spec?.volumeAttributesClassName || "<unset>", age(obj, now), c.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
};

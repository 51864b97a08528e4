// storage.k8s.io/v1 storageclasses: provisioner and parameters fixed at creation; reclaim policy Delete and
// binding mode Immediate by default; the default class is marked "(default)" in the table.
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { ResourceDef } from "../types.js";
import { immutable, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { check, isQualifiedName } from "../../api/validation/names.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
const RECLAIM = ["Delete", "Retain"];
const BINDING = ["Immediate", "WaitForFirstConsumer"];

function validate(sc: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!sc.provisioner) errs.push(required("provisioner"));
  else errs.push(...check(sc.provisioner.toLowerCase(), "provisioner", isQualifiedName));
  if (sc.reclaimPolicy && !RECLAIM.includes(sc.reclaimPolicy)) errs.push(notSupported("reclaimPolicy", sc.reclaimPolicy, RECLAIM));
  if (sc.volumeBindingMode && !BINDING.includes(sc.volumeBindingMode)) errs.push(notSupported("volumeBindingMode", sc.volumeBindingMode, BINDING));
  return errs;
}

export const storageClasses: ResourceDef = {
  group: "storage.k8s.io",
  kind: "StorageClass",
  resource: "storageclasses",
  singular: "storageclass",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["sc"],
  strategy: {
    defaults(obj) {
      const sc = obj as { reclaimPolicy?: string; volumeBindingMode?: string };
      sc.reclaimPolicy ??= "Delete";
      sc.volumeBindingMode ??= "Immediate";
    },
    validate: (obj) => validate(as<StorageClass>(obj)),
    validateUpdate(obj, old) {
      const n = as<StorageClass>(obj);
      const o = as<StorageClass>(old);
      return [
        ...validate(n), ...immutable(n.provisioner, o.provisioner, "provisioner"), ...immutable(n.parameters, o.parameters, "parameters"),
        ...immutable(n.reclaimPolicy, o.reclaimPolicy, "reclaimPolicy"), ...immutable(n.volumeBindingMode, o.volumeBindingMode, "volumeBindingMode"),
      ];
    },
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Provisioner", "string", "Indicates the type of the provisioner."),
      col("ReclaimPolicy", "string", "Indicates the type of the reclaim policy."),
      col("VolumeBindingMode", "string", "Indicates how PersistentVolumeClaims should be provisioned and bound."),
      col("AllowVolumeExpansion", "string", "Indicates whether the storage class allow volume expand."),
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const sc = as<StorageClass>(obj);
      const isDefault = obj.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true" || obj.metadata.annotations?.["storageclass.beta.kubernetes.io/is-default-class"] === "true";
      return [
        isDefault ? `${obj.metadata.name} (default)` : obj.metadata.name, sc.provisioner ?? "", sc.reclaimPolicy ?? "Delete",
        sc.volumeBindingMode ?? "Immediate", String(sc.allowVolumeExpansion ?? false), age(obj, now),
      ];
    },
  },
};

// apps/v1 statefulsets: defaults (OrderedReady, RollingUpdate partition 0, PVC retention Retain/Retain), validation
// (only replicas, ordinals, template, updateStrategy, history, retention and minReadySeconds may change), scale.
import { deepClone } from "../../api/object.js";
import type { StatefulSet, StatefulSetSpec } from "kubernetes-types/apps/v1.js";
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { deepEqual, forbidden, nonnegative, notSupported, type FieldError } from "../../api/validation/field.js";
import { validateIntOrPercent } from "../../api/validation/intstr.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, age, as, col, resetForStatus, templateCells } from "./common.js";
import { defaultTemplate, validateWorkloadSpec, workloadScale } from "./workload.js";
import { defaultClaimSpec, validateClaimSpec } from "./persistent_volume_claims.js";

const POD_MANAGEMENT = ["OrderedReady", "Parallel"];
const UPDATE_TYPES = ["OnDelete", "RollingUpdate"];
const RETENTION = ["Retain", "Delete"];

export function defaultStatefulSetSpec(spec: StatefulSetSpec): void {
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= "OrderedReady";
  const us = (spec.updateStrategy ??= {});
  us.type ??= "RollingUpdate";
  if (us.type === "RollingUpdate") {
    const ru = (us.rollingUpdate ??= {});
    ru.partition ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  const r = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  r.whenDeleted ??= "Retain";
  r.whenScaled ??= "Retain";
  defaultTemplate(spec.template);
  for (const c of spec.volumeClaimTemplates ?? []) {
    if (c.spec) defaultClaimSpec(c.spec);
    (c as PersistentVolumeClaim & { status?: unknown }).status ??= { phase: "Pending" };
    c.apiVersion ??= "v1";
    c.kind ??= "PersistentVolumeClaim";
  }
}

/**
 * The template as the controller makes pods of it: each volumeClaimTemplate becomes a volume of that name (replacing
 * a template volume of the same name), so volumeMounts may name the claim templates.
 */
function withClaimVolumes(spec: StatefulSetSpec): StatefulSetSpec {
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name).filter((n): n is string => !!n);
  if (!claims.length || !spec.template?.spec) return spec;
  const own = (spec.template.spec.volumes ?? []).filter((v) => !claims.includes(v.name));
  const volumes = [...own, ...claims.map((name) => ({ name, persistentVolumeClaim: { claimName: name } }))];
  return { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, volumes } } };
}

function validateSpec(spec: StatefulSetSpec): FieldError[] {
  const errs = validateWorkloadSpec(withClaimVolumes(spec), "statefulset");
  if (spec.podManagementPolicy && !POD_MANAGEMENT.includes(spec.podManagementPolicy)) errs.push(notSupported("spec.podManagementPolicy", spec.podManagementPolicy, POD_MANAGEMENT));
  const us = spec.updateStrategy ?? {};
  if (!us.type || !UPDATE_TYPES.includes(us.type)) errs.push(notSupported("spec.updateStrategy.type", us.type, UPDATE_TYPES));
  if (us.type === "OnDelete" && us.rollingUpdate) errs.push(forbidden("spec.updateStrategy.rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'"));
  errs.push(...nonnegative(us.rollingUpdate?.partition, "spec.updateStrategy.rollingUpdate.partition"));
  errs.push(...validateIntOrPercent(us.rollingUpdate?.maxUnavailable, "spec.updateStrategy.rollingUpdate.maxUnavailable"));
  const r = spec.persistentVolumeClaimRetentionPolicy;
  if (r?.whenDeleted && !RETENTION.includes(r.whenDeleted)) errs.push(notSupported("spec.persistentVolumeClaimRetentionPolicy.whenDeleted", r.whenDeleted, RETENTION));
  if (r?.whenScaled && !RETENTION.includes(r.whenScaled)) errs.push(notSupported("spec.persistentVolumeClaimRetentionPolicy.whenScaled", r.whenScaled, RETENTION));
  errs.push(...nonnegative(spec.ordinals?.start, "spec.ordinals.start"));
  (spec.volumeClaimTemplates ?? []).forEach((c, i) => errs.push(...validateClaimSpec(c.spec, `spec.volumeClaimTemplates[${i}].spec`)));
  return errs;
}

const MUTABLE = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"] as const;

function validateUpdate(n: StatefulSetSpec, o: StatefulSetSpec): FieldError[] {
  const strip = (s: StatefulSetSpec): Record<string, unknown> => {
    const c: Record<string, unknown> = { ...s };
    for (const k of MUTABLE) delete c[k];
    return c;
  };
  if (deepEqual(strip(n), strip(o))) return [];
  return [forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}

export const statefulsets: ResourceDef = {
  group: "apps",
  kind: "StatefulSet",
  resource: "statefulsets",
  singular: "statefulset",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["sts"],
  categories: ALL,
  status: true,
  scale: workloadScale,
  strategy: {
    defaults(obj) {
      const s = as<StatefulSet>(obj);
      if (s.spec) defaultStatefulSetSpec(s.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { replicas: 0, availableReplicas: 0 };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateSpec(as<StatefulSet>(obj).spec ?? ({} as StatefulSetSpec)),
    validateUpdate(obj, old) {
      const n = as<StatefulSet>(obj).spec ?? ({} as StatefulSetSpec);
      const o = as<StatefulSet>(old).spec ?? ({} as StatefulSetSpec);
      return [...validateSpec(n), ...validateUpdate(n, o)];
    },
  },
  table: {
    columns: [NAME_COLUMN, col("Ready", "string", "Number of the pod with ready state"), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
    cells(obj, now) {
      const s = as<StatefulSet>(obj);
      const [containers, images] = templateCells(s.spec?.template);
      return [obj.metadata.name, `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, age(obj, now), containers, images];
    },
  },
};

// apps/v1 controllerrevisions: immutable snapshots of a workload's template (data) with a revision number.
import type { ControllerRevision } from "kubernetes-types/apps/v1.js";
import type { ResourceDef } from "../types.js";
import { immutable, nonnegative, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

function validate(cr: ControllerRevision): FieldError[] {
  return nonnegative(cr.revision, "revision");
}

function controllerCell(cr: ControllerRevision): string {
  const owner = (cr.metadata?.ownerReferences ?? []).find((o) => o.controller);
  if (!owner) return "<none>";
  const group = owner.apiVersion.includes("/") ? owner.apiVersion.split("/")[0] : "";
  return `${owner.kind.toLowerCase()}${group ? "." + group : ""}/${owner.name}`;
}

export const controllerRevisions: ResourceDef = {
  group: "apps",
  kind: "ControllerRevision",
  resource: "controllerrevisions",
  singular: "controllerrevision",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: {
    validate: (obj) => validate(as<ControllerRevision>(obj)),
    validateUpdate: (obj, old) => [...validate(as<ControllerRevision>(obj)), ...immutable(as<ControllerRevision>(obj).data, as<ControllerRevision>(old).data, "data")],
  },
  table: {
    columns: [NAME_COLUMN, col("Controller", "string", "Controller of the object"), col("Revision", "integer", "Revision indicates the revision of the state represented by Data."), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, controllerCell(as<ControllerRevision>(obj)), as<ControllerRevision>(obj).revision ?? 0, age(obj, now)],
  },
};

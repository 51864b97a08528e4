// Pieces many resource definitions share: table columns (Name, Age, workload Containers/Images/Selector), the
// status-subresource rules of prepareForCreate/Update/StatusUpdate, and typed access to decoded objects.
import { deepClone, type StoredObject } from "../../api/object.js";
import type { TableColumn } from "../types.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { formatLabelSelector } from "../../machinery/labels.js";
import { humanDuration } from "../../util/human_duration.js";

/** Reads a decoded object as its kubernetes-types type; objects come from JSON so every field may be absent. */
export function as<T>(obj: StoredObject): T & StoredObject {
  return obj as unknown as T & StoredObject;
}

export function col(name: string, type: TableColumn["type"], description: string, priority: 0 | 1 = 0, format?: string): TableColumn {
  return format ? { name, type, format, description, priority } : { name, type, description, priority };
}

export const NAME_COLUMN = col("Name", "string", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, "name");
export const AGE_COLUMN = col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
export const CONTAINERS_COLUMN = col("Containers", "string", "Names of each container in the template.", 1);
export const IMAGES_COLUMN = col("Images", "string", "Images referenced by each container in the template.", 1);
export const SELECTOR_COLUMN = col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1);

/** "5m", "2d3h": time since `ts`, or "<unknown>" without a timestamp. */
export function since(ts: string | undefined, now: Date): string {
  if (!ts) return "<unknown>";
  const t = Date.parse(ts);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

export function age(obj: StoredObject, now: Date): string {
  return since(obj.metadata.creationTimestamp, now);
}

/** The Containers, Images (and Selector) cells of a workload. */
export function templateCells(tpl: PodTemplateSpec | undefined): [string, string] {
  const cs = tpl?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(","), cs.map((c) => c.image ?? "").join(",")];
}

export function selectorCell(sel: LabelSelector | undefined): string {
  return formatLabelSelector(sel);
}

export function mapSelectorCell(sel: Record<string, string> | undefined): string {
  const keys = Object.keys(sel ?? {}).sort();
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${sel![k]}`).join(",");
}

function clone<T>(v: T): T {
  return v === undefined ? v : deepClone(v);
}

/** Top-level fields other than identity, metadata and status: what a status update may not change. */
function nonStatusKeys(o: StoredObject): string[] {
  return Object.keys(o).filter((k) => k !== "apiVersion" && k !== "kind" && k !== "metadata" && k !== "status");
}

/** Metadata a status update may not change (metav1.ResetObjectMetaForStatus). */
const STATUS_LOCKED_META = ["deletionTimestamp", "generation", "selfLink", "labels", "annotations", "finalizers", "ownerReferences"] as const;

/** Status updates change only status (and not the metadata Kubernetes locks for them). */
export function resetForStatus(obj: StoredObject, old: StoredObject): void {
  for (const k of nonStatusKeys(obj)) if (!(k in old)) delete obj[k];
  for (const k of nonStatusKeys(old)) obj[k] = clone(old[k]);
  const meta = obj.metadata as Record<string, unknown>;
  const oldMeta = old.metadata as Record<string, unknown>;
  for (const k of STATUS_LOCKED_META) {
    if (oldMeta[k] === undefined) delete meta[k];
    else meta[k] = clone(oldMeta[k]);
  }
}

export const ALL = ["all"];

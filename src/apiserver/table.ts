// The meta.k8s.io Table and PartialObjectMetadata representations kubectl asks for (`as=Table`), built from a
// resource's table definition. Resources without one get Kubernetes' default columns: Name and Created At.
import type { KubeList, StoredObject } from "../api/object.js";
import type { ResourceDef, TableColumn, TableDef } from "../registry/types.js";

export type IncludeObject = "None" | "Metadata" | "Object";

const DEFAULT_TABLE: TableDef = {
  columns: [
    { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 },
    { name: "Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0 },
  ],
  cells: (obj) => [obj.metadata.name ?? "", obj.metadata.creationTimestamp ?? ""],
};

export function tableDef(def: ResourceDef): TableDef {
  return def.table ?? DEFAULT_TABLE;
}

export function partialObjectMetadata(obj: StoredObject, version = "v1"): Record<string, unknown> {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function partialObjectMetadataList(list: KubeList<StoredObject>, version = "v1"): Record<string, unknown> {
  return {
    kind: "PartialObjectMetadataList",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: list.metadata,
    items: list.items.map((o) => partialObjectMetadata(o, version)),
  };
}

export interface TableOptions {
  version?: string;
  includeObject?: IncludeObject;
  /** Omit columnDefinitions (watch events after the first). */
  noHeaders?: boolean;
  now?: Date;
}

function columnDefinitions(cols: TableColumn[]): Record<string, unknown>[] {
  return cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description, priority: c.priority }));
}

export function toTable(def: ResourceDef, objs: StoredObject[], listMeta: KubeList["metadata"], opts: TableOptions = {}): Record<string, unknown> {
  const t = tableDef(def);
  const now = opts.now ?? new Date();
  const version = opts.version ?? "v1";
  const include = opts.includeObject ?? "Metadata";
  const rows = objs.map((obj) => {
    const row: Record<string, unknown> = { cells: t.cells(obj, now) };
    if (include === "Metadata") row.object = partialObjectMetadata(obj, version);
    else if (include === "Object") row.object = obj;
    return row;
  });
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions: opts.noHeaders ? [] : columnDefinitions(t.columns),
    rows,
  };
}

export function parseIncludeObject(v: string | null): IncludeObject | undefined {
  return v === "None" || v === "Metadata" || v === "Object" ? v : undefined;
}

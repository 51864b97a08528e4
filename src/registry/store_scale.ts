// The scale subresource: an autoscaling/v1 Scale view of an object (ScaleDef maps it onto the object's paths);
// writing it changes spec.replicas of the object through the ordinary update path.
import { deepClone, type StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { GenericStore } from "./generic_store.js";
import type { WriteResult } from "./rest.js";
import type { StoreOp } from "./store_context.js";
import { conflictMessage, writeUpdate } from "./store_update.js";
import type { ScaleDef } from "./types.js";

function scaleDef(store: GenericStore): ScaleDef {
  const s = store.def.scale;
  if (!s) throw errors.pathNotFound(`the server could not find the requested resource (${store.def.resource}/scale)`);
  return s;
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const p of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (typeof next !== "object" || next === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}

/** The Scale view of a storage-version object. */
export function getScale(store: GenericStore, obj: StoredObject): StoredObject {
  const s = scaleDef(store);
  const m = obj.metadata;
  const replicas = getPath(obj, s.specReplicasPath);
  const statusReplicas = getPath(obj, s.statusReplicasPath);
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: typeof replicas === "number" ? replicas : 0 },
    status: { replicas: typeof statusReplicas === "number" ? statusReplicas : 0, selector: s.selector(obj) },
  };
}

/** Writes the replicas of the Scale `makeScale` derives from the current object; answers the new Scale. */
export async function scaleUpdate(store: GenericStore, op: StoreOp & { makeScale: (cur: StoredObject) => StoredObject }): Promise<WriteResult> {
  const { ctx, name, makeScale } = op;
  const s = scaleDef(store);
  const res = await writeUpdate(store, { ctx, name, build: async (cur) => {
    if (!cur) throw errors.notFound(store.gr, name);
    const scale = makeScale(cur);
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid("Scale", "autoscaling", name, [
        { type: "FieldValueInvalid", field: "spec.replicas", value: replicas ?? null, detail: "must be greater than or equal to 0" },
      ]);
    }
    const obj = deepClone(cur);
    setPath(obj, s.specReplicasPath, replicas);
    return { obj };
  } });
  return { object: getScale(store, store.codec.toStorage(res.object, ctx.version)), created: false };
}

/** PUT .../scale with an autoscaling/v1 Scale body. */
export function updateScale(store: GenericStore, op: StoreOp & { input: StoredObject }): Promise<WriteResult> {
  const { ctx, name, input } = op;
  if (input.metadata?.name && input.metadata.name !== name) throw errors.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
  return scaleUpdate(store, { ctx, name, makeScale: (cur) => {
    const rv = input.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(store.gr, name, conflictMessage);
    return input;
  } });
}

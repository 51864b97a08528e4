// Where objects live in storage: /registry/<resource>/<ns>/<name> for the core group,
// /registry/<group>/<resource>/<ns>/<name> otherwise; cluster-scoped objects have no namespace segment.
// ResourceDef.storagePrefix overrides <group>/<resource> (two definitions sharing stored objects).
import type { ResourceDef } from "./types.js";

/** The prefix every registry key starts with; the watch cache watches exactly this. */
export const REGISTRY_PREFIX = "/registry/";

/** The prefix of every object of a resource, ending in "/". */
export function resourcePrefix(def: Pick<ResourceDef, "group" | "resource" | "storagePrefix">): string {
  if (def.storagePrefix) return `${REGISTRY_PREFIX}${def.storagePrefix}/`;
  return def.group ? `${REGISTRY_PREFIX}${def.group}/${def.resource}/` : `${REGISTRY_PREFIX}${def.resource}/`;
}

/** The prefix of a resource's objects in one namespace (or all of them when ns is absent). */
export function listPrefix(def: Pick<ResourceDef, "group" | "resource" | "namespaced" | "storagePrefix">, ns?: string): string {
  const base = resourcePrefix(def);
  return def.namespaced && ns ? `${base}${ns}/` : base;
}

export function objectKey(def: Pick<ResourceDef, "group" | "resource" | "namespaced" | "storagePrefix">, ns: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${ns ?? ""}/${name}` : `${resourcePrefix(def)}${name}`;
}

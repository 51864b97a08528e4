// The shape every stored API object shares. Typed resources come from the `kubernetes-types` package
// (type-only imports, erased at build); this file holds what generic code needs.
import type { ObjectMeta, ListMeta } from "kubernetes-types/meta/v1.js";

export type { ObjectMeta, ListMeta };

/** Any Kubernetes object as decoded JSON: apiVersion/kind, metadata, and resource-specific fields. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object whose metadata is known to be present (after decoding and defaulting). */
export interface StoredObject extends KubeObject {
  metadata: ObjectMeta;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

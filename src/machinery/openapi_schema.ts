// OpenAPI v3 schema objects as Kubernetes publishes them (components.schemas), with the Kubernetes extensions
// that drive strategic merge patch, server-side apply, field validation and `kubectl explain`.
// The generator (src/api/openapi/) produces these from the `kubernetes-types` declarations at build time;
// machinery code (patches, apply, unknown-field detection) only reads them through SchemaResolver.

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface OpenAPISchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema | boolean;
  /** Kubernetes publishes references wrapped as { allOf: [{ $ref }] } when a description sits beside them. */
  allOf?: OpenAPISchema[];
  $ref?: string;
  default?: unknown;
  enum?: unknown[];
  "x-kubernetes-group-version-kind"?: GroupVersionKind[];
  /** Strategic merge patch: "merge", "replace", "retainKeys", or a comma list like "merge,retainKeys". */
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-patch-merge-key"?: string;
  /** Server-side apply: "atomic" | "set" | "map". */
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  /** IntOrString and Quantity-like fields accept either type. */
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** Looks up named schemas ("#/components/schemas/io.k8s.api.core.v1.PodSpec" or the bare name). */
export interface SchemaResolver {
  resolve(ref: string): OpenAPISchema | undefined;
  /** The schema name of a kind's root object, e.g. apps/v1 Deployment -> "io.k8s.api.apps.v1.Deployment". */
  forKind(gvk: GroupVersionKind): string | undefined;
}

/** Follows $ref and single-element allOf wrappers to the schema that describes a value. */
export function derefSchema(s: OpenAPISchema | undefined, resolver: SchemaResolver): OpenAPISchema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 16; i++) {
    if (cur.$ref) cur = resolver.resolve(cur.$ref);
    else if (cur.allOf && cur.allOf.length === 1 && !cur.properties && !cur.type) cur = cur.allOf[0];
    else return cur;
  }
  return cur;
}

/** A resolver over a plain map of schemas (tests, generated documents). */
export function mapResolver(schemas: Record<string, OpenAPISchema>): SchemaResolver {
  const byKind = new Map<string, string>();
  for (const [name, s] of Object.entries(schemas)) {
    for (const gvk of s["x-kubernetes-group-version-kind"] ?? []) byKind.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
  }
  // Refs found are remembered (a bounded set: the names and $refs of these schemas), so a walk over a large object
  // does not strip the same prefix once per field.
  const found = new Map<string, OpenAPISchema>();
  return {
    resolve: (ref) => {
      let s = found.get(ref);
      if (s === undefined) {
        s = schemas[ref.replace(/^#\/components\/schemas\//, "").replace(/^#\/definitions\//, "")];
        if (s !== undefined) found.set(ref, s);
      }
      return s;
    },
    forKind: (gvk) => byKind.get(`${gvk.group}/${gvk.version}/${gvk.kind}`),
  };
}

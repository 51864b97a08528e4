// What the API server serves under /openapi/v3: an index of group-versions, and per group-version an OpenAPI 3.0
// document with the REST paths of its resources and the schemas they use. kubectl reads these for `explain`, for
// computing strategic merge patches in `apply`/`edit`, and to decide that the server validates fields (a patch
// operation of the kind carrying a `fieldValidation` query parameter).
import { createHash } from "node:crypto";
import { mapResolver, type GroupVersionKind, type OpenAPISchema, type SchemaResolver } from "../../machinery/openapi_schema.js";
import { loadSchemas } from "./schemas.js";
import { KUBE_MAJOR, KUBE_MINOR } from "../../util/version.js";
import { buildResourcePaths, type OpenAPIResource, type KindSchemas } from "./v3_paths.js";
import { META, REF, tagFor, type PathItem, ok } from "./v3_operations.js";

export type { OpenAPIResource } from "./v3_paths.js";

export interface OpenAPIV3Document {
  openapi: "3.0.0";
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, OpenAPISchema>;
    securitySchemes: Record<string, object>;
  };
}

export interface OpenAPIV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface DocumentOptions {
  /** Component schemas to draw from; default: the generated Kubernetes schemas (loadSchemas()). */
  schemas?: Record<string, OpenAPISchema>;
}

/** "v1" -> "api/v1", "apps/v1" -> "apis/apps/v1": the key of a group-version in the index. */
export function openapiV3Path(groupVersion: string): string {
  return groupVersion.includes("/") ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

const hashes = new WeakMap<object, string>();

/** A stable content hash of a served document, used in serverRelativeURL so clients can cache per hash. Memoized
 *  per document object (documents are not mutated once built). */
export function documentHash(doc: object): string {
  let hash = hashes.get(doc);
  if (!hash) {
    hash = createHash("sha512").update(JSON.stringify(doc)).digest("hex").toUpperCase();
    hashes.set(doc, hash);
  }
  return hash;
}

/** The /openapi/v3 index. `groupVersions` are apiVersion strings ("v1", "apps/v1"). Pass the served documents (keyed
 *  the same way) so each hash follows its document; without one, the hash follows the generated schemas, which
 *  change with each build. */
export function openapiV3Index(groupVersions: string[], opts: { documents?: Record<string, object> } = {}): OpenAPIV3Index {
  const paths: OpenAPIV3Index["paths"] = {};
  for (const gv of [...new Set(groupVersions)].sort()) {
    const doc = opts.documents?.[gv];
    const hash = doc ? documentHash(doc) : fallbackHash(gv);
    const key = openapiV3Path(gv);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

let schemasHash: string | undefined;
function fallbackHash(gv: string): string {
  schemasHash ??= documentHash(loadSchemas());
  return createHash("sha512").update(`${gv}\n${schemasHash}`).digest("hex").toUpperCase();
}

// Documents built from the generated schemas, by group-version and resource set: the index needs every document
// to hash it, and building one walks a few hundred schemas. Bounded because custom resources change the key.
const documentCache = new Map<string, OpenAPIV3Document>();
const DOCUMENT_CACHE_LIMIT = 256;

/** The OpenAPI document of one group-version ("" group for the core API). Built from the generated schemas (no
 *  `opts.schemas`), the result is cached and shared: callers must not mutate it. */
export function openapiV3Document(
  gv: { group: string; version: string },
  resources: OpenAPIResource[],
  opts: DocumentOptions = {},
): OpenAPIV3Document {
  if (opts.schemas) return buildDocument(gv, resources, opts.schemas);
  const key = JSON.stringify([gv.group, gv.version, resources]);
  const hit = documentCache.get(key);
  if (hit) return hit;
  const doc = buildDocument(gv, resources, loadSchemas());
  if (documentCache.size >= DOCUMENT_CACHE_LIMIT) documentCache.clear();
  documentCache.set(key, doc);
  return doc;
}

function buildDocument(
  gv: { group: string; version: string },
  resources: OpenAPIResource[],
  base: Record<string, OpenAPISchema>,
): OpenAPIV3Document {
  const extra: Record<string, OpenAPISchema> = {};
  const resolver = mapResolver(base);
  const kinds = kindSchemas(gv, base, resolver, extra);
  const prefix = gv.group === "" ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;

  const paths: Record<string, PathItem> = {
    [`${prefix}/`]: {
      get: {
        tags: [tagFor(gv.group, gv.version)],
        description: "get available resources",
        operationId: `get${opIdGroupVersion(gv)}APIResources`,
        responses: ok(`${META}.APIResourceList`),
      },
    },
  };
  const seeds = new Set<string>([
    `${META}.APIResourceList`, `${META}.DeleteOptions`, `${META}.ListMeta`, `${META}.ObjectMeta`, `${META}.Patch`,
    `${META}.Status`, `${META}.WatchEvent`,
  ]);
  for (const res of [...resources].sort((a, b) => a.resource.localeCompare(b.resource))) {
    Object.assign(paths, buildResourcePaths(gv, prefix, res, kinds));
  }
  const all = { ...base, ...extra };
  for (const item of Object.values(paths)) collectRefs(item, seeds);
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: `v${KUBE_MAJOR}.${KUBE_MINOR}.0` },
    paths: Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]!])),
    components: {
      schemas: closure(seeds, all),
      securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } },
    },
  };
}

function opIdGroupVersion(gv: { group: string; version: string }): string {
  const tag = tagFor(gv.group, gv.version);
  return tag.charAt(0).toUpperCase() + tag.slice(1).replace(/_(.)/, (_m, c: string) => c.toUpperCase());
}

/** Finds (or, for kinds without a generated schema such as custom resources, synthesizes) the schema names of a
 *  kind and its list. Synthesized schemas go to `extra`. */
function kindSchemas(
  gv: { group: string; version: string },
  base: Record<string, OpenAPISchema>,
  resolver: SchemaResolver,
  extra: Record<string, OpenAPISchema>,
): KindSchemas {
  const lookup = (kind: string, group = gv.group, version = gv.version): string | undefined =>
    resolver.forKind({ group, version, kind }) ?? (extra[syntheticName({ group, version, kind })] ? syntheticName({ group, version, kind }) : undefined);
  return {
    forKind(gvk: GroupVersionKind, custom?: OpenAPISchema): string {
      const found = lookup(gvk.kind, gvk.group, gvk.version);
      if (found && !custom) return found;
      const name = found ?? syntheticName(gvk);
      extra[name] = customKindSchema(gvk, custom);
      return name;
    },
    listFor(gvk: GroupVersionKind, itemSchema: string): string {
      const listGvk = { ...gvk, kind: `${gvk.kind}List` };
      const found = lookup(listGvk.kind, gvk.group, gvk.version);
      if (found && base[found]) return found;
      const name = syntheticName(listGvk);
      extra[name] = listSchema(listGvk, itemSchema);
      return name;
    },
    isBuiltin(gvk: GroupVersionKind): boolean {
      const name = resolver.forKind(gvk);
      return name !== undefined && base[name] !== undefined;
    },
  };
}

/** Kubernetes names custom resource schemas by the reversed group: stable.example.com/v1 CronTab ->
 *  com.example.stable.v1.CronTab. */
function syntheticName(gvk: GroupVersionKind): string {
  const group = gvk.group === "" ? "core" : gvk.group.split(".").reverse().join(".");
  return `${group}.${gvk.version}.${gvk.kind}`;
}

const TYPE_META_PROPERTIES: Record<string, OpenAPISchema> = {
  apiVersion: { description: "APIVersion defines the versioned schema of this representation of an object.", type: "string" },
  kind: { description: "Kind is a string value representing the REST resource this object represents.", type: "string" },
};

function customKindSchema(gvk: GroupVersionKind, custom: OpenAPISchema | undefined): OpenAPISchema {
  const props: Record<string, OpenAPISchema> = {
    ...TYPE_META_PROPERTIES,
    metadata: { description: "Standard object's metadata.", allOf: [{ $ref: `${REF}${META}.ObjectMeta` }] },
  };
  const schema: OpenAPISchema = custom
    ? { ...custom, type: "object", properties: { ...(custom.properties ?? {}), ...props } }
    : { type: "object", properties: props, "x-kubernetes-preserve-unknown-fields": true };
  schema["x-kubernetes-group-version-kind"] = [gvk];
  return schema;
}

function listSchema(gvk: GroupVersionKind, itemSchema: string): OpenAPISchema {
  return {
    description: `${gvk.kind} is a list of ${gvk.kind.replace(/List$/, "")}`,
    type: "object",
    properties: {
      ...TYPE_META_PROPERTIES,
      items: { description: "List of objects.", type: "array", items: { $ref: REF + itemSchema } },
      metadata: { description: "Standard list metadata.", allOf: [{ $ref: `${REF}${META}.ListMeta` }] },
    },
    required: ["items"],
    "x-kubernetes-group-version-kind": [gvk],
  };
}

/** Adds the schema names of every $ref found anywhere inside `value` to `into`. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(REF)) into.add(v.slice(REF.length));
      else collectRefs(v, into);
    }
  }
}

/** The seeds and every schema they reference, transitively, sorted by name. */
function closure(seeds: Set<string>, all: Record<string, OpenAPISchema>): Record<string, OpenAPISchema> {
  const out: Record<string, OpenAPISchema> = {};
  const queue = [...seeds];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (out[name]) continue;
    const schema = all[name];
    if (!schema) throw new Error(`openapi v3: schema ${name} is referenced but not defined`);
    out[name] = schema;
    const refs = new Set<string>();
    collectRefs(schema, refs);
    for (const r of refs) if (!out[r]) queue.push(r);
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

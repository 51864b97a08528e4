// Building blocks of the OpenAPI v3 path items Kubernetes serves: parameters, request bodies, responses and
// operations carrying x-kubernetes-action and x-kubernetes-group-version-kind.
import type { GroupVersionKind } from "../../machinery/openapi_schema.js";

export const REF = "#/components/schemas/";
export const META = "io.k8s.apimachinery.pkg.apis.meta.v1";

export type Action = "get" | "list" | "post" | "put" | "patch" | "delete" | "deletecollection" | "connect";

export interface Parameter {
  name: string;
  in: "query" | "path";
  description: string;
  required?: boolean;
  schema: { type: "string" | "boolean" | "integer"; uniqueItems?: boolean };
}

export interface Operation {
  tags: string[];
  description: string;
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }>; required: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref: string } | { type: "string" } }> }>;
  /** Absent only on the group-version root (the APIResourceList), as in Kubernetes. */
  "x-kubernetes-action"?: Action;
  "x-kubernetes-group-version-kind"?: GroupVersionKind;
}

export interface PathItem {
  get?: Operation;
  put?: Operation;
  post?: Operation;
  delete?: Operation;
  patch?: Operation;
  head?: Operation;
  options?: Operation;
  parameters?: Parameter[];
}

function query(name: string, type: Parameter["schema"]["type"], description: string): Parameter {
  return { name, in: "query", description, schema: { type, uniqueItems: true } };
}

export const PARAMS = {
  name: (kind: string): Parameter => ({
    name: "name", in: "path", required: true, description: `name of the ${kind}`, schema: { type: "string", uniqueItems: true },
  }),
  namespace: {
    name: "namespace", in: "path", required: true, description: "object name and auth scope, such as for teams and projects",
    schema: { type: "string", uniqueItems: true },
  } satisfies Parameter,
  pretty: query("pretty", "string", "If 'true', then the output is pretty printed."),
  dryRun: query("dryRun", "string", "When present, indicates that modifications should not be persisted. Valid value: All (all dry run stages are processed)."),
  fieldManager: query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes."),
  // kubectl looks for a parameter named exactly "fieldValidation" on the patch operation of a kind to decide that the
  // server validates fields itself (otherwise it falls back to /openapi/v2).
  fieldValidation: query("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values: Ignore, Warn (the default), Strict."),
  force: query("force", "boolean", "Force is going to \"force\" Apply requests: the request re-acquires conflicting fields owned by other people. Must be unset for non-apply patch requests."),
  gracePeriodSeconds: query("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Zero means delete immediately."),
  orphanDependents: query("orphanDependents", "boolean", "Deprecated: use propagationPolicy. Whether the dependent objects should be orphaned."),
  propagationPolicy: query("propagationPolicy", "string", "Whether and how garbage collection will be performed: Orphan, Background or Foreground."),
  list: [
    query("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
    query("continue", "string", "The continue option should be set when retrieving more results from the server; its value comes from the previous list's metadata.continue."),
    query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
    query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
    query("limit", "integer", "limit is a maximum number of responses to return for a list call; more results are announced by metadata.continue."),
    query("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset."),
    query("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
    query("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`: the stream begins with synthetic events for the current state."),
    query("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
    query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
  ],
};

const OBJECT_CONTENT_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const LIST_CONTENT_TYPES = [...OBJECT_CONTENT_TYPES, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];

export function content(schemaName: string, types = OBJECT_CONTENT_TYPES): Record<string, { schema: { $ref: string } }> {
  return Object.fromEntries(types.map((t) => [t, { schema: { $ref: REF + schemaName } }]));
}

export function listContent(schemaName: string): Record<string, { schema: { $ref: string } }> {
  return content(schemaName, LIST_CONTENT_TYPES);
}

export const UNAUTHORIZED = { description: "Unauthorized" };

export function ok(schemaName: string, codes: string[] = ["200"]): Operation["responses"] {
  const out: Operation["responses"] = {};
  for (const code of codes) out[code] = { description: STATUS_TEXT[code] ?? "OK", content: content(schemaName) };
  out["401"] = UNAUTHORIZED;
  return out;
}

const STATUS_TEXT: Record<string, string> = { "200": "OK", "201": "Created", "202": "Accepted" };

/** Request body of an object write. */
export function objectBody(schemaName: string): NonNullable<Operation["requestBody"]> {
  return { content: content(schemaName, ["*/*"]), required: true };
}

export const PATCH_TYPES_BUILTIN = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];
/** Strategic merge patch needs Go struct tags; custom resources do not support it. */
export const PATCH_TYPES_CUSTOM = PATCH_TYPES_BUILTIN.filter((t) => t !== "application/strategic-merge-patch+json");

export function patchBody(types: string[]): NonNullable<Operation["requestBody"]> {
  return { content: content(`${META}.Patch`, types), required: true };
}

/** "rbac.authorization.k8s.io" -> "RbacAuthorization", "" -> "Core": the group part of Kubernetes' operation ids. */
export function groupIdPart(group: string): string {
  if (group === "") return "Core";
  return group.replace(/\.k8s\.io$/, "").split(/[.-]/).map(capitalize).join("");
}

/** "rbac.authorization.k8s.io" -> "rbacAuthorization_v1": Kubernetes' operation tags. */
export function tagFor(group: string, version: string): string {
  const g = groupIdPart(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The REST paths of one resource in an OpenAPI v3 group-version document: collection (list, create,
// deletecollection), all-namespaces list, item (read, replace, patch, delete) and subresources.
import type { GroupVersionKind, OpenAPISchema } from "../../machinery/openapi_schema.js";
import {
  META, PARAMS, PATCH_TYPES_BUILTIN, PATCH_TYPES_CUSTOM, UNAUTHORIZED, capitalize, groupIdPart, listContent, objectBody,
  ok, patchBody, tagFor, type Action, type Operation, type Parameter, type PathItem,
} from "./v3_operations.js";

/** A served resource as the OpenAPI document needs it (the discovery facts). */
export interface OpenAPIResource {
  kind: string;
  /** Plural, as in URLs ("deployments"). */
  resource: string;
  namespaced: boolean;
  /** e.g. ["status", "scale"]. */
  subresources: string[];
  /** Discovery verbs: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  /** The object schema of a kind without a generated one (a custom resource's openAPIV3Schema). */
  schema?: OpenAPISchema;
}

/** Schema names for kinds, from the generated schemas or synthesized (see v3.ts). */
export interface KindSchemas {
  forKind(gvk: GroupVersionKind, custom?: OpenAPISchema): string;
  listFor(gvk: GroupVersionKind, itemSchema: string): string;
  isBuiltin(gvk: GroupVersionKind): boolean;
}

type Method = "get" | "put" | "post" | "patch" | "delete" | "head" | "options";

interface SubresourceDef {
  /** The kind the subresource reads and writes; absent: the resource's own kind. */
  gvk?: GroupVersionKind | ((kind: string) => GroupVersionKind);
  methods: Method[];
  /** Streams and proxies answer plain strings and are "connect" actions. */
  connect?: boolean;
}

const CORE_V1 = (kind: string): GroupVersionKind => ({ group: "", version: "v1", kind });
const SUBRESOURCES: Record<string, SubresourceDef> = {
  status: { methods: ["get", "put", "patch"] },
  scale: { gvk: { group: "autoscaling", version: "v1", kind: "Scale" }, methods: ["get", "put", "patch"] },
  ephemeralcontainers: { methods: ["get", "put", "patch"] },
  resize: { methods: ["get", "put", "patch"] },
  approval: { methods: ["get", "put", "patch"] },
  finalize: { methods: ["put"] },
  eviction: { gvk: { group: "policy", version: "v1", kind: "Eviction" }, methods: ["post"] },
  binding: { gvk: CORE_V1("Binding"), methods: ["post"] },
  token: { gvk: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" }, methods: ["post"] },
  log: { methods: ["get"] },
  exec: { gvk: CORE_V1("PodExecOptions"), methods: ["get", "post"], connect: true },
  attach: { gvk: CORE_V1("PodAttachOptions"), methods: ["get", "post"], connect: true },
  portforward: { gvk: CORE_V1("PodPortForwardOptions"), methods: ["get", "post"], connect: true },
  proxy: {
    gvk: (kind) => CORE_V1(`${kind}ProxyOptions`),
    methods: ["get", "put", "post", "patch", "delete", "head", "options"],
    connect: true,
  },
};

const STRING_RESPONSE = { "200": { description: "OK", content: { "*/*": { schema: { type: "string" as const } } } }, "401": UNAUTHORIZED };

export function buildResourcePaths(
  gv: { group: string; version: string },
  prefix: string,
  res: OpenAPIResource,
  kinds: KindSchemas,
): Record<string, PathItem> {
  const gvk: GroupVersionKind = { group: gv.group, version: gv.version, kind: res.kind };
  const schema = kinds.forKind(gvk, res.schema);
  const patchTypes = kinds.isBuiltin(gvk) && !res.schema ? PATCH_TYPES_BUILTIN : PATCH_TYPES_CUSTOM;
  const verbs = new Set(res.verbs);
  const scope = res.namespaced ? "Namespaced" : "";
  const tags = [tagFor(gv.group, gv.version)];
  const gvPart = groupIdPart(gv.group) + capitalize(gv.version);
  const opId = (verb: string, suffix = "") => `${verb}${gvPart}${scope}${res.kind}${suffix}`;
  const base = res.namespaced ? `${prefix}/namespaces/{namespace}/${res.resource}` : `${prefix}/${res.resource}`;
  const scopeParams: Parameter[] = res.namespaced ? [PARAMS.namespace, PARAMS.pretty] : [PARAMS.pretty];
  const op = (action: Action, o: Omit<Operation, "tags" | "x-kubernetes-action" | "x-kubernetes-group-version-kind">, k = gvk): Operation =>
    ({ tags, ...o, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": k });
  const paths: Record<string, PathItem> = {};

  const collection: PathItem = {};
  if (verbs.has("list")) {
    const list = kinds.listFor(gvk, schema);
    collection.get = op("list", {
      description: `list or watch objects of kind ${res.kind}`,
      operationId: opId("list"),
      parameters: PARAMS.list,
      responses: { "200": { description: "OK", content: listContent(list) }, "401": UNAUTHORIZED },
    });
    if (res.namespaced) {
      paths[`${prefix}/${res.resource}`] = {
        get: op("list", {
          description: `list or watch objects of kind ${res.kind}`,
          operationId: `list${gvPart}${res.kind}ForAllNamespaces`,
          responses: { "200": { description: "OK", content: listContent(list) }, "401": UNAUTHORIZED },
        }),
        parameters: [...PARAMS.list, PARAMS.pretty],
      };
    }
  }
  if (verbs.has("create")) {
    collection.post = op("post", {
      description: `create ${articled(res.kind)}`,
      operationId: opId("create"),
      parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation],
      requestBody: objectBody(schema),
      responses: ok(schema, ["200", "201", "202"]),
    });
  }
  if (verbs.has("deletecollection")) {
    collection.delete = op("deletecollection", {
      description: `delete collection of ${res.kind}`,
      operationId: opId("deleteCollection"),
      parameters: [...deleteParams(), ...PARAMS.list.filter((p) => p.name !== "watch" && p.name !== "allowWatchBookmarks")],
      requestBody: objectBody(`${META}.DeleteOptions`),
      responses: ok(`${META}.Status`),
    });
  }
  if (hasOperations(collection)) paths[base] = { ...collection, parameters: scopeParams };

  const itemParams = [PARAMS.name(res.kind), ...scopeParams];
  const item: PathItem = {};
  if (verbs.has("get")) item.get = op("get", { description: `read the specified ${res.kind}`, operationId: opId("read"), responses: ok(schema) });
  if (verbs.has("update")) item.put = replaceOp(op, `replace the specified ${res.kind}`, opId("replace"), schema);
  if (verbs.has("patch")) item.patch = patchOp(op, `partially update the specified ${res.kind}`, opId("patch"), schema, patchTypes);
  if (verbs.has("delete")) {
    item.delete = op("delete", {
      description: `delete ${articled(res.kind)}`,
      operationId: opId("delete"),
      parameters: deleteParams(),
      requestBody: objectBody(`${META}.DeleteOptions`),
      responses: ok(`${META}.Status`, ["200", "202"]),
    });
  }
  if (hasOperations(item)) paths[`${base}/{name}`] = { ...item, parameters: itemParams };

  for (const sub of res.subresources) {
    const def = SUBRESOURCES[sub] ?? SUBRESOURCES.status!;
    const subGvk = typeof def.gvk === "function" ? def.gvk(res.kind) : def.gvk ?? gvk;
    const suffix = capitalize(sub);
    const subSchema = def.connect ? undefined : sub === "log" ? undefined : kinds.forKind(subGvk);
    const path: PathItem = { parameters: itemParams };
    for (const m of def.methods) {
      if (def.connect || sub === "log") {
        path[m] = op(def.connect ? "connect" : "get", {
          description: `${def.connect ? `connect ${m.toUpperCase()} requests to` : "read"} ${sub} of ${res.kind}`,
          operationId: def.connect ? `connect${capitalize(m)}${gvPart}${scope}${res.kind}${suffix}` : opId("read", suffix),
          responses: STRING_RESPONSE,
        }, subGvk);
      } else if (m === "get") {
        path.get = op("get", { description: `read ${sub} of the specified ${res.kind}`, operationId: opId("read", suffix), responses: ok(subSchema!) }, subGvk);
      } else if (m === "put") {
        path.put = replaceOp((a, o) => op(a, o, subGvk), `replace ${sub} of the specified ${res.kind}`, opId("replace", suffix), subSchema!);
      } else if (m === "patch") {
        path.patch = patchOp((a, o) => op(a, o, subGvk), `partially update ${sub} of the specified ${res.kind}`, opId("patch", suffix), subSchema!, patchTypes);
      } else if (m === "post") {
        path.post = op("post", {
          description: `create ${sub} of ${articled(res.kind)}`,
          operationId: opId("create", suffix),
          parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation],
          requestBody: objectBody(subSchema!),
          responses: ok(subSchema!, ["200", "201", "202"]),
        }, subGvk);
      }
    }
    paths[`${base}/{name}/${sub}`] = path;
  }
  return paths;
}

type OpFactory = (action: Action, o: Omit<Operation, "tags" | "x-kubernetes-action" | "x-kubernetes-group-version-kind">) => Operation;

function replaceOp(op: OpFactory, description: string, operationId: string, schema: string): Operation {
  return op("put", {
    description,
    operationId,
    parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation],
    requestBody: objectBody(schema),
    responses: ok(schema, ["200", "201"]),
  });
}

function patchOp(op: OpFactory, description: string, operationId: string, schema: string, types: string[]): Operation {
  return op("patch", {
    description,
    operationId,
    parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation, PARAMS.force],
    requestBody: patchBody(types),
    responses: ok(schema, ["200", "201"]),
  });
}

function deleteParams(): Parameter[] {
  return [PARAMS.dryRun, PARAMS.gracePeriodSeconds, PARAMS.orphanDependents, PARAMS.propagationPolicy];
}

function hasOperations(p: PathItem): boolean {
  return Object.keys(p).some((k) => k !== "parameters");
}

function articled(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

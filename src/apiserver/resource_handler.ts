// Resource requests after authentication and authorization: decode, admit, call the ResourceStore, encode.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StoredObject } from "../api/object.js";
import { errors, isNotFound } from "../machinery/errors.js";
import type { FieldValidation, PatchType, Registry, RequestContext, ResourceStore, Subresource, WriteResult } from "../registry/rest.js";
import type { ResourceDef } from "../registry/types.js";
import type { Logger } from "../util/log.js";
import { checkObject, decodeBody, isPlainObject, readBody } from "./body.js";
import { negotiate, type Transform } from "./negotiation.js";
import { checkNamespace, decodeObject, optionalBody, readDecoded, respond, respondList, watchTransform, type Exchange } from "./exchange.js";
import { kubeletTarget, NODE_SUBRESOURCES, proxyHttp } from "./node_proxy.js";
import { DEFAULT_WATCH_TIMEOUT_SECONDS, deleteParams, dryRunParam, fieldValidationParam, listParams, watchParams, boolParam } from "./params.js";
import { admit, admissionFor, admissionIsEmpty, admitConnect } from "./pipeline.js";
import type { ResourceRequestInfo } from "./request_info.js";
import { successStatus, writeObject } from "./responses.js";
import { answerReview, isReviewResource, virtualResource } from "./reviews.js";
import type { AdmissionAttributes, AdmissionChain, AdmissionOperation, Authorizer, UserInfo } from "./types.js";
import { serveWatch, type WatchTracker } from "./watch.js";

export interface ResourceHandlerDeps {
  registry: Registry;
  authorizer: Authorizer;
  admission: AdmissionChain;
  tracker: WatchTracker;
  logger: Logger;
  now: () => Date;
}

const PATCH_TYPES: Record<string, PatchType> = {
  "json-patch": "json",
  "merge-patch": "merge",
  "strategic-merge-patch": "strategic",
  "apply-patch": "apply",
};

/** Subresource bodies of another kind than the resource: group/version/kind expected in the request. */
const SUBRESOURCE_KINDS: Record<string, { apiVersions: string[]; kind: string }> = {
  scale: { apiVersions: ["autoscaling/v1"], kind: "Scale" },
  eviction: { apiVersions: ["policy/v1", "policy/v1beta1"], kind: "Eviction" },
  binding: { apiVersions: ["v1"], kind: "Binding" },
};

/** The meta.k8s.io representations objects and lists are offered in (constants: negotiation caches by identity). */
const OBJECT_TRANSFORMS: readonly Transform[] = Object.freeze(["Table", "PartialObjectMetadata", "PartialObjectMetadataList"]);
const NO_TRANSFORMS: readonly Transform[] = Object.freeze([]);

function gv(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** A resource request's context. Its cancellation signal is made on first read (most requests never read it). A
 *  class with the getter on its prototype, not an object literal with a getter: V8 builds such a literal on a slow
 *  path (a new getter closure, a runtime call), which was ~1.5% of the API server's CPU in the scheduler benchmark. A copy by
 *  spread has no signal. */
class ResourceRequestContext implements RequestContext {
  readonly namespace: string | undefined;
  readonly version: string;
  readonly user: UserInfo;
  dryRun: boolean;
  readonly fieldManager: string | undefined;
  readonly fieldValidation: FieldValidation;
  readonly warnings: string[] = [];
  admitPatched?: RequestContext["admitPatched"];
  readonly #signal: () => AbortSignal;

  constructor(info: ResourceRequestInfo, user: UserInfo, query: URLSearchParams, signal: () => AbortSignal) {
    this.namespace = info.namespace;
    this.version = info.version;
    this.user = user;
    this.dryRun = dryRunParam(query.getAll("dryRun"));
    this.fieldManager = query.get("fieldManager") ?? undefined;
    this.fieldValidation = fieldValidationParam(query);
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return this.#signal();
  }
}

interface Call extends Exchange {
  store: ResourceStore;
}

export async function handleResource(
  deps: ResourceHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequestInfo,
  query: URLSearchParams,
  user: UserInfo,
  /** The request's cancellation signal, made on first use (most requests never ask for it). */
  signal: () => AbortSignal,
): Promise<void> {
  checkPathSegment("namespace", info.namespace);
  checkPathSegment("name", info.name);
  const store = deps.registry.store(info.group, info.resource);
  const def = store?.def ?? virtualResource(info.group, info.resource);
  if (!def || !def.versions.some((v) => v.version === info.version)) throw errors.pathNotFound();
  if (!def.namespaced && info.namespace !== undefined) throw errors.pathNotFound();
  if (def.namespaced && info.namespace === undefined && !(info.verb === "list" || info.verb === "watch")) {
    throw errors.pathNotFound(`the server could not find the requested resource: ${info.resource} are namespaced, the path must name a namespace`);
  }
  const sub = info.subresource;
  const transforms = sub === undefined || sub === "status" ? OBJECT_TRANSFORMS : NO_TRANSFORMS;
  const out = negotiate(req.headers.accept, transforms);
  const ctx = new ResourceRequestContext(info, user, query, signal);
  if (isReviewResource(def)) {
    if (info.verb !== "create" || info.name !== undefined || sub !== undefined) throw errors.methodNotAllowed(`${def.resource} only accept create (POST to the collection)`);
    const call = { req, res, info, query, def, ctx, out, pretty: query.get("pretty") === "true" };
    const obj = await decodeObject(call, { apiVersion: gv(def.group, info.version), kind: def.kind });
    return respond(call, 201, await answerReview(def, obj, user, deps.authorizer));
  }
  if (!store) throw errors.pathNotFound();
  const call: Call = { req, res, info, query, store, def, ctx, out, pretty: query.get("pretty") === "true" };

  if (sub !== undefined && NODE_SUBRESOURCES.has(sub) && def.group === "" && def.resource === "pods") {
    await admitConnect(deps.admission, { group: "", version: info.version, resource: "pods", subresource: sub, namespace: info.namespace, name: info.name!, user });
    const target = await kubeletTarget(deps.registry, ctx, { name: info.name!, subresource: sub, query });
    proxyHttp(req, res, target, deps.logger);
    return;
  }
  if (sub === undefined) return handleMain(deps, call);
  if (info.name === undefined || info.rest.length > 0) throw errors.pathNotFound();
  if (sub === "status" && def.status) return handleSubresourceRW(deps, call, "status");
  if (sub === "scale" && def.scale) return handleSubresourceRW(deps, call, "scale");
  if ((sub === "binding" || sub === "eviction") && def.group === "" && def.resource === "pods") return handleCreateSubresource(deps, call, sub);
  if (sub === "finalize" && def.group === "" && def.resource === "namespaces") {
    if (info.verb !== "update") throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${req.method} namespaces/finalize`);
    const obj = await decodeObject(call, { apiVersion: "v1", kind: def.kind });
    const r = await store.update(ctx, info.name, obj, { subresource: "finalize" });
    return respond(call, 200, r.object);
  }
  throw errors.pathNotFound();
}

// A module constant: a regular expression literal inside the function would be a new RegExp object on every call.
// eslint-disable-next-line no-control-regex
const BAD_SEGMENT_CHAR = /[\u0000-\u001f\u007f/%]/;

/** Path segments become storage keys: refuse what no valid name contains, as Kubernetes' path segment checks do. */
function checkPathSegment(what: string, v: string | undefined): void {
  if (v === undefined) return;
  if (v === "." || v === ".." || BAD_SEGMENT_CHAR.test(v)) {
    throw errors.badRequest(`invalid ${what} ${JSON.stringify(v)} in the request path: may not be "." or ".." and may not contain "/", "%" or control characters`);
  }
}

function verbAllowed(def: ResourceDef, verb: string): boolean {
  return def.verbs === undefined || def.verbs.includes(verb);
}

async function handleMain(deps: ResourceHandlerDeps, c: Call): Promise<void> {
  const { info, store, def, ctx } = c;
  if (!verbAllowed(def, info.verb)) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${info.verb} ${def.resource}`);
  const name = info.name;
  if (info.rest.length > 0) throw errors.pathNotFound();
  switch (info.verb) {
    case "get": {
      const rv = c.query.get("resourceVersion") ?? undefined;
      const obj = await store.get(ctx, name!, rv !== undefined ? { resourceVersion: rv } : undefined);
      return respond(c, 200, obj);
    }
    case "list": {
      const list = await store.list(ctx, listParams(c.query));
      return respondList(c, list, deps.now());
    }
    case "watch": {
      const params = watchParams(c.query);
      // A watch of one named object (/watch/.../name) is a watch with a name field selector.
      if (name !== undefined) params.fieldSelector = [params.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(",");
      const stream = await store.watch(ctx, params);
      serveWatch(c.res, stream, {
        // Without a client timeout, spread the server-side ends over [T, 2T) so watchers do not all relist at once.
        timeoutSeconds: params.timeoutSeconds || DEFAULT_WATCH_TIMEOUT_SECONDS * (1 + Math.random()),
        tracker: deps.tracker,
        logger: deps.logger,
        transform: watchTransform(c, deps.now),
      });
      return;
    }
    case "create": {
      if (name !== undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: POST to a named ${def.singular}`);
      const obj = await decodeObject(c, { apiVersion: gv(def.group, info.version), kind: def.kind });
      await runAdmission(deps, c, "CREATE", obj);
      // The decoded body is this request's alone: the store may prepare it in place.
      const created = await store.create(ctx, obj, { owned: true });
      return respond(c, 201, created);
    }
    case "update": {
      if (name === undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: PUT to the ${def.resource} collection`);
      const obj = await decodeObject(c, { apiVersion: gv(def.group, info.version), kind: def.kind });
      await runAdmission(deps, c, "UPDATE", obj);
      const r = await store.update(ctx, name, obj);
      return respond(c, r.created ? 201 : 200, r.object);
    }
    case "patch": {
      if (name === undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: PATCH to the ${def.resource} collection`);
      const r = await doPatch(deps, c, undefined);
      return respond(c, r.created ? 201 : 200, r.object);
    }
    case "delete": {
      const body = await optionalBody(c);
      const { params, dryRun } = deleteParams(c.query, body);
      ctx.dryRun ||= dryRun;
      await runAdmission(deps, c, "DELETE", undefined);
      const r = await store.delete(ctx, name!, params);
      if (!r.deleted) return respond(c, 202, r.object);
      const m = r.object.metadata;
      return writeObject(c.res, 200, successStatus({ name: m.name, group: def.group, kind: def.resource, uid: m.uid }), { format: c.out.format, pretty: c.pretty, warnings: ctx.warnings });
    }
    case "deletecollection": {
      const body = await optionalBody(c);
      const { params, dryRun } = deleteParams(c.query, body);
      ctx.dryRun ||= dryRun;
      await runAdmission(deps, c, "DELETE", undefined);
      const list = await store.deleteCollection(ctx, listParams(c.query), params);
      return writeObject(c.res, 200, list, { format: c.out.format, pretty: c.pretty, warnings: ctx.warnings });
    }
    default:
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${c.req.method}`);
  }
}

async function handleSubresourceRW(deps: ResourceHandlerDeps, c: Call, sub: Subresource): Promise<void> {
  const { info, store, ctx, def } = c;
  const name = info.name!;
  switch (info.verb) {
    case "get":
      return respond(c, 200, await store.get(ctx, name, { subresource: sub }));
    case "update": {
      const expected = sub === "scale" ? { apiVersion: "autoscaling/v1", kind: "Scale" } : { apiVersion: gv(def.group, info.version), kind: def.kind };
      const obj = await decodeObject(c, expected);
      await runAdmission(deps, c, "UPDATE", obj);
      const r = await store.update(ctx, name, obj, { subresource: sub });
      return respond(c, r.created ? 201 : 200, r.object);
    }
    case "patch": {
      const r = await doPatch(deps, c, sub);
      return respond(c, 200, r.object);
    }
    default:
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${c.req.method} ${def.resource}/${sub}`);
  }
}

async function handleCreateSubresource(deps: ResourceHandlerDeps, c: Call, sub: "binding" | "eviction"): Promise<void> {
  if (c.info.verb !== "create") throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${c.req.method} pods/${sub}`);
  const creator = c.store;
  if (typeof creator.createSubresource !== "function") throw errors.methodNotAllowed(`pods/${sub} is not served by this registry`);
  const want = SUBRESOURCE_KINDS[sub]!;
  const value = await readDecoded(c);
  const apiVersion = isPlainObject(value) && typeof value.apiVersion === "string" && want.apiVersions.includes(value.apiVersion) ? value.apiVersion : want.apiVersions[0]!;
  const obj = checkObject(value, { apiVersion, kind: want.kind }) as StoredObject;
  checkNamespace(c, obj);
  await runAdmission(deps, c, "CREATE", obj);
  const result = await creator.createSubresource(c.ctx, c.info.name!, sub, obj);
  // Kubernetes answers both with a Success Status and 201.
  const body = isPlainObject(result) && result.kind !== undefined ? result : { ...successStatus({}), code: 201 };
  writeObject(c.res, 201, body, { format: c.out.format, pretty: c.pretty, warnings: c.ctx.warnings });
}

async function doPatch(deps: ResourceHandlerDeps, c: Call, sub: Subresource | undefined): Promise<WriteResult> {
  const { store, ctx, info } = c;
  const ct = c.req.headers["content-type"];
  const buf = await readBody(c.req);
  const { value, encoding } = decodeBody(buf, ct);
  const type = PATCH_TYPES[encoding];
  if (!type) {
    throw errors.unsupportedMediaType(ct ?? "");
  }
  if (type === "json" ? !Array.isArray(value) : !isPlainObject(value)) {
    throw errors.badRequest(`the ${type} patch must be a JSON ${type === "json" ? "array of operations" : "object"}`);
  }
  const force = boolParam(c.query, "force");
  if (force !== undefined && type !== "apply") throw errors.badRequest("force may only be set for apply patches (application/apply-patch+yaml)");
  if (type === "apply" && !ctx.fieldManager) {
    throw errors.invalid("PatchOptions", "meta.k8s.io", "", [{ type: "FieldValueRequired", field: "fieldManager", detail: "is required for apply patch" }]);
  }
  const patch = { type, body: value, force };
  const opts = sub ? { subresource: sub } : undefined;
  if (!admissionIsEmpty(deps.admission)) {
    // The registry computes the patched object inside its update loop and runs admission on it there (again on
    // every optimistic-concurrency retry), so plugins see exactly what will be stored.
    ctx.admitPatched = (op, obj, old) => runAdmission(deps, c, op, obj, old ?? undefined, { known: true });
  }
  return store.patch(ctx, info.name!, patch, opts);
}

async function runAdmission(
  deps: ResourceHandlerDeps,
  c: Call,
  operation: AdmissionOperation,
  object: StoredObject | undefined,
  old?: StoredObject,
  opts: { known?: boolean } = {},
): Promise<void> {
  const { info, def, ctx, store } = c;
  // Only plugins that act on this request run; with none, the old object is not even read.
  const chain = admissionFor(deps.admission, { operation, group: def.group, resource: def.resource, subresource: info.subresource });
  if (admissionIsEmpty(chain)) return;
  let oldObject = old;
  if (!opts.known && (operation === "UPDATE" || operation === "DELETE") && info.name !== undefined) {
    try {
      oldObject = await store.get(ctx, info.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const attrs: AdmissionAttributes = {
    operation,
    group: def.group,
    version: info.version,
    kind: def.kind,
    resource: def.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name ?? object?.metadata.name ?? object?.metadata.generateName,
    object,
    oldObject,
    user: ctx.user,
    dryRun: ctx.dryRun,
  };
  await admit(chain, attrs);
}

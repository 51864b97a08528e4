// Decoding request objects and encoding answers for resource requests: namespace/name checks, and the Table,
// PartialObjectMetadata and plain representations of objects, lists and watch events.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KubeList, StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { RequestContext, WatchEventOut } from "../registry/rest.js";
import type { ResourceDef } from "../registry/types.js";
import { checkObject, decodeBody, readBody } from "./body.js";
import type { Negotiated } from "./negotiation.js";
import type { ResourceRequestInfo } from "./request_info.js";
import { writeObject } from "./responses.js";
import { parseIncludeObject, partialObjectMetadata, partialObjectMetadataList, toTable } from "./table.js";

/** What encoding and decoding need to know about a request. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceRequestInfo;
  query: URLSearchParams;
  def: ResourceDef;
  ctx: RequestContext;
  out: Readonly<Negotiated>;
  pretty: boolean;
}

export async function readDecoded(c: Exchange): Promise<unknown> {
  const buf = await readBody(c.req);
  const { value, encoding } = decodeBody(buf, c.req.headers["content-type"]);
  if (encoding !== "json" && encoding !== "yaml") throw errors.unsupportedMediaType(c.req.headers["content-type"] ?? "");
  return value;
}

export async function decodeObject(c: Exchange, expected: { apiVersion: string; kind: string }): Promise<StoredObject> {
  const obj = checkObject(await readDecoded(c), expected) as StoredObject;
  checkNamespace(c, obj);
  const name = c.info.name;
  if (name !== undefined) {
    if (obj.metadata.name === undefined || obj.metadata.name === "") obj.metadata.name = name;
    else if (obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
  }
  return obj;
}

export function checkNamespace(c: Exchange, obj: StoredObject): void {
  const ns = c.info.namespace;
  if (!c.def.namespaced || ns === undefined) return;
  if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
    throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata.namespace = ns;
}

export async function optionalBody(c: Exchange): Promise<unknown> {
  const buf = await readBody(c.req);
  if (buf.toString("utf8").trim() === "") return undefined;
  return decodeBody(buf, c.req.headers["content-type"]).value;
}

export function respond(c: Exchange, code: number, obj: StoredObject): void {
  let body: unknown = obj;
  const t = c.out.transform;
  if (t === "Table") {
    body = toTable(c.def, [obj], { resourceVersion: obj.metadata.resourceVersion }, { version: c.out.transformVersion, includeObject: parseIncludeObject(c.query.get("includeObject")) });
  } else if (t === "PartialObjectMetadata") {
    body = partialObjectMetadata(obj, c.out.transformVersion);
  } else if (t === "PartialObjectMetadataList") {
    throw errors.notAcceptable("only PartialObjectMetadata is served for a single object, not PartialObjectMetadataList");
  }
  writeObject(c.res, code, body, { format: c.out.format, pretty: c.pretty, warnings: c.ctx.warnings });
}

export function respondList(c: Exchange, list: KubeList<StoredObject>, now: Date): void {
  let body: unknown = list;
  const t = c.out.transform;
  if (t === "Table") {
    body = toTable(c.def, list.items, list.metadata, { version: c.out.transformVersion, includeObject: parseIncludeObject(c.query.get("includeObject")), now });
  } else if (t === "PartialObjectMetadataList" || t === "PartialObjectMetadata") {
    body = partialObjectMetadataList(list, c.out.transformVersion);
  }
  writeObject(c.res, 200, body, { format: c.out.format, pretty: c.pretty, warnings: c.ctx.warnings });
}

export function watchTransform(c: Exchange, now: () => Date): ((e: WatchEventOut, first: boolean) => unknown) | undefined {
  const t = c.out.transform;
  if (t === "Table") {
    const include = parseIncludeObject(c.query.get("includeObject"));
    return (e, first) => {
      const obj = e.object as StoredObject;
      return toTable(c.def, [obj], { resourceVersion: obj.metadata?.resourceVersion }, { version: c.out.transformVersion, includeObject: include, noHeaders: !first, now: now() });
    };
  }
  if (t === "PartialObjectMetadata" || t === "PartialObjectMetadataList") {
    return (e) => partialObjectMetadata(e.object as StoredObject, c.out.transformVersion);
  }
  return undefined;
}

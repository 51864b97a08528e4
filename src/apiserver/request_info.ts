// Parses a request path into what it names, as Kubernetes' RequestInfoFactory does:
//   /api/v1[/watch][/namespaces/{ns}]/{resource}[/{name}[/{subresource}[/...]]]
//   /apis/{group}/{version}[/watch][/namespaces/{ns}]/{resource}[/{name}[/{subresource}[/...]]]
// Everything else is a non-resource path (discovery, health, openapi).

export interface ResourceRequestInfo {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (e.g. a proxy path); rarely used. */
  rest: string[];
  /** get, list, watch, create, update, patch, delete, deletecollection, or the HTTP method for connect-style
   *  subresources. */
  verb: string;
  /** True for /watch/ paths and ?watch=true|1. */
  watch: boolean;
}

/** Namespace subresources that are not resources of their own. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export type PathInfo =
  | { kind: "resource"; info: ResourceRequestInfo }
  /** /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}. */
  | { kind: "discovery"; group?: string; version?: string; legacy: boolean }
  | { kind: "other" };

/** A request target's path and query, as `new URL(target, "http://localhost")` gives them. */
export interface RequestTarget {
  pathname: string;
  query: URLSearchParams;
}

/** Path characters the URL parser leaves as they are (no percent-encoding, no escapes to decode). */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
/** "." and ".." segments, which the URL parser resolves. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * Splits a request target (req.url) into path and query. The common shape (an origin-form path of plain characters
 * with no dot segments, no "//" start and no fragment) is split by hand, which gives what the URL parser gives at a
 * fraction of its cost; anything else goes through the URL parser.
 */
export function parseTarget(target: string): RequestTarget {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  if (path.charCodeAt(1) !== 0x2f && PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && !target.includes("#")) {
    return { pathname: path, query: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)) };
  }
  const url = new URL(target, "http://localhost");
  return { pathname: url.pathname, query: url.searchParams };
}

/** Parsed paths by method, watch flag and path: clients repeat the same paths (a collection they create in, the
 *  objects they read and update), and a lookup costs a fraction of a parse. Bounded: cleared at PARSED_MAX. */
const parsedPaths = new Map<string, PathInfo>();
const PARSED_MAX = 4096;

/** What a path names (the answer is frozen and shared between requests). */
export function parsePath(method: string, pathname: string, query: URLSearchParams): PathInfo {
  const qw = query.get("watch");
  const key = `${method}${qw === "true" || qw === "1" ? "\u0000w\u0000" : "\u0000\u0000"}${pathname}`;
  let info = parsedPaths.get(key);
  if (info === undefined) {
    info = parsePathUncached(method, pathname, query);
    if (info.kind === "resource") {
      Object.freeze(info.info.rest);
      Object.freeze(info.info);
    }
    Object.freeze(info);
    if (parsedPaths.size >= PARSED_MAX) parsedPaths.clear();
    parsedPaths.set(key, info);
  }
  return info;
}

function parsePathUncached(method: string, pathname: string, query: URLSearchParams): PathInfo {
  // Percent-escapes are rare in API paths: without a "%" no segment needs decoding.
  const decode = pathname.includes("%");
  const parts: string[] = [];
  for (const p of pathname.split("/")) if (p !== "") parts.push(decode ? safeDecode(p) : p);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api") {
    if (parts.length === 1) return { kind: "discovery", legacy: true };
    group = "";
    version = parts[1]!;
    if (parts.length === 2) return { kind: "discovery", legacy: true, group: "", version };
    rest = parts.slice(2);
  } else if (parts[0] === "apis") {
    if (parts.length === 1) return { kind: "discovery", legacy: false };
    group = parts[1]!;
    if (parts.length === 2) return { kind: "discovery", legacy: false, group };
    version = parts[2]!;
    if (parts.length === 3) return { kind: "discovery", legacy: false, group, version };
    rest = parts.slice(3);
  } else {
    return { kind: "other" };
  }
  let watch = false;
  if (rest[0] === "watch") {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  if (rest.length === 0) return { kind: "other" };
  const resource = rest[0]!;
  const name = rest[1];
  const subresource = rest[2];
  // /api/v1/namespaces/{name}[/status|/finalize] names the namespace object itself.
  if (resource === "namespaces") namespace = undefined;
  const qw = query.get("watch");
  if (qw === "true" || qw === "1") watch = true;
  let verb: string;
  switch (method) {
    case "GET":
    case "HEAD":
      verb = watch ? "watch" : name !== undefined ? "get" : "list";
      break;
    case "POST":
      verb = "create";
      break;
    case "PUT":
      verb = "update";
      break;
    case "PATCH":
      verb = "patch";
      break;
    case "DELETE":
      verb = name !== undefined ? "delete" : "deletecollection";
      break;
    default:
      verb = method.toLowerCase();
  }
  return { kind: "resource", info: { group, version, namespace, resource, name, subresource, rest: rest.slice(3), verb, watch } };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

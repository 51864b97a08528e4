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

/** What a path names. Not memoized: a memo keyed by the path missed on every path that names a new object (each
 *  pods/binding of a scheduler, each create of a named object), and a lookup in a large map of long keys cost as
 *  much as this parse, which splits once and builds one object. */
export function parsePath(method: string, pathname: string, query: URLSearchParams): PathInfo {
  const parts = segments(pathname);
  let i: number;
  let group: string;
  let version: string;
  if (parts[0] === "api") {
    if (parts.length === 1) return { kind: "discovery", legacy: true };
    group = "";
    version = parts[1]!;
    if (parts.length === 2) return { kind: "discovery", legacy: true, group: "", version };
    i = 2;
  } else if (parts[0] === "apis") {
    if (parts.length === 1) return { kind: "discovery", legacy: false };
    group = parts[1]!;
    if (parts.length === 2) return { kind: "discovery", legacy: false, group };
    version = parts[2]!;
    if (parts.length === 3) return { kind: "discovery", legacy: false, group, version };
    i = 3;
  } else {
    return { kind: "other" };
  }
  // parts[i] is the first segment after the group version.
  let watch = false;
  if (parts[i] === "watch") {
    watch = true;
    i++;
  }
  let namespace: string | undefined;
  if (parts[i] === "namespaces" && parts.length - i > 1) {
    namespace = parts[i + 1];
    if (parts.length - i > 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2]!)) i += 2;
  }
  if (i >= parts.length) return { kind: "other" };
  const resource = parts[i]!;
  const name = parts[i + 1];
  const subresource = parts[i + 2];
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
  const rest = parts.length > i + 3 ? parts.slice(i + 3) : [];
  return { kind: "resource", info: { group, version, namespace, resource, name, subresource, rest, verb, watch } };
}

/** The path's non-empty segments; percent-escapes are rare in API paths, so without a "%" none is decoded. Found by
 *  indexOf rather than split("/"), which took microseconds per request path in the server (a runtime call each). */
function segments(pathname: string): string[] {
  const parts: string[] = [];
  const decode = pathname.includes("%");
  for (let start = 0; start < pathname.length; ) {
    let end = pathname.indexOf("/", start);
    if (end < 0) end = pathname.length;
    if (end > start) parts.push(decode ? safeDecode(pathname.slice(start, end)) : pathname.slice(start, end));
    start = end + 1;
  }
  return parts;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

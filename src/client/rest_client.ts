// The REST client: JSON over HTTP(S) to the API server. Unary requests go through a pool of keep-alive sockets
// (http1_pool.ts, a third to a half of node:http's CPU per request); watches (long-lived streams) use node:http with
// one keep-alive agent per client. Non-2xx answers throw a StatusError rebuilt from the Status body; watches stream
// newline-delimited {"type","object"} events.
import http from "node:http";
import https from "node:https";
import type { KubeList, KubeObject } from "../api/object.js";
import type { Status } from "../machinery/errors.js";
import { createHttp1Pool } from "./http1_pool.js";
import { errorFromResponse } from "./response_error.js";
import {
  PATCH_CONTENT_TYPES,
  type DeleteOptions,
  type ListOptions,
  type ResourceClient,
  type ResourceRef,
  type WatchHandle,
  type WatchHandlers,
  type WatchOptions,
  type WriteOptions,
} from "./types.js";
import { openWatch } from "./watch_stream.js";

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipVerify?: boolean;
}

export interface ClientOptions {
  /** Base URL, e.g. "https://127.0.0.1:6443". */
  server: string;
  token?: string;
  userAgent?: string;
  /** Used for non-streaming requests when given (tests, other runtimes); watches always use node:http. */
  fetchImpl?: typeof fetch;
  tls?: TlsOptions;
  /** Limit for one non-watch request, so a hung connection cannot wedge a controller (default 60 s): a connection
   * silent this long while a request waits on it is destroyed and the request rejects. */
  requestTimeoutMs?: number;
  /** Sockets the client opens at once for unary requests (default 64); more requests wait their turn. */
  maxConnections?: number;
  /** "node:http" sends unary requests through node:http/node:https, as watches are (the transport before
   * http1_pool.ts; bench/client.ts measures against it). */
  unaryTransport?: "pool" | "node:http";
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RawRequest {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** The caller does not read a successful answer: its body is not parsed and the request resolves undefined (an
   * error answer still rejects with the StatusError rebuilt from it). For writes whose answer nobody reads, such as
   * the scheduler's bindings and events. */
  discardResponse?: boolean;
}

export interface Client {
  readonly server: string;
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T>;
  /** Any JSON request; throws StatusError on non-2xx. */
  request<T = unknown>(req: RawRequest): Promise<T>;
  /** Opens a watch stream at a full path (query included). */
  watchPath<T extends KubeObject = KubeObject>(path: string, query: Query, handlers: WatchHandlers<T>): WatchHandle;
  /** Closes idle keep-alive connections. */
  close(): void;
}

export function buildQuery(q: Query | undefined): string {
  if (!q) return "";
  let out = "";
  for (const k in q) {
    const v = q[k];
    if (v !== undefined && v !== "") out += `${out ? "&" : "?"}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
  }
  return out;
}

/** The collection path of a resource: /api/v1/namespaces/ns/pods, /apis/apps/v1/deployments. */
export function resourcePath(ref: ResourceRef, ns?: string, name?: string, subresource?: string): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && ns) p += `/namespaces/${encodeURIComponent(ns)}`;
  p += `/${ref.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function writeQuery(opts?: WriteOptions): Query | undefined {
  return opts && { dryRun: opts.dryRun ? "All" : undefined, fieldManager: opts.fieldManager };
}

function listQuery(opts?: ListOptions): Query {
  return { ...opts };
}

function deleteBody(opts?: DeleteOptions): Record<string, unknown> {
  return {
    kind: "DeleteOptions",
    apiVersion: "v1",
    propagationPolicy: opts?.propagationPolicy,
    gracePeriodSeconds: opts?.gracePeriodSeconds,
    preconditions: opts?.preconditions,
    dryRun: opts?.dryRun ? ["All"] : undefined,
  };
}

export function createClient(opts: ClientOptions): Client {
  const base = new URL(opts.server);
  const isHttps = base.protocol === "https:";
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key, rejectUnauthorized: !opts.tls?.insecureSkipVerify })
    : new http.Agent({ keepAlive: true });
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const basePath = base.pathname.replace(/\/$/, "");
  const headers = (extra: Record<string, string>): Record<string, string> => ({
    Accept: "application/json",
    "User-Agent": opts.userAgent ?? "k8ts/0.1",
    ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
    ...extra,
  });

  // Header lines every unary request carries, rendered once. A CR or LF in them would split the request: such a
  // client fails each request, as node:http does, rather than sending it.
  const fixedHeaders =
    `Host: ${base.host}\r\nAccept: application/json\r\nUser-Agent: ${opts.userAgent ?? "k8ts/0.1"}\r\n` +
    (opts.token ? `Authorization: Bearer ${opts.token}\r\n` : "");
  const badHeaders = /[\r\n]/.test(`${opts.userAgent ?? ""}${opts.token ?? ""}`) ? new TypeError("user agent or token contains a line break") : undefined;
  const pool =
    opts.fetchImpl || opts.unaryTransport === "node:http"
      ? undefined
      : createHttp1Pool({
          host: base.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: Number(base.port || (isHttps ? 443 : 80)),
          tls: isHttps ? { ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key, rejectUnauthorized: !opts.tls?.insecureSkipVerify } : undefined,
          timeoutMs,
          maxSockets: opts.maxConnections,
        });
  // Paths and queries the client builds are already percent-encoded; anything else goes through URL's encoding.
  const PLAIN_TARGET = /^[\x21-\x7e]*$/;

  const viaNode = (req: RawRequest, url: URL, body: string | undefined, hdrs: Record<string, string>): Promise<{ code: number; text: string }> =>
    new Promise((resolve, reject) => {
      const r = (isHttps ? https : http).request(url, { method: req.method, agent, headers: hdrs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`${req.method} ${req.path}: no answer within ${timeoutMs} ms`)));
      r.on("error", reject);
      r.end(body);
    });

  const viaPool = (req: RawRequest, body: string | undefined): Promise<{ status: number; text: string }> => {
    if (badHeaders) return Promise.reject(badHeaders);
    let target = basePath + req.path + buildQuery(req.query);
    if (!PLAIN_TARGET.test(target)) {
      const url = new URL(target, base);
      target = url.pathname + url.search;
    }
    const hdrs = body === undefined ? fixedHeaders : `${fixedHeaders}Content-Type: ${req.contentType ?? "application/json"}\r\n`;
    return pool!.request(req.method, target, hdrs, body);
  };

  const request = async <T>(req: RawRequest): Promise<T> => {
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (pool) {
      const { status, text } = await viaPool(req, body);
      if (status < 200 || status > 299) throw errorFromResponse(status, text);
      return (text && !req.discardResponse ? JSON.parse(text) : undefined) as T;
    }
    const url = new URL(basePath + req.path + buildQuery(req.query), base);
    // Content-Length always: node sends DELETE bodies neither chunked nor sized otherwise, which servers reject.
    const hdrs = headers(body === undefined ? {} : { "Content-Type": req.contentType ?? "application/json", "Content-Length": String(Buffer.byteLength(body)) });
    let code: number;
    let text: string;
    if (opts.fetchImpl) {
      const { "Content-Length": _length, ...fetchHeaders } = hdrs;
      const res = await opts.fetchImpl(url, { method: req.method, headers: fetchHeaders, body, signal: AbortSignal.timeout(timeoutMs) });
      code = res.status;
      text = await res.text();
    } else {
      ({ code, text } = await viaNode(req, url, body, hdrs));
    }
    if (code < 200 || code > 299) throw errorFromResponse(code, text);
    return (text && !req.discardResponse ? JSON.parse(text) : undefined) as T;
  };

  const watchPath = <T extends KubeObject>(path: string, query: Query, handlers: WatchHandlers<T>): WatchHandle => {
    const url = new URL(basePath + path + buildQuery(query), base);
    return openWatch<T>({ url, agent, headers: headers({}), https: isHttps }, handlers);
  };

  const resource = <T extends KubeObject>(ref: ResourceRef): ResourceClient<T> => {
    const at = (ns: string | undefined, name?: string, sub?: string): string => resourcePath(ref, ref.namespaced ? ns : undefined, name, sub);
    const nameOf = (obj: T): string => {
      const n = obj.metadata?.name;
      if (!n) throw new TypeError(`${ref.resource}: object has no metadata.name`);
      return n;
    };
    const nsOf = (ns: string | undefined, obj: T): string | undefined => ns || obj.metadata?.namespace;
    return {
      ref,
      get: (ns, name) => request<T>({ method: "GET", path: at(ns, name) }),
      list: (ns, o) => request<KubeList<T>>({ method: "GET", path: at(ns), query: listQuery(o) }),
      create: (ns, obj, o) => request<T>({ method: "POST", path: at(nsOf(ns, obj)), query: writeQuery(o), body: obj }),
      update: (ns, obj, o) => request<T>({ method: "PUT", path: at(nsOf(ns, obj), nameOf(obj)), query: writeQuery(o), body: obj }),
      updateStatus: (ns, obj, o) => request<T>({ method: "PUT", path: at(nsOf(ns, obj), nameOf(obj), "status"), query: writeQuery(o), body: obj }),
      updateSubresource: (ns, obj, o) =>
        request<T>({ method: "PUT", path: at(nsOf(ns, obj), nameOf(obj), o.subresource), query: writeQuery(o), body: obj }),
      patch: (ns, name, type, body, o) =>
        request<T>({
          method: "PATCH",
          path: at(ns, name, o?.subresource),
          query: { ...writeQuery(o), force: o?.force },
          body,
          contentType: PATCH_CONTENT_TYPES[type],
        }),
      delete: (ns, name, o) => request<T | Status>({ method: "DELETE", path: at(ns, name), body: deleteBody(o) }),
      deleteCollection: (ns, o) =>
        request<KubeList<T> | Status>({
          method: "DELETE",
          path: at(ns),
          query: { labelSelector: o?.labelSelector, fieldSelector: o?.fieldSelector, limit: o?.limit, continue: o?.continue },
          body: deleteBody(o),
        }),
      watch: (ns, o: WatchOptions, handlers) =>
        watchPath<T>(at(ns), { ...o, watch: true, allowWatchBookmarks: o.allowWatchBookmarks || undefined }, handlers),
    };
  };

  return {
    server: opts.server,
    resource,
    request,
    watchPath,
    close: () => {
      pool?.close();
      agent.destroy();
    },
  };
}

// The API server's HTTP layer: one node:http server, a request pipeline with explicit seams
// (authenticate -> authorize -> admission inside resource handling -> registry) and graceful shutdown.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { errors } from "../machinery/errors.js";
import type { Registry, RequestContext } from "../registry/rest.js";
import { silentLogger, type Logger } from "../util/log.js";
import { processMetrics } from "../util/metrics/process_metrics.js";
import type { MetricsSource } from "../util/metrics/render.js";
import { versionInfo } from "../util/version.js";
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "./discovery.js";
import { extraResourceDefs, serveExtraGroup, type ExtraGroup } from "./extra_groups.js";
import { aggregatedDiscoveryVersion, negotiate } from "./negotiation.js";
import { ApiServerMetrics, writeMetrics } from "./metrics.js";
import { kubeletTarget, NODE_SUBRESOURCES, proxyUpgrade, writeSocketStatus } from "./node_proxy.js";
import { adminAuthenticator, adminUser, admitConnect, allowAllAuthorizer, authenticate, authorize, emptyAdmissionChain } from "./pipeline.js";
import { parsePath, parseTarget, type PathInfo, type RequestTarget, type ResourceRequestInfo } from "./request_info.js";
import { handleResource } from "./resource_handler.js";
import { toStatusError, writeError, writeObject, writeText } from "./responses.js";
import type { AdmissionChain, Authenticator, Authorizer, UserInfo } from "./types.js";
import { withReviewResources } from "./reviews.js";
import { WatchTracker } from "./watch.js";

/** Serves /openapi/v3 documents; paths are "api/v1" or "apis/{group}/{version}". */
export interface OpenAPIProvider {
  index(): unknown;
  document(path: string): unknown | undefined;
}

export interface ApiServerOptions {
  registry: Registry;
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  admission?: AdmissionChain;
  openapi?: OpenAPIProvider;
  /** Relay WebSocket upgrades of exec/attach/portforward to the node agent (default true: the agent translates
   *  v5.channel.k8s.io and port-forward's SPDY tunnel to the runtime's SPDY). false refuses them, and kubectl then
   *  falls back to SPDY. */
  proxyWebSockets?: boolean;
  /** Groups served by in-process providers (aggregation style), e.g. metrics.k8s.io. */
  extraGroups?: ExtraGroup[];
  logger?: Logger;
  now?: () => Date;
  /** Metrics of components running in this process (controller manager, scheduler), merged into GET /metrics. */
  metricsSources?: () => MetricsSource[];
}

export interface ListenOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface ApiServer {
  /** The request handler (usable with any node:http server). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  listen(opts?: ListenOptions): Promise<{ url: string; host: string; port: number }>;
  /** Starts the registry (watch cache); /readyz succeeds afterwards. */
  start(): Promise<void>;
  readonly ready: boolean;
  /** Request metrics (apiserver_request_total and friends), served at GET /metrics. */
  readonly metrics: ApiServerMetrics;
  /** Stops accepting connections, ends every watch, waits for in-flight requests, then stops the registry. */
  close(): Promise<void>;
}

const HEALTH_PATHS = new Set(["/healthz", "/livez", "/readyz"]);

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const registry = opts.registry;
  const authn = opts.authenticator ?? adminAuthenticator;
  const authz = opts.authorizer ?? allowAllAuthorizer;
  const admission = opts.admission ?? emptyAdmissionChain();
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const tracker = new WatchTracker();
  const extraGroups = opts.extraGroups ?? [];
  const upgraded = new Set<Duplex>();
  const metrics = new ApiServerMetrics({ objectCounts: registry.objectCounts ? () => registry.objectCounts!() : undefined });
  let ready = false;
  let started = false;
  let closing = false;
  let server: http.Server | undefined;
  let address = "127.0.0.1:6443";

  function serveHealth(path: string, res: ServerResponse): void {
    if (path === "/readyz" && !ready) return writeText(res, 500, "[-]registry not started\nreadyz check failed\n");
    if (closing && path !== "/livez" && path !== "/healthz") return writeText(res, 500, "[-]shutdown in progress\nreadyz check failed\n");
    writeText(res, 200, "ok");
  }

  function serveNonResource(req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
    const path = target.pathname.replace(/\/+$/, "") || "/";
    const pretty = target.query.get("pretty") === "true";
    if (req.method !== "GET" && req.method !== "HEAD") throw errors.methodNotAllowed(`the server does not allow this method on the requested path: ${req.method} ${path}`);
    if (path === "/version") return writeObject(res, 200, versionInfo(), { pretty });
    if (path === "/metrics") return writeMetrics(res, [metrics.registry, processMetrics(), ...(opts.metricsSources?.() ?? [])]);
    if (HEALTH_PATHS.has(path) || /^\/(healthz|livez|readyz)\/[a-z0-9-]+$/.test(path)) return serveHealth(path.split("/").slice(0, 2).join("/"), res);
    if (path === "/openapi/v3" && opts.openapi) return writeObject(res, 200, opts.openapi.index(), { pretty });
    if (path.startsWith("/openapi/v3/") && opts.openapi) {
      const doc = opts.openapi.document(path.slice("/openapi/v3/".length));
      if (doc === undefined) throw errors.pathNotFound();
      if (target.query.has("hash")) res.setHeader("Cache-Control", "public, immutable");
      return writeObject(res, 200, doc, { pretty });
    }
    if (path === "/") {
      return writeObject(res, 200, { paths: ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v3", "/readyz", "/version"] }, { pretty });
    }
    throw errors.pathNotFound();
  }

  function serveDiscovery(req: IncomingMessage, res: ServerResponse, d: { group?: string; version?: string; legacy: boolean }, pretty: boolean): void {
    if (req.method !== "GET" && req.method !== "HEAD") throw errors.methodNotAllowed(`the server does not allow this method on the requested path: ${req.method}`);
    // Extra groups may change what they list (custom metrics list the metrics they know): read them every time.
    const defs = [...withReviewResources(registry.resources()), ...extraResourceDefs(extraGroups)];
    res.setHeader("Vary", "Accept");
    if (d.group === undefined) {
      const agg = aggregatedDiscoveryVersion(req.headers.accept);
      if (agg) return writeObject(res, 200, aggregatedDiscovery(defs, { legacy: d.legacy, version: agg }), { pretty, contentType: aggregatedContentType(agg) });
      const host = req.headers.host ?? address;
      return writeObject(res, 200, d.legacy ? apiVersions(defs, host) : apiGroupList(defs), { pretty });
    }
    if (d.version === undefined) {
      const g = apiGroupDoc(defs, d.group);
      if (!g) throw errors.pathNotFound();
      return writeObject(res, 200, g, { pretty });
    }
    const list = apiResourceList(defs, d.group, d.version);
    if (!list) throw errors.pathNotFound();
    writeObject(res, 200, list, { pretty });
  }

  async function authorizeResource(user: UserInfo, info: ResourceRequestInfo, path: string): Promise<void> {
    await authorize(authz, {
      user,
      verb: info.subresource && NODE_SUBRESOURCES.has(info.subresource) ? connectVerb(info) : info.verb,
      resourceRequest: true,
      path,
      apiGroup: info.group,
      apiVersion: info.version,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace ?? (info.resource === "namespaces" ? info.name : undefined),
      name: info.name,
    });
  }

  const resourceDeps = { registry, authorizer: authz, admission, tracker, logger, now };

  async function route(req: IncomingMessage, res: ServerResponse, target: RequestTarget, parsed: PathInfo, signal: () => AbortSignal): Promise<void> {
    const path = target.pathname;
    // Health probes answer without credentials, as Kubernetes grants them to everyone.
    if (parsed.kind === "other" && (HEALTH_PATHS.has(path.replace(/\/+$/, "")) || /^\/(healthz|livez|readyz)\//.test(path))) return serveNonResource(req, res, target);
    // The default authenticator's answer is known without a promise to wait on.
    const user = authn === adminAuthenticator ? adminUser() : await authenticate(authn, req);
    if (parsed.kind !== "resource") {
      await authorize(authz, { user, verb: (req.method ?? "GET").toLowerCase(), resourceRequest: false, path });
      if (parsed.kind === "discovery") return serveDiscovery(req, res, parsed, target.query.get("pretty") === "true");
      return serveNonResource(req, res, target);
    }
    // The default allow-all authorizer allows without being asked (no attributes object, no promise to wait on).
    if (authz !== allowAllAuthorizer) await authorizeResource(user, parsed.info, path);
    const extra = extraGroups.length ? extraGroups.find((g) => g.group === parsed.info.group) : undefined;
    if (extra) return serveExtraGroup(extra, req, res, parsed.info, target.query);
    await handleResource(resourceDeps, req, res, parsed.info, target.query, user, signal);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    // The cancellation signal is made only when a handler asks for it (a watch does; most requests never do):
    // an AbortController per request was a visible share of the server's CPU. Only a client that went away before
    // the answer was complete aborts the work, whether the signal was asked for before or after it left.
    let abort: AbortController | undefined;
    let gone = false;
    const signal = (): AbortSignal => {
      if (!abort) {
        abort = new AbortController();
        if (gone) abort.abort();
      }
      return abort.signal;
    };
    // The target is parsed once, for routing and for the request's metric labels.
    let target: RequestTarget | undefined;
    let parsed: PathInfo = { kind: "other" };
    try {
      target = parseTarget(req.url ?? "/");
      parsed = parsePath(req.method ?? "GET", target.pathname, target.query);
    } catch {
      // An absolute-form target the URL parser refuses; answered below.
    }
    const done = metrics.instrument(req, res, parsed, target?.query ?? new URLSearchParams());
    // One close listener does the request's bookkeeping (metrics, then cancellation). "close" comes once: on(), not
    // once(), which wraps every listener in another function.
    res.on("close", () => {
      done();
      if (!res.writableFinished) {
        gone = true;
        abort?.abort();
      }
    });
    if (closing) res.setHeader("Connection", "close");
    (target ? route(req, res, target, parsed, signal) : Promise.reject(errors.badRequest(`invalid request target ${JSON.stringify(req.url)}`)))
      .catch((err) => {
        const status = toStatusError(err).status;
        if (status.code >= 500) logger.error("request failed", { method: req.method, path: req.url, code: status.code, err });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // Drain an unread body so the connection can be reused; an oversized one closes the connection instead.
        if (status.code === 413) res.setHeader("Connection", "close");
        else req.resume();
        writeError(res, err, { format: negotiate(req.headers.accept).format === "yaml" ? "yaml" : "json" });
      })
      .finally(() => {
        logger.debug("request", { method: req.method, path: req.url, code: res.statusCode, ms: Date.now() - started });
      });
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = parseTarget(req.url ?? "/");
    const user = await authenticate(authn, req);
    const parsed = parsePath(req.method ?? "GET", url.pathname, url.query);
    const info = parsed.kind === "resource" ? parsed.info : undefined;
    if (!info || info.group !== "" || info.resource !== "pods" || !info.name || !info.subresource || !NODE_SUBRESOURCES.has(info.subresource)) {
      throw errors.badRequest(`connection upgrades are only served for pods/exec, pods/attach, pods/portforward and pods/log, not ${url.pathname}`);
    }
    await authorizeResource(user, info, url.pathname);
    if (opts.proxyWebSockets === false && String(req.headers.upgrade ?? "").toLowerCase() === "websocket") {
      throw errors.badRequest(`WebSocket streaming of pods/${info.subresource} is not served; use SPDY/3.1 (kubectl falls back to it)`);
    }
    await admitConnect(admission, { group: "", version: info.version, resource: "pods", subresource: info.subresource, namespace: info.namespace, name: info.name, user });
    const ctx: RequestContext = { namespace: info.namespace, version: info.version, user, dryRun: false, fieldValidation: "Warn", warnings: [] };
    const target = await kubeletTarget(registry, ctx, { name: info.name, subresource: info.subresource, query: url.query });
    proxyUpgrade(req, socket, head, target, logger);
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    // Upgraded connections leave the HTTP server's bookkeeping; shutdown ends them itself.
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    upgrade(req, socket, head).catch((err) => {
      const status = toStatusError(err).status;
      logger.info("upgrade refused", { path: req.url, code: status.code, reason: status.message });
      writeSocketStatus(socket, status);
    });
  }

  return {
    handle,
    handleUpgrade,
    metrics,
    get ready() {
      return ready;
    },
    async listen(lo = {}) {
      const host = lo.host ?? "127.0.0.1";
      const srv = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 }, handle);
      srv.on("upgrade", handleUpgrade);
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(lo.port ?? 6443, host, () => {
          srv.off("error", reject);
          resolve();
        });
      });
      const port = (srv.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      address = `${urlHost}:${port}`;
      logger.info("api server listening", { url: `http://${address}` });
      return { url: `http://${address}`, host, port };
    },
    async start() {
      if (started) return;
      started = true;
      await registry.start();
      ready = true;
      logger.info("api server ready");
    },
    async close() {
      if (closing) return;
      closing = true;
      ready = false;
      const srv = server;
      const closed = srv ? new Promise<void>((resolve) => srv.close(() => resolve())) : Promise.resolve();
      tracker.endAll();
      for (const s of upgraded) s.destroy();
      srv?.closeIdleConnections();
      // Requests still running after the grace period are cut off.
      const force = setTimeout(() => srv?.closeAllConnections(), 5_000);
      force.unref();
      await closed;
      clearTimeout(force);
      if (started) await registry.stop();
      logger.info("api server stopped");
    },
  };
}

/** Node subresources are authorized as Kubernetes does: reading logs is "get"; exec, attach and port-forward
 *  open a stream into the pod and need "create" whatever the HTTP method. */
function connectVerb(info: ResourceRequestInfo): string {
  return info.subresource === "log" ? "get" : "create";
}

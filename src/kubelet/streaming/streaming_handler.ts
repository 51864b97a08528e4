// The agent's streaming endpoints, as the API server's pods/log|exec|attach|portforward proxy calls them:
//   GET /containerLogs/{ns}/{pod}/{container}?follow&tailLines&timestamps&previous&sinceSeconds&sinceTime&limitBytes
//   /exec/{ns}/{pod}/{container}?command=...&stdin&stdout&stderr&tty      (upgrade: SPDY/3.1 or WebSocket)
//   /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty
//   /portForward/{ns}/{pod}                         (upgrade: SPDY/3.1, or WebSocket SPDY/3.1+portforward.k8s.io)
// Logs are read from the CRI log file here. Exec, attach and port-forward ask the runtime for a streaming URL on its
// streaming server, which speaks SPDY/3.1 (remotecommand v1-v4, portforward.k8s.io) and the pre-v5 WebSocket channel
// protocols. SPDY clients and those older WebSocket protocols are relayed byte for byte; WebSocket v5/v4 exec and
// attach, and port-forward's SPDY-in-WebSocket tunnel, are translated to SPDY here (websocket_bridge.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import type { Pod } from "kubernetes-types/core/v1.js";
import { errors, isStatusError, StatusError, type Status } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from "../pod_config.js";
import { isRuntimeError, type Container, type ContainerRuntime } from "../runtime/types.js";
import { streamLogFile } from "./container_logs.js";
import { logOptionsFromQuery } from "./cri_log_format.js";
import { CriRuntime } from "../runtime/cri/cri_runtime.js";
import { directDialer, netnsDialer, type Dialer } from "./dial.js";
import { criStreamingRuntime, type StreamingRuntime } from "./stream_runtime.js";
import { WebSocketServer, type WebSocket } from "ws";
import { MetricsRegistry } from "../../util/metrics/registry.js";
import type { Counter } from "../../util/metrics/counter.js";
import { bridgeRemoteCommand, bridgeTunnel, translatedProtocol, upgradeToSpdy, V4_PROTOCOL } from "./websocket_bridge.js";

export interface StreamingHandlerOptions {
  runtime: ContainerRuntime;
  /** Exec/attach/port-forward/log paths; without it every stream answers that the runtime has none. */
  streaming?: StreamingRuntime;
  /** How to reach the runtime's streaming server (default: a direct TCP connection). */
  dial?: Dialer;
  /** The pods the agent runs, to tell the current pod from an older one of the same name. */
  pods?: () => Pod[];
  log?: Logger;
  now?: () => number;
}

type Kind = "containerLogs" | "exec" | "attach" | "portForward";

interface Route {
  kind: Kind;
  namespace: string;
  pod: string;
  uid?: string;
  container?: string;
}

/** Parses a streaming path; undefined for other paths. The kubelet also accepts a pod uid before the container. */
export function parseStreamPath(pathname: string): Route | undefined {
  const parts = pathname.split("/").slice(1).map(decodeURIComponent);
  const kind = parts[0] as Kind;
  if (!["containerLogs", "exec", "attach", "portForward"].includes(kind)) return undefined;
  const [, namespace, pod, ...rest] = parts;
  if (!namespace || !pod) return undefined;
  if (kind === "portForward") return rest.length <= 1 ? { kind, namespace, pod, uid: rest[0] || undefined } : undefined;
  if (rest.length === 1 && rest[0]) return { kind, namespace, pod, container: rest[0] };
  if (rest.length === 2 && rest[0] && rest[1]) return { kind, namespace, pod, uid: rest[0], container: rest[1] };
  return undefined;
}

const isTrue = (q: URLSearchParams, name: string): boolean => q.get(name) === "true" || q.get(name) === "1";

/** Older WebSocket protocols containerd's streaming server speaks itself (relayed unchanged). */
const RUNTIME_WS_PROTOCOLS = new Set(["channel.k8s.io", "base64.channel.k8s.io", "v4.base64.channel.k8s.io"]);

/** What serves an upgrade: a raw relay to the runtime, or a translation of a WebSocket protocol to SPDY. */
type Plan = { target: URL; relay: true; protocol: string } | { target: URL; relay: false; protocol: string; flags: StreamFlags };

interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function statusOf(err: unknown): Status {
  if (isStatusError(err)) return err.status;
  if (isRuntimeError(err, "NotFound")) return errors.notFound({ group: "", resource: "containers" }, err.message).status;
  return errors.internal((err as Error)?.message ?? String(err)).status;
}

const REASON: Record<number, string> = { 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable" };

function refuseSocket(socket: Duplex, s: Status): void {
  const body = JSON.stringify(s);
  // Destroyed once written: an upgrade socket is half-open by default and would wait for the client's FIN.
  socket.end(`HTTP/1.1 ${s.code} ${REASON[s.code] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
}

export class StreamingHandler {
  private readonly log: Logger;
  private readonly dial: Dialer;
  /** kubelet_streaming_sessions_total{kind, protocol}: the agent's /metrics shows which protocol clients used. */
  readonly metrics = new MetricsRegistry();
  private readonly sessions: Counter;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  private readonly chosen = new WeakMap<IncomingMessage, string>();

  constructor(private readonly o: StreamingHandlerOptions) {
    this.log = (o.log ?? silentLogger).with({ component: "streaming" });
    this.dial = o.dial ?? directDialer();
    this.sessions = this.metrics.counter({
      name: "kubelet_streaming_sessions_total",
      help: "Exec, attach and port-forward sessions the agent accepted, by kind and client protocol (SPDY/3.1, or the WebSocket subprotocol).",
      labelNames: ["kind", "protocol"],
    });
    // The subprotocol is answered here rather than by ws's negotiation, which rejects names that are not HTTP
    // tokens, such as SPDY/3.1+portforward.k8s.io.
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      const p = this.chosen.get(req);
      if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
    });
  }

  /** Whether a request path belongs here. */
  handles(pathname: string): boolean {
    return parseStreamPath(pathname) !== undefined;
  }

  /** A plain request: logs, or a streaming path without an upgrade (refused). */
  serveHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://kubelet");
    const route = parseStreamPath(url.pathname)!;
    const fail = (err: unknown): void => {
      const s = statusOf(err);
      if (res.headersSent) return void res.destroy();
      res.writeHead(s.code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(s));
    };
    if (route.kind !== "containerLogs") return fail(errors.badRequest(`${route.kind} needs a connection upgrade (SPDY/3.1 or WebSocket)`));
    if (req.method !== "GET") return fail(errors.methodNotAllowed(`containerLogs: method ${req.method} is not allowed`));
    this.serveLogs(route, url.searchParams, res).catch(fail);
  }

  /** An upgrade request for exec, attach or portForward: relayed to the runtime's streaming server. */
  serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://kubelet");
    const route = parseStreamPath(url.pathname);
    this.upgrade(req, route, url.searchParams)
      .then(async (plan) => {
        if (plan.relay) this.relay(req, socket, head, plan.target);
        else await this.translate(req, socket, head, route!, plan);
        this.sessions.inc({ kind: route!.kind, protocol: plan.protocol });
      })
      .catch((err: unknown) => {
        this.log.info("stream refused", { path: url.pathname, err });
        if (!socket.destroyed) refuseSocket(socket, statusOf(err));
      });
  }

  /** Upgrades the runtime's URL to SPDY, then accepts the client's WebSocket and bridges the two. */
  private async translate(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, plan: Plan & { relay: false }): Promise<void> {
    const portForward = route.kind === "portForward";
    const upstream = await upgradeToSpdy(this.dial, plan.target, portForward ? "portforward.k8s.io" : V4_PROTOCOL);
    if (socket.destroyed) {
      upstream.socket.destroy();
      return;
    }
    this.chosen.set(req, plan.protocol);
    delete req.headers["sec-websocket-protocol"];
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      socket.once("close", () => reject(new Error("the client went away during the WebSocket handshake")));
      this.wss.handleUpgrade(req, socket, head, resolve);
    }).catch((err: unknown) => {
      upstream.socket.destroy();
      throw err;
    });
    this.log.debug("websocket stream", { kind: route.kind, pod: `${route.namespace}/${route.pod}`, protocol: plan.protocol });
    const done = portForward ? bridgeTunnel(ws, upstream) : bridgeRemoteCommand(ws, upstream, { protocol: plan.protocol, ...plan.flags, log: this.log });
    done.catch((err: unknown) => this.log.warn("websocket stream failed", { kind: route.kind, err }));
  }

  private streaming(): StreamingRuntime {
    if (!this.o.streaming) throw new StatusError({ code: 501, reason: "", message: "the node's container runtime does not serve streams (logs, exec, attach, port-forward)" });
    return this.o.streaming;
  }

  private async upgrade(req: IncomingMessage, route: Route | undefined, q: URLSearchParams): Promise<Plan> {
    if (!route || route.kind === "containerLogs") throw errors.badRequest(`connection upgrades are served for exec, attach and portForward only, not ${req.url}`);
    const kind = route.kind;
    const streaming = this.streaming();
    let translated: string | undefined;
    let relayedWs: string | undefined;
    if (String(req.headers.upgrade ?? "").toLowerCase() === "websocket") {
      const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
      translated = translatedProtocol(kind, offered);
      relayedWs = kind === "portForward" ? undefined : offered.find((p) => RUNTIME_WS_PROTOCOLS.has(p));
      // Refusing (not 101) makes kubectl fall back to plain SPDY.
      if (!translated && !relayedWs) throw errors.badRequest(`WebSocket subprotocols ${JSON.stringify(offered.join(", "))} are not served for ${kind}; use SPDY/3.1`);
    }
    const plan = (target: URL, flags: StreamFlags): Plan =>
      translated ? { target, relay: false, protocol: translated, flags } : { target, relay: true, protocol: relayedWs ?? "SPDY/3.1" };
    if (route.kind === "portForward") {
      const sandbox = await this.sandboxOf(route);
      const ports = q.getAll("port").map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
      return plan(await streaming.portForward(sandbox, ports), { stdin: false, stdout: false, stderr: false, tty: false });
    }
    const instances = await this.instancesOf(route);
    const current = instances[0];
    if (!current || current.state !== "running") {
      throw errors.badRequest(`container ${JSON.stringify(route.container)} in pod ${JSON.stringify(route.pod)} is not running`);
    }
    const flags = { containerId: current.id, tty: isTrue(q, "tty"), stdin: isTrue(q, "stdin"), stdout: isTrue(q, "stdout"), stderr: isTrue(q, "stderr") };
    if (!flags.stdin && !flags.stdout && !flags.stderr) throw errors.badRequest("you must specify at least 1 of stdin, stdout, stderr");
    // A terminal merges stderr into stdout; the runtime refuses both at once.
    if (flags.tty) flags.stderr = false;
    if (route.kind === "attach") return plan(await streaming.attach(flags), flags);
    const cmd = q.getAll("command");
    if (!cmd.length) throw errors.badRequest("exec: no command given (command=...)");
    return plan(await streaming.exec({ ...flags, cmd }), flags);
  }

  private relay(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL): void {
    const upstream = this.dial(target.hostname.replace(/^\[|\]$/g, ""), Number(target.port || 80));
    const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      if (name.toLowerCase() !== "host") lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    let answered = false;
    upstream.once("data", () => (answered = true));
    upstream.on("error", (err) => {
      this.log.warn("streaming server connection failed", { target: target.host, err });
      if (!answered) refuseSocket(socket, errors.serviceUnavailable(`cannot reach the runtime's streaming server at ${target.host}: ${err.message}`).status);
      else socket.destroy();
    });
    socket.on("close", () => upstream.destroy());
    upstream.on("close", () => {
      if (answered) socket.destroy();
    });
  }

  // ---- logs ----

  private async serveLogs(route: Route, q: URLSearchParams, res: ServerResponse): Promise<void> {
    let opts;
    try {
      opts = logOptionsFromQuery(q, (this.o.now ?? Date.now)());
    } catch (err) {
      throw errors.badRequest(`containerLogs: ${(err as Error).message}`);
    }
    const streaming = this.streaming();
    const instances = await this.instancesOf(route);
    const [current, previous] = instances;
    const what = `container ${JSON.stringify(route.container)} in pod ${JSON.stringify(route.pod)}`;
    if (!current) throw errors.badRequest(`${what} is waiting to start: ContainerCreating`);
    let id = current.id;
    let path = await streaming.logPath(current.id);
    // The instance before the current one (its id, if the runtime still has it, and its log file, named after its
    // restart count), or "" when there is none.
    const usePrevious = async (): Promise<string> => {
      const derived = path && current.metadata.attempt > 0 ? join(dirname(path), `${current.metadata.attempt - 1}${basename(path).replace(/^\d+/, "")}`) : "";
      if (previous) {
        id = previous.id;
        return streaming.logPath(previous.id).catch(() => derived);
      }
      return derived && existsSync(derived) ? derived : "";
    };
    if (opts.previous) {
      path = await usePrevious();
      if (!path) throw errors.badRequest(`previous terminated ${what} not found`);
    } else if (current.state === "created") {
      // Not started yet (a restart under way): as the kubelet, show the last terminated instance's log if there is one.
      path = await usePrevious();
      if (!path) throw errors.badRequest(`${what} is waiting to start: ContainerCreating`);
    }
    if (!path || !existsSync(path)) throw errors.badRequest(`${what} has no log file${path ? ` (${path})` : ""}`);
    const ac = new AbortController();
    res.on("close", () => ac.abort());
    // The client may have gone during the lookups above, before the listener existed.
    if (res.destroyed || res.socket?.destroyed) ac.abort();
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" });
    res.flushHeaders();
    const runtime = this.o.runtime;
    await streamLogFile(path, res, opts, {
      signal: ac.signal,
      running: async () => (await runtime.containerStatus(id)).state === "running",
    });
    res.end();
  }

  // ---- lookups ----

  /** The uid of the pod the agent runs under that name, else the newest the runtime knows. */
  private async podUid(route: Route): Promise<string> {
    if (route.uid) return route.uid;
    const known = (this.o.pods?.() ?? []).filter((p) => p.metadata?.namespace === route.namespace && p.metadata?.name === route.pod);
    const uid = known[known.length - 1]?.metadata?.uid;
    if (uid) return uid;
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [POD_NAMESPACE_LABEL]: route.namespace, [POD_NAME_LABEL]: route.pod } });
    const newest = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!newest) throw errors.notFound({ group: "", resource: "pods" }, `${route.namespace}/${route.pod}`);
    return newest.metadata.uid;
  }

  /** Instances of the route's container, newest attempt first. */
  private async instancesOf(route: Route): Promise<Container[]> {
    const uid = await this.podUid(route);
    const list = await this.o.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: uid, [CONTAINER_NAME_LABEL]: route.container ?? "" } });
    return list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
  }

  private async sandboxOf(route: Route): Promise<string> {
    const uid = await this.podUid(route);
    const ready = await this.o.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid }, state: "ready" });
    const newest = ready.sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
    if (!newest) throw errors.badRequest(`pod ${JSON.stringify(route.pod)} has no running sandbox: cannot forward ports`);
    return newest.id;
  }
}

/** The handler for an agent's runtime: streams for CRI runtimes, reached from inside netns when one is given. */
export function streamingHandlerFor(runtime: ContainerRuntime, opts: { netns?: string; pods?: () => Pod[]; log?: Logger } = {}): StreamingHandler {
  return new StreamingHandler({
    runtime,
    streaming: runtime instanceof CriRuntime ? criStreamingRuntime(runtime.client) : undefined,
    dial: opts.netns ? netnsDialer(opts.netns) : directDialer(),
    pods: opts.pods,
    log: opts.log,
  });
}

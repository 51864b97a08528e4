// Pod subresources served by the node agent (log, exec, attach, portforward): the API server finds the pod's
// node, reads the agent's address from the Node object, and relays the request there byte for byte. Upgraded
// connections (SPDY, WebSocket) are relayed as raw sockets, so every streaming protocol passes unchanged.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { StoredObject } from "../api/object.js";
import { errors, type Status } from "../machinery/errors.js";
import type { Registry, RequestContext } from "../registry/rest.js";
import type { Logger } from "../util/log.js";
import { toStatusError } from "./responses.js";

export const NODE_SUBRESOURCES = new Set(["log", "exec", "attach", "portforward"]);

const KUBELET_PATH: Record<string, string> = { log: "containerLogs", exec: "exec", attach: "attach", portforward: "portForward" };

interface PodSpecLike {
  nodeName?: string;
  containers?: { name?: string }[];
}

function chooseContainer(pod: StoredObject, requested: string | null): string {
  const name = pod.metadata.name ?? "";
  const containers = ((pod.spec as PodSpecLike | undefined)?.containers ?? []).map((c) => c.name ?? "");
  if (requested) {
    if (!containers.includes(requested)) {
      const init = ((pod.spec as { initContainers?: { name?: string }[] } | undefined)?.initContainers ?? []).map((c) => c.name ?? "");
      const eph = ((pod.spec as { ephemeralContainers?: { name?: string }[] } | undefined)?.ephemeralContainers ?? []).map((c) => c.name ?? "");
      if (!init.includes(requested) && !eph.includes(requested)) {
        throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
      }
    }
    return requested;
  }
  const annotated = pod.metadata.annotations?.["kubectl.kubernetes.io/default-container"];
  if (annotated && containers.includes(annotated)) return annotated;
  if (containers.length === 1) return containers[0]!;
  throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`);
}

/** The node agent URL for a pod subresource request. */
export async function kubeletTarget(
  registry: Registry,
  ctx: RequestContext,
  req: { name: string; subresource: string; query: URLSearchParams },
): Promise<URL> {
  const pods = registry.store("", "pods");
  const nodes = registry.store("", "nodes");
  if (!pods || !nodes) throw errors.serviceUnavailable("pods and nodes are not served: cannot reach a node agent");
  const pod = await pods.get(ctx, req.name);
  const nodeName = (pod.spec as PodSpecLike | undefined)?.nodeName;
  if (!nodeName) {
    throw errors.badRequest(`pod ${req.name} does not have a host assigned: it is not scheduled to a node yet, so ${req.subresource} is not available`);
  }
  const node = await nodes.get({ ...ctx, namespace: undefined, version: "v1" }, nodeName);
  const status = (node.status ?? {}) as {
    addresses?: { type?: string; address?: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
  const addr = status.addresses?.find((a) => a.type === "InternalIP")?.address ?? status.addresses?.find((a) => a.type === "Hostname")?.address;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!addr || !port) throw errors.serviceUnavailable(`node ${nodeName} does not report an InternalIP address and a kubelet port: cannot reach its node agent`);
  const ns = ctx.namespace ?? pod.metadata.namespace ?? "default";
  const query = new URLSearchParams(req.query);
  let path = `/${KUBELET_PATH[req.subresource]}/${encodeURIComponent(ns)}/${encodeURIComponent(req.name)}`;
  if (req.subresource !== "portforward") {
    path += `/${encodeURIComponent(chooseContainer(pod, query.get("container")))}`;
    query.delete("container");
  }
  const host = addr.includes(":") ? `[${addr}]` : addr;
  const qs = query.toString();
  return new URL(`http://${host}:${port}${path}${qs ? "?" + qs : ""}`);
}

const HOP_HEADERS = new Set(["host", "authorization", "proxy-authorization", "impersonate-user", "impersonate-group"]);

function forwardHeaders(req: IncomingMessage, target: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_HEADERS.has(k)) continue;
    out[k] = v;
  }
  out.host = target.host;
  return out;
}

function unreachable(target: URL, err: Error): Status {
  return errors.serviceUnavailable(`error dialing the node agent at ${target.host}: ${err.message}`).status;
}

/** Relays a plain HTTP request (logs, or exec without an upgrade) and streams the answer back. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, target: URL, logger: Logger): void {
  const up = http.request(target, { method: req.method, headers: forwardHeaders(req, target) });
  up.on("response", (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    res.flushHeaders();
    ur.pipe(res);
  });
  up.on("error", (err) => {
    logger.warn("node proxy failed", { target: target.host, err });
    if (!res.headersSent) {
      const s = unreachable(target, err);
      res.writeHead(s.code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(s));
    } else res.destroy();
  });
  res.on("close", () => up.destroy());
  req.pipe(up);
}

/** Relays an upgraded connection (SPDY or WebSocket) as raw bytes in both directions. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, logger: Logger): void {
  const upstream = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ""), port: Number(target.port) });
  let connected = false;
  upstream.on("connect", () => {
    connected = true;
    const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`];
    for (const [k, v] of Object.entries(forwardHeaders(req, target))) {
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    }
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", (err) => {
    logger.warn("node proxy upgrade failed", { target: target.host, err });
    if (!connected) writeSocketStatus(socket, unreachable(target, err));
    else socket.destroy();
  });
  socket.on("error", () => upstream.destroy());
  socket.on("close", () => upstream.destroy());
  upstream.on("close", () => socket.destroy());
}

const REASON: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable" };

/** Answers on a raw socket (an upgrade request that is refused) with a Status and closes it. */
export function writeSocketStatus(socket: Duplex, statusOrErr: Status | unknown): void {
  const s: Status = (statusOrErr as Status)?.kind === "Status" ? (statusOrErr as Status) : toStatusError(statusOrErr).status;
  const body = JSON.stringify(s);
  socket.end(
    `HTTP/1.1 ${s.code} ${REASON[s.code] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

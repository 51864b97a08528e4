// A component's own metrics port (`--metrics-bind-address HOST:PORT`): GET /metrics renders the component's
// registries, /healthz answers ok. Plain HTTP without authentication: bind it to loopback or a trusted network.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { renderMetrics, type MetricsSource } from "./render.js";
import { TEXT_CONTENT_TYPE } from "./text_format.js";

export interface MetricsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Parses "HOST:PORT" ("[::1]:10257" for IPv6); throws naming the bad value. Port 0 picks a free port. */
export function parseBindAddress(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  if (!m || !m[1] || Number(m[2]) > 65535) throw new Error(`invalid bind address ${JSON.stringify(v)}: want HOST:PORT`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

/** The /metrics body and its content type, for servers that have their own routing. */
export function metricsResponse(sources: () => Iterable<MetricsSource>): { contentType: string; body: string } {
  return { contentType: TEXT_CONTENT_TYPE, body: renderMetrics(sources()) };
}

export async function serveMetrics(opts: { host: string; port: number; sources: () => Iterable<MetricsSource> }): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://metrics").pathname;
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { "Content-Type": type });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    if (path === "/healthz") return send(200, "text/plain", "ok");
    if (path !== "/metrics") return send(404, "text/plain", "404 page not found\n");
    try {
      const m = metricsResponse(opts.sources);
      send(200, m.contentType, m.body);
    } catch (err) {
      send(500, "text/plain", `${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

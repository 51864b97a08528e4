// The agent's read-only HTTP endpoints (the kubelet's port 10250 surface that needs no streaming): /healthz,
// /pods (the pods the agent runs), /stats/summary and /metrics/resource (what metrics-server scrapes), /metrics
// (the agent's own kubelet_* and process metrics); with `streaming`, also /containerLogs, /exec, /attach and
// /portForward (streaming/streaming_handler.ts).
// Plain HTTP without authentication for now: bind it to loopback or a trusted network only.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Kubelet } from "./kubelet.js";
import { processMetrics } from "../util/metrics/process_metrics.js";
import { renderMetrics } from "../util/metrics/render.js";
import { TEXT_CONTENT_TYPE } from "../util/metrics/text_format.js";
import { resourceMetrics } from "./stats.js";
import type { StreamingHandler } from "./streaming/streaming_handler.js";

export interface KubeletServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startKubeletServer(kubelet: Kubelet, opts: { host: string; port: number; now?: () => number; streaming?: StreamingHandler }): Promise<KubeletServer> {
  const now = opts.now ?? Date.now;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://kubelet").pathname;
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { "Content-Type": type });
      res.end(body);
    };
    if (opts.streaming?.handles(path)) return opts.streaming.serveHttp(req, res);
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    const answer = async (): Promise<void> => {
      switch (path) {
        case "/healthz":
          return send(200, "text/plain", "ok");
        case "/pods":
          return send(200, "application/json", JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: {}, items: kubelet.pods() }));
        case "/stats/summary":
          return send(200, "application/json", JSON.stringify(await kubelet.statsSummary({ customMetrics: true })));
        case "/metrics":
          return send(200, TEXT_CONTENT_TYPE, renderMetrics([...(await kubelet.scrapeMetrics()), processMetrics(), ...(opts.streaming ? [opts.streaming.metrics] : [])]));
        case "/metrics/resource":
          return send(200, "text/plain; version=0.0.4", resourceMetrics(await kubelet.statsSummary(), now()));
        default:
          return send(404, "text/plain", "404 page not found\n");
      }
    };
    answer().catch((err: unknown) => send(500, "text/plain", `${(err as Error).message}\n`));
  });
  // Upgraded connections leave the server's bookkeeping: close() ends them itself.
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    const path = new URL(req.url ?? "/", "http://kubelet").pathname;
    if (opts.streaming?.handles(path)) return opts.streaming.serveUpgrade(req, socket, head);
    socket.end("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n404 page not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
        server.close(() => resolve());
      }),
  };
}

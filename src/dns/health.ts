// The DNS server's small HTTP side port, as CoreDNS's health/ready/prometheus plugins give it:
// /health answers 200 while the process runs, /ready 200 once the caches are filled and the DNS ports are bound
// (503 before), /metrics the Prometheus text of the counters and the process metrics.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { processMetrics } from "../util/metrics/process_metrics.js";
import { renderMetrics } from "../util/metrics/render.js";
import type { DnsMetrics } from "./metrics.js";
import type { HostPort } from "./types.js";

export interface HealthServerOptions {
  ready(): boolean;
  metrics: DnsMetrics;
}

export class HealthServer {
  private readonly server: http.Server;

  constructor(private readonly opts: HealthServerOptions) {
    this.server = http.createServer((req, res) => this.serve(req, res));
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://dns").pathname;
    const send = (code: number, body: string, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(code, { "Content-Type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    if (path === "/health" || path === "/healthz") return send(200, "OK\n");
    if (path === "/ready" || path === "/readyz") return this.opts.ready() ? send(200, "OK\n") : send(503, "not ready: caches are not filled yet\n");
    // The DNS counters, then the process metrics (families of their own, so the two texts concatenate).
    if (path === "/metrics") return send(200, this.opts.metrics.render() + renderMetrics([processMetrics()]), "text/plain; version=0.0.4; charset=utf-8");
    send(404, "not found\n");
  }

  async listen(at: HostPort): Promise<HostPort> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(at.port, at.host, () => resolve());
    });
    return { host: at.host, port: (this.server.address() as AddressInfo).port };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// kube-proxy's health endpoint: GET /healthz answers 200 while rules were applied recently, 503 otherwise
// (as Kubernetes does: unhealthy once no sync has succeeded for too long, counting from start before the first).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { realClock, type Clock } from "../client/clock.js";

export interface HealthzOptions {
  /** Epoch ms of the last successful sync, undefined before the first. */
  lastSync: () => number | undefined;
  /** How stale the last sync may be before the proxy reports unhealthy. */
  maxAgeMs: number;
  clock?: Clock;
}

export interface HealthzServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The health verdict, separate from HTTP for tests: [status code, body]. */
export function healthVerdict(opts: HealthzOptions, startedAt: number): [number, string] {
  const now = (opts.clock ?? realClock).now();
  const last = opts.lastSync();
  const healthy = last !== undefined ? now - last <= opts.maxAgeMs : now - startedAt <= opts.maxAgeMs;
  const body = JSON.stringify({ lastUpdated: last === undefined ? null : new Date(last).toISOString(), currentTime: new Date(now).toISOString() });
  return [healthy ? 200 : 503, body];
}

export async function startHealthz(host: string, port: number, opts: HealthzOptions): Promise<HealthzServer> {
  const startedAt = (opts.clock ?? realClock).now();
  const server = http.createServer((req, res) => {
    if (req.url !== "/healthz" && req.url !== "/livez") {
      res.writeHead(404).end();
      return;
    }
    const [code, body] = healthVerdict(opts, startedAt);
    res.writeHead(code, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

// The benchmarks' load-generating HTTP/1.1 client: the REST client's keep-alive socket pool
// (src/client/http1_pool.ts), one request in flight per socket, with as many sockets kept open as requests in flight.
// Why not node:http's client: on this 2-core machine it costs ~0.2 ms of CPU per request, so at 200 in flight the
// load generator itself queues and inflates every latency it reports; the pool costs ~0.05-0.1 ms.
import { createHttp1Pool, type Http1Answer, type Http1Pool } from "../src/client/http1_pool.js";

export type RawResponse = Http1Answer;

// No request of a benchmark is given up on: a cluster-wide list on a loaded machine may take many seconds.
const NO_TIMEOUT_MS = 600_000;

/** A pool of keep-alive connections to one server. Callers with at most `maxSockets` requests in flight never wait. */
export class RawHttpClient {
  private readonly pool: Http1Pool;
  private readonly hostHeader: string;

  constructor(baseUrl: string, private readonly maxSockets: number) {
    const u = new URL(baseUrl);
    this.hostHeader = `Host: ${u.host}\r\nAccept: application/json\r\n`;
    this.pool = createHttp1Pool({ host: u.hostname, port: Number(u.port), maxSockets, maxIdle: maxSockets, timeoutMs: NO_TIMEOUT_MS });
  }

  request(method: string, path: string, body?: string, contentType = "application/json"): Promise<RawResponse> {
    return this.pool.request(method, path, body === undefined ? this.hostHeader : `${this.hostHeader}Content-Type: ${contentType}\r\n`, body);
  }

  /** Opens `n` connections (keeping those already open) and makes one request on each, so none opens mid-measure. */
  async warm(n: number, path = "/healthz"): Promise<void> {
    await Promise.all(Array.from({ length: Math.min(n, this.maxSockets) }, () => this.request("GET", path)));
  }

  get sockets(): number {
    return this.pool.sockets;
  }

  close(): void {
    this.pool.close();
  }
}

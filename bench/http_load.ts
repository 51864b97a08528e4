// A load-generating HTTP/1.1 client over node:net: keep-alive sockets, one request in flight per socket, each
// request written in one write, each response parsed by Content-Length or chunked transfer coding.
// Why not node:http's client: on this 2-core machine it costs ~0.2 ms of CPU per request, so at 200 in flight the
// load generator itself queues and inflates every latency it reports; this client costs ~0.05 ms.
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  text: string;
}

type State = "head" | "size" | "data" | "crlf" | "trailer" | "eof";

interface Pending {
  resolve: (r: RawResponse) => void;
  reject: (e: Error) => void;
  /** True once any byte of the response arrived: a request that failed before that may be retried on a new socket. */
  answered: boolean;
  bodyless: boolean;
}

/** One keep-alive connection; requests on it are strictly one at a time. */
class Connection {
  readonly socket: Socket;
  alive = true;
  private pending: Pending | undefined;
  private rest: Buffer = Buffer.alloc(0);
  private state: State = "head";
  private status = 0;
  private chunked = false;
  private remaining = 0;
  private parts: Buffer[] = [];

  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.ready = new Promise<void>((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (c: Buffer) => this.feed(c));
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("close", () => {
      if (this.state === "eof" && this.pending) return this.finish();
      this.fail(new Error("connection closed by the server"));
    });
  }

  send(head: string, body: string | undefined, bodyless: boolean): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      if (!this.alive) return reject(Object.assign(new Error("connection closed"), { retriable: true }));
      this.pending = { resolve, reject, answered: false, bodyless };
      this.socket.write(body === undefined ? head : head + body);
    });
  }

  private fail(e: Error): void {
    this.alive = false;
    const p = this.pending;
    this.pending = undefined;
    if (p) p.reject(Object.assign(e, { retriable: !p.answered }));
  }

  private finish(): void {
    const p = this.pending!;
    this.pending = undefined;
    const text = this.parts.length === 1 ? this.parts[0]!.toString() : Buffer.concat(this.parts).toString();
    this.parts = [];
    this.state = "head";
    p.resolve({ status: this.status, text });
  }

  private feed(chunk: Buffer): void {
    if (this.pending) this.pending.answered = true;
    this.rest = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    for (;;) {
      switch (this.state) {
        case "head": {
          const end = this.rest.indexOf("\r\n\r\n");
          if (end < 0) return;
          this.parseHead(this.rest.toString("latin1", 0, end));
          this.rest = this.rest.subarray(end + 4);
          break;
        }
        case "size": {
          const end = this.rest.indexOf("\r\n");
          if (end < 0) return;
          const n = parseInt(this.rest.toString("latin1", 0, end), 16);
          this.rest = this.rest.subarray(end + 2);
          if (n === 0) this.state = "trailer";
          else {
            this.remaining = n;
            this.state = "data";
          }
          break;
        }
        case "data": {
          // Slices go straight into the body: a 30 MB list is never re-copied while it arrives.
          const take = Math.min(this.remaining, this.rest.length);
          if (take > 0) {
            this.parts.push(this.rest.subarray(0, take));
            this.rest = this.rest.subarray(take);
            this.remaining -= take;
          }
          if (this.remaining > 0) return;
          if (this.chunked) this.state = "crlf";
          else this.finish();
          break;
        }
        case "crlf":
          if (this.rest.length < 2) return;
          this.rest = this.rest.subarray(2);
          this.state = "size";
          break;
        case "trailer": {
          const end = this.rest.indexOf("\r\n");
          if (end < 0) return;
          this.rest = this.rest.subarray(end + 2);
          if (end === 0) this.finish();
          break;
        }
        case "eof":
          this.parts.push(this.rest);
          this.rest = Buffer.alloc(0);
          return;
      }
    }
  }

  private parseHead(head: string): void {
    const lines = head.split("\r\n");
    this.status = Number(lines[0]!.split(" ")[1]);
    let length: number | undefined;
    this.chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-length") length = Number(line.slice(colon + 1));
      else if (name === "transfer-encoding" && /chunked/i.test(line.slice(colon + 1))) this.chunked = true;
    }
    const noBody = this.pending?.bodyless || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200);
    if (noBody || (!this.chunked && length === 0)) {
      this.state = "data";
      this.remaining = 0;
    } else if (this.chunked) this.state = "size";
    else if (length !== undefined) {
      this.state = "data";
      this.remaining = length;
    } else this.state = "eof"; // no length: the body runs to the close
  }
}

/** A pool of keep-alive connections to one server. Callers with at most `maxSockets` requests in flight never wait. */
export class RawHttpClient {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly waiters: Array<(c: Connection) => void> = [];

  constructor(baseUrl: string, private readonly maxSockets: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.hostHeader = u.host;
  }

  async request(method: string, path: string, body?: string, contentType = "application/json"): Promise<RawResponse> {
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nAccept: application/json\r\n`;
    if (body !== undefined) head += `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    head += "\r\n";
    for (let attempt = 0; ; attempt++) {
      const c = await this.acquire();
      try {
        const r = await c.send(head, body, method === "HEAD");
        this.release(c);
        return r;
      } catch (e) {
        this.drop(c);
        // A kept-alive socket the server closed before answering: the request was not handled, send it again.
        if (attempt === 0 && (e as { retriable?: boolean }).retriable) continue;
        throw e;
      }
    }
  }

  /** Opens `n` connections (keeping those already open) and makes one request on each, so none opens mid-measure. */
  async warm(n: number, path = "/healthz"): Promise<void> {
    for (const c of [...this.open]) if (!c.alive) this.drop(c);
    await Promise.all(Array.from({ length: Math.min(n, this.maxSockets) }, () => this.request("GET", path)));
  }

  get sockets(): number {
    return this.open.size;
  }

  close(): void {
    for (const c of this.open) c.socket.destroy();
    this.open.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<Connection> {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (c.alive) return c;
      this.open.delete(c);
    }
    if (this.open.size < this.maxSockets) {
      const c = new Connection(this.host, this.port);
      this.open.add(c);
      try {
        await c.ready;
      } catch (e) {
        this.drop(c);
        throw e;
      }
      return c;
    }
    return new Promise<Connection>((resolve) => this.waiters.push(resolve));
  }

  private release(c: Connection): void {
    if (!c.alive) return this.drop(c);
    const w = this.waiters.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  private drop(c: Connection): void {
    c.alive = false;
    c.socket.destroy();
    this.open.delete(c);
    const w = this.waiters.shift();
    if (w) void this.acquire().then(w, () => this.waiters.unshift(w));
  }
}

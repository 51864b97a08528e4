// A keep-alive HTTP/1.1 client for unary requests to one server: a pool of TCP or TLS sockets, one request
// at a time per socket (no pipelining), responses framed by Content-Length, chunked encoding or connection close.
// It exists because node:http's client costs about four times as much CPU per request (ClientRequest and
// IncomingMessage streams, header objects, the Agent's bookkeeping), and every component talks to the API server
// through it. Watches (long-lived streams) keep node:http.
import net from "node:net";
import tls from "node:tls";
import { Fifo } from "../util/fifo.js";
import { parseResponseHead, type ResponseHead } from "./http1_response.js";

export interface Http1PoolOptions {
  host: string;
  port: number;
  /** Connect with TLS (ca, cert, key, rejectUnauthorized) instead of plain TCP; the server name is `host`. */
  tls?: tls.ConnectionOptions;
  /** Sockets open at once (busy and idle); requests beyond it wait for a free socket. */
  maxSockets?: number;
  /** Idle sockets kept for reuse; a socket freed when this many are idle is closed. */
  maxIdle?: number;
  /** A socket silent this long while a request is outstanding fails it (and is destroyed); idle ones are closed. */
  timeoutMs: number;
}

export interface Http1Answer {
  status: number;
  text: string;
}

export interface Http1Pool {
  /**
   * Sends one request. `headers` are complete header lines ("Name: value\r\n"), Host included; Content-Length is
   * added for a body. Resolves with any status; rejects on network errors, timeouts and malformed answers.
   */
  request(method: string, path: string, headers: string, body?: string): Promise<Http1Answer>;
  /** Sockets open now, busy and idle. */
  readonly sockets: number;
  /** Destroys every socket, idle or busy (as http.Agent.destroy does); outstanding requests reject. */
  close(): void;
}

// client-go keeps 25 idle connections per host and opens as many as requests need; a cap on open sockets bounds
// what one burst (a controller resyncing thousands of objects) costs the server in connections and accepts, and
// queued requests still go out as soon as any answer comes back.
const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_IDLE = 32;
// Idle sockets are dropped this long before the server's advertised keep-alive timeout, so a request is not
// written to a socket the server is closing (the same margin undici uses).
const KEEP_ALIVE_MARGIN_MS = 1000;
// RFC 9110 9.2.2: requests whose repetition has the effect of one. Kubernetes PUTs carry a resourceVersion, so a
// repeat conflicts rather than applying twice.
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const MAX_HEAD_BYTES = 64 * 1024;

interface Exchange {
  method: string;
  path: string;
  wire: string;
  resolve: (a: Http1Answer) => void;
  reject: (e: Error) => void;
  retried: boolean;
}

const enum State {
  Head,
  Sized,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

function hangUp(what: string): Error {
  return Object.assign(new Error(`${what}: socket hang up`), { code: "ECONNRESET" });
}

class Connection {
  readonly socket: net.Socket;
  /** Requests answered on this socket: a failure before any answer byte on a reused socket may be retried. */
  served = 0;
  idleSince = 0;
  keepAliveMs = Infinity;
  current: Exchange | undefined;
  private state = State.Head;
  private gotBytes = false;
  private head: ResponseHead | undefined;
  private leftover: Buffer | undefined;
  private chunks: Buffer[] = [];
  private remaining = 0;
  private dead = false;

  constructor(
    private readonly pool: Pool,
    opts: Http1PoolOptions,
  ) {
    const where = { host: opts.host, port: opts.port, noDelay: true, keepAlive: true };
    if (opts.tls) {
      // SNI carries host names only (RFC 6066 section 3); an IP address is checked against the certificate's IP SANs.
      this.socket = tls.connect({ ...opts.tls, ...where, servername: net.isIP(opts.host) ? undefined : opts.host });
      this.socket.on("data", (b: Buffer) => this.onData(b, b.length));
    } else {
      // Plain TCP reads land in the pool's one read buffer (no stream, no buffer allocated per read): onData copies
      // out whatever it keeps beyond the read.
      this.socket = net.connect({ ...where, onread: { buffer: pool.readBuffer, callback: (n, buf) => (this.onData(buf as Buffer, n), true) } });
    }
    this.socket.setTimeout(opts.timeoutMs);
    this.socket.on("timeout", () => this.fail(this.current ? new Error(`${this.current.method} ${this.current.path}: no answer within ${opts.timeoutMs} ms`) : undefined));
    this.socket.on("error", (e) => this.fail(e));
    // The server ended an idle socket: out of the pool now, before a request is written to it.
    this.socket.on("end", () => this.current || this.destroy());
    this.socket.on("close", () => this.onClose());
  }

  send(ex: Exchange): void {
    this.current = ex;
    this.gotBytes = false;
    this.state = State.Head;
    this.socket.write(ex.wire);
  }

  /** Bytes [0, end) of `buf` arrived. `buf` may be reused by the next read: anything kept is copied. */
  private onData(buf: Buffer, end: number): void {
    const ex = this.current;
    if (!ex) return this.fail(undefined); // unsolicited bytes: the socket is no longer in step with the server
    this.gotBytes = true;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, buf.subarray(0, end)]);
      end = buf.length;
      this.leftover = undefined;
    }
    let pos = 0;
    while (pos < end && this.current === ex) {
      switch (this.state) {
        case State.Head: {
          const stop = buf.indexOf("\r\n\r\n", pos, "latin1");
          if (stop < 0 || stop + 4 > end) return this.keep(buf, pos, end, ex);
          let head: ResponseHead;
          try {
            head = parseResponseHead(buf.toString("latin1", pos, stop));
          } catch (e) {
            return this.fail(new Error(`${ex.method} ${ex.path}: ${(e as Error).message}`));
          }
          pos = stop + 4;
          if (head.status >= 100 && head.status < 200) continue; // interim answer (100 Continue, 103): the real one follows
          this.head = head;
          this.chunks = [];
          if (ex.method === "HEAD" || head.status === 204 || head.status === 304) this.finish(pos < end, "");
          else if (head.chunked) this.state = State.ChunkSize;
          else if (head.contentLength >= 0) {
            this.remaining = head.contentLength;
            this.state = State.Sized;
            if (this.remaining === 0) this.finish(pos < end, "");
          } else this.state = State.UntilClose;
          break;
        }
        case State.Sized:
        case State.ChunkData: {
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          if (this.remaining === 0 && this.state === State.Sized && this.chunks.length === 0) {
            // The whole body is in this read: decoded in place.
            const text = buf.toString("utf8", pos, pos + take);
            pos += take;
            this.finish(pos < end, text);
            break;
          }
          this.chunks.push(Buffer.from(buf.subarray(pos, pos + take)));
          pos += take;
          if (this.remaining === 0) {
            if (this.state === State.Sized) this.finish(pos < end);
            else this.state = State.ChunkEnd;
          }
          break;
        }
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Trailers: {
          const nl = buf.indexOf("\r\n", pos, "latin1");
          if (nl < 0 || nl + 2 > end) return this.keep(buf, pos, end, ex);
          const line = buf.toString("latin1", pos, nl);
          pos = nl + 2;
          if (this.state === State.ChunkEnd) {
            if (line !== "") return this.fail(new Error(`${ex.method} ${ex.path}: malformed chunked body`));
            this.state = State.ChunkSize;
          } else if (this.state === State.Trailers) {
            if (line === "") this.finish(pos < end);
          } else {
            const size = parseInt(line, 16); // chunk extensions after ';' are ignored by parseInt
            if (!/^[0-9a-fA-F]+/.test(line) || !(size >= 0)) return this.fail(new Error(`${ex.method} ${ex.path}: bad chunk size ${JSON.stringify(line.slice(0, 40))}`));
            if (size === 0) this.state = State.Trailers;
            else {
              this.remaining = size;
              this.state = State.ChunkData;
            }
          }
          break;
        }
        case State.UntilClose:
          this.chunks.push(Buffer.from(buf.subarray(pos, end)));
          pos = end;
          break;
      }
    }
  }

  /** Keeps an incomplete line or head for the next read. */
  private keep(buf: Buffer, pos: number, end: number, ex: Exchange): void {
    if (end - pos > MAX_HEAD_BYTES) return this.fail(new Error(`${ex.method} ${ex.path}: response head or chunk line over ${MAX_HEAD_BYTES} bytes`));
    this.leftover = Buffer.from(buf.subarray(pos, end));
  }

  /** The answer is complete. Bytes after it (`trailing`) mean the server is out of step: the socket is not reused. */
  private finish(trailing: boolean, body?: string): void {
    const ex = this.current!;
    const head = this.head!;
    const chunks = this.chunks;
    this.current = undefined;
    this.head = undefined;
    this.chunks = [];
    this.served++;
    const text = body ?? (chunks.length === 1 ? chunks[0]!.toString("utf8") : chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8"));
    if (head.keepAliveMs !== undefined) this.keepAliveMs = head.keepAliveMs;
    if (trailing || head.close || this.state === State.UntilClose) this.destroy();
    else this.pool.release(this);
    ex.resolve({ status: head.status, text });
  }

  /** Closes the socket for good and gives its slot back to the pool (once, whichever path gets here first). */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.pool.forget(this);
  }

  /** Destroys the socket; the outstanding request (if any) fails with `err`, or is retried when that is safe. */
  private fail(err: Error | undefined): void {
    const ex = this.current;
    this.current = undefined;
    this.destroy();
    if (!ex) return;
    if (!this.gotBytes && this.served > 0 && !ex.retried && (notSent(err) || (IDEMPOTENT.has(ex.method) && isClosedByPeer(err)))) {
      ex.retried = true;
      this.pool.retry(ex);
      return;
    }
    ex.reject(err ?? hangUp(`${ex.method} ${ex.path}`));
  }

  private onClose(): void {
    if (this.state === State.UntilClose && this.current) return this.finish(false);
    this.fail(undefined);
  }
}

/** The socket refused the write: nothing reached the server, so any request may go out again. */
function notSent(err: Error | undefined): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ERR_STREAM_DESTROYED" || code === "ERR_STREAM_WRITE_AFTER_END";
}

function isClosedByPeer(err: Error | undefined): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err === undefined || code === "ECONNRESET" || code === "EPIPE";
}

class Pool implements Http1Pool {
  /** Where every plain TCP socket of the pool reads (one read is handled at a time, to the end, on this thread). */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly all = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly waiting = new Fifo<Exchange>();
  private open = 0;
  private closed = false;
  private readonly maxSockets: number;
  private readonly maxIdle: number;

  constructor(private readonly opts: Http1PoolOptions) {
    this.maxSockets = opts.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.maxIdle = Math.min(opts.maxIdle ?? DEFAULT_MAX_IDLE, this.maxSockets);
  }

  get sockets(): number {
    return this.open;
  }

  request(method: string, path: string, headers: string, body?: string): Promise<Http1Answer> {
    if (this.closed) return Promise.reject(new Error(`${method} ${path}: client closed`));
    const wire =
      body === undefined
        ? `${method} ${path} HTTP/1.1\r\n${headers}\r\n`
        : `${method} ${path} HTTP/1.1\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return new Promise<Http1Answer>((resolve, reject) => this.dispatch({ method, path, wire, resolve, reject, retried: false }));
  }

  private dispatch(ex: Exchange): void {
    const now = this.idle.length ? performance.now() : 0;
    let c: Connection | undefined;
    while ((c = this.idle.pop())) {
      // A socket idle past the server's keep-alive window may be closing under us: drop it rather than race.
      if (now - c.idleSince < c.keepAliveMs - KEEP_ALIVE_MARGIN_MS) {
        c.socket.ref();
        return c.send(ex);
      }
      c.destroy();
    }
    if (this.open < this.maxSockets) return this.connect().send(ex);
    this.waiting.push(ex);
  }

  private connect(): Connection {
    this.open++;
    const c = new Connection(this, this.opts);
    this.all.add(c);
    return c;
  }

  /** A retried request goes out on a new socket: the idle ones may be as stale as the one that failed. */
  retry(ex: Exchange): void {
    if (this.closed) return ex.reject(new Error(`${ex.method} ${ex.path}: client closed`));
    this.connect().send(ex);
  }

  release(c: Connection): void {
    const next = this.waiting.shift();
    if (next) return c.send(next);
    if (this.closed || this.idle.length >= this.maxIdle) return c.destroy();
    c.idleSince = performance.now();
    // Idle sockets do not keep the process alive (as with http.Agent): a command exits once its work is done.
    c.socket.unref();
    this.idle.push(c);
  }

  /** A socket that closed or failed: its slot goes to the next waiting request. */
  forget(c: Connection): void {
    this.all.delete(c);
    this.open--;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closed || this.open >= this.maxSockets) return;
    const next = this.waiting.shift();
    if (next) this.connect().send(next);
  }

  close(): void {
    this.closed = true;
    for (const ex of this.waiting.drain()) ex.reject(new Error(`${ex.method} ${ex.path}: client closed`));
    for (const c of [...this.all]) c.destroy();
  }
}

export function createHttp1Pool(opts: Http1PoolOptions): Http1Pool {
  return new Pool(opts);
}

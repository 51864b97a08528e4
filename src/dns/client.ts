// A small DNS client: one query to one server over UDP (falling back to TCP when the answer comes back truncated)
// or TCP. Used by the forwarder to reach upstream servers and by tests to look at whole responses.
import dgram from "node:dgram";
import net from "node:net";
import { decodeMessage } from "./decode.js";
import { encodeMessage } from "./encode.js";
import type { Message } from "./message.js";
import type { HostPort, Protocol } from "./types.js";

/** Long enough for a loaded upstream, short enough that the client's own retry (often 5 s) is not wasted. */
const DEFAULT_TIMEOUT_MS = 2000;

export interface QueryOptions {
  protocol?: Protocol;
  timeoutMs?: number;
  /** UDP only: attempts before giving up (default 2). */
  attempts?: number;
  /** UDP only: return a truncated answer as it is instead of asking again over TCP. */
  noTcpFallback?: boolean;
  signal?: AbortSignal;
}

export class DnsTimeoutError extends Error {
  constructor(server: HostPort, protocol: Protocol, ms: number) {
    super(`dns query to ${server.host}:${server.port} over ${protocol} timed out after ${ms} ms`);
    this.name = "DnsTimeoutError";
  }
}

/** Sends the query and resolves with the decoded response whose id matches; raw bytes too, for forwarding. */
export async function exchange(server: HostPort, query: Message, opts: QueryOptions = {}): Promise<{ message: Message; wire: Buffer }> {
  const wire = encodeMessage(query);
  if (opts.protocol === "tcp") return exchangeTcp(server, wire, opts);
  const attempts = opts.attempts ?? 2;
  for (let i = 1; ; i++) {
    try {
      const res = await exchangeUdp(server, wire, opts);
      if (res.message.header.truncated && !opts.noTcpFallback) return exchangeTcp(server, wire, opts);
      return res;
    } catch (err) {
      if (!(err instanceof DnsTimeoutError) || i >= attempts) throw err;
    }
  }
}

export async function query(server: HostPort, q: Message, opts: QueryOptions = {}): Promise<Message> {
  return (await exchange(server, q, opts)).message;
}

function exchangeUdp(server: HostPort, wire: Buffer, opts: QueryOptions): Promise<{ message: Message; wire: Buffer }> {
  const ms = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const id = wire.readUInt16BE(0);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? "udp6" : "udp4");
    const done = (err: Error | undefined, value?: { message: Message; wire: Buffer }): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = (): void => done(new Error("dns query aborted"));
    const timer = setTimeout(() => done(new DnsTimeoutError(server, "udp", ms)), ms);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    sock.on("error", (err) => done(err));
    sock.on("message", (buf, rinfo) => {
      // Only the server we asked, answering our id, counts (anything else may be spoofed or stale).
      if (rinfo.port !== server.port || buf.length < 12 || buf.readUInt16BE(0) !== id) return;
      try {
        done(undefined, { message: decodeMessage(buf), wire: buf });
      } catch (err) {
        done(err as Error);
      }
    });
    sock.send(wire, server.port, server.host);
  });
}

function exchangeTcp(server: HostPort, wire: Buffer, opts: QueryOptions): Promise<{ message: Message; wire: Buffer }> {
  const ms = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let pending = Buffer.alloc(0);
    let finished = false;
    const done = (err: Error | undefined, value?: { message: Message; wire: Buffer }): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = (): void => done(new Error("dns query aborted"));
    const timer = setTimeout(() => done(new DnsTimeoutError(server, "tcp", ms)), ms);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    sock.on("error", (err) => done(err));
    sock.on("close", () => done(new Error(`dns server ${server.host}:${server.port} closed the TCP connection without answering`)));
    sock.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      const buf = Buffer.from(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      try {
        done(undefined, { message: decodeMessage(buf), wire: buf });
      } catch (err) {
        done(err as Error);
      }
    });
    const frame = Buffer.alloc(2 + wire.length);
    frame.writeUInt16BE(wire.length, 0);
    wire.copy(frame, 2);
    sock.write(frame);
  });
}

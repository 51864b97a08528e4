// The seams of the DNS server: a Handler answers one decoded query; the server owns sockets, framing, EDNS0
// sizes and truncation, so handlers never think about transports.
import type { Message } from "./message.js";

export type Protocol = "udp" | "tcp";

export interface QueryContext {
  protocol: Protocol;
  remoteAddress: string;
  remotePort: number;
}

export interface Handler {
  /**
   * Answers a query with a complete response (use replyTo(query)). May reject: the server then answers SERVFAIL.
   * The response's EDNS record and TC flag are the server's business and are overwritten.
   */
  handle(query: Message, ctx: QueryContext): Promise<Message>;
}

/** host:port of a DNS server; host may be an IPv6 literal. */
export interface HostPort {
  host: string;
  port: number;
}

/** "127.0.0.1:53", "[::1]:5353", or "10.0.0.1" (port 53 by default). */
export function parseHostPort(text: string, defaultPort = 53): HostPort {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const m = v6 ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`invalid address ${JSON.stringify(text)}: expected HOST:PORT`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in ${JSON.stringify(text)}`);
  return { host: m[1]!, port };
}

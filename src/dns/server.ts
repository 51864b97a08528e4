// A DNS server on UDP and TCP at the same address. UDP answers are limited to 512 bytes, or to the client's EDNS0
// payload size capped by ours, and are truncated (TC) beyond it; the client then asks again over TCP, where each
// message is framed by a 2-byte length (RFC 1035 4.2.2, RFC 7766) and several queries may share one connection.
import dgram from "node:dgram";
import net from "node:net";
import { decodeMessage, DnsFormatError } from "./decode.js";
import { encodeMessage } from "./encode.js";
import { emptyHeader, Opcode, Rcode, replyTo, type Message } from "./message.js";
import type { DnsMetrics } from "./metrics.js";
import type { Handler, HostPort, Protocol, QueryContext } from "./types.js";
import { silentLogger, type Logger } from "../util/log.js";

/** Plain DNS over UDP without EDNS0 (RFC 1035 2.3.4). */
const CLASSIC_UDP_SIZE = 512;
/** What we advertise and accept at most over UDP: the DNS flag day 2020 size, which avoids IP fragmentation. */
const DEFAULT_UDP_PAYLOAD = 1232;
/** An idle TCP connection is closed after this long (RFC 7766 suggests seconds, not minutes). */
const DEFAULT_TCP_IDLE_MS = 10_000;
const BADVERS = 16;

export interface DnsServerOptions {
  handler: Handler;
  metrics?: DnsMetrics;
  log?: Logger;
  udpPayloadSize?: number;
  tcpIdleMs?: number;
}

export class DnsServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  private readonly log: Logger;
  private address_?: HostPort;

  constructor(private readonly opts: DnsServerOptions) {
    this.log = opts.log ?? silentLogger;
  }

  /** Binds UDP and TCP to host:port; port 0 picks a free port that both share. */
  async listen(at: HostPort): Promise<HostPort> {
    const type = net.isIPv6(at.host) ? "udp6" : "udp4";
    // Port 0: take a free TCP port and bind UDP to the same number, retrying if UDP's is taken.
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer((s) => this.onConnection(s));
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(at.port, at.host, () => resolve());
      });
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket(type);
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once("error", reject);
          udp.bind(port, at.host, () => resolve());
        });
      } catch (err) {
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        if (at.port !== 0 || attempt >= 10) throw err;
        continue;
      }
      udp.on("message", (buf, rinfo) => void this.onDatagram(buf, rinfo));
      udp.on("error", (err) => this.log.error("dns udp socket failed", { err }));
      tcp.on("error", (err) => this.log.error("dns tcp listener failed", { err }));
      this.udp = udp;
      this.tcp = tcp;
      this.address_ = { host: at.host, port };
      return this.address_;
    }
  }

  address(): HostPort | undefined {
    return this.address_;
  }

  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  /** Decodes, answers and encodes one message; undefined when there is nothing sensible to send back. */
  async answer(buf: Buffer, ctx: QueryContext): Promise<Buffer | undefined> {
    const started = performance.now();
    let query: Message;
    try {
      query = decodeMessage(buf);
    } catch (err) {
      if (!(err instanceof DnsFormatError) || buf.length < 2) return undefined;
      // Answer FORMERR with the id we could read, so the client stops waiting.
      return encodeMessage({ header: { ...emptyHeader(buf.readUInt16BE(0)), response: true, rcode: Rcode.FORMERR }, questions: [], answers: [], authorities: [], additionals: [] });
    }
    if (query.header.response) return undefined;
    const payload = this.opts.udpPayloadSize ?? DEFAULT_UDP_PAYLOAD;
    let res: Message;
    if (query.header.opcode !== Opcode.QUERY) res = replyTo(query, Rcode.NOTIMP);
    else if (query.questions.length !== 1) res = replyTo(query, Rcode.FORMERR);
    else if (query.edns && query.edns.version > 0) res = replyTo(query, BADVERS);
    else {
      try {
        res = await this.opts.handler.handle(query, ctx);
      } catch (err) {
        this.log.warn("dns query failed", { name: query.questions[0]!.name, type: query.questions[0]!.type, err });
        res = replyTo(query, Rcode.SERVFAIL);
      }
    }
    res.header.truncated = false;
    res.edns = query.edns ? { udpPayloadSize: payload, extendedRcode: 0, version: 0, dnssecOk: query.edns.dnssecOk, options: [] } : undefined;
    const maxSize = ctx.protocol === "udp" ? (query.edns ? Math.max(CLASSIC_UDP_SIZE, Math.min(query.edns.udpPayloadSize, payload)) : CLASSIC_UDP_SIZE) : 0xffff;
    let out: Buffer;
    try {
      out = encodeMessage(res, { maxSize });
    } catch (err) {
      this.log.error("dns answer cannot be encoded", { name: query.questions[0]?.name, err });
      out = encodeMessage({ ...replyTo(query, Rcode.SERVFAIL), edns: res.edns });
    }
    const truncated = (out[2]! & 0x02) !== 0;
    this.opts.metrics?.observe({
      protocol: ctx.protocol,
      type: query.questions[0]?.type ?? 0,
      rcode: res.header.rcode,
      seconds: (performance.now() - started) / 1000,
      truncated,
    });
    return out;
  }

  private async onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const udp = this.udp;
    const out = await this.answer(buf, this.ctx("udp", rinfo.address, rinfo.port));
    if (out && udp === this.udp) udp?.send(out, rinfo.port, rinfo.address);
  }

  private ctx(protocol: Protocol, remoteAddress: string, remotePort: number): QueryContext {
    return { protocol, remoteAddress, remotePort };
  }

  private onConnection(sock: net.Socket): void {
    this.conns.add(sock);
    sock.setTimeout(this.opts.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS, () => sock.destroy());
    sock.on("close", () => this.conns.delete(sock));
    sock.on("error", () => sock.destroy());
    let pending = Buffer.alloc(0);
    sock.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.answer(Buffer.from(msg), this.ctx("tcp", sock.remoteAddress ?? "", sock.remotePort ?? 0)).then((out) => {
          if (!out || sock.destroyed) return;
          const frame = Buffer.alloc(2 + out.length);
          frame.writeUInt16BE(out.length, 0);
          out.copy(frame, 2);
          sock.write(frame);
        });
      }
    });
  }
}

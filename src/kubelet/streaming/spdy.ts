// The client half of SPDY/3.1 that remotecommand needs against the runtime's streaming server: the HTTP upgrade
// (Upgrade: SPDY/3.1, X-Stream-Protocol-Version), client streams opened with SYN_STREAM carrying a header block,
// data frames both ways with FIN for a half-close, RST_STREAM, PING echo and GOAWAY.
//
// Wire facts (SPDY/3 draft): every frame has an 8-byte header. A control frame starts with bit 1, a 15-bit version
// (3) and a 16-bit type, then 8 bits of flags and a 24-bit payload length; a data frame starts with bit 0 and a
// 31-bit stream id, then flags (FIN = 1) and a 24-bit length. Header blocks are one zlib stream per direction for
// the whole connection (the peer's reader is created once, with the SPDY dictionary). This side writes its blocks as
// uncompressed "stored" deflate blocks: a valid zlib stream that the peer's reader accepts without needing the
// dictionary (no FDICT flag), each block followed by the empty stored block a sync flush writes (Go's inflater
// releases decoded bytes only at such a marker), so every frame's payload is consumed exactly. This side
// never needs the peer's headers (remotecommand replies carry none of interest), so it does not inflate them.
// The peer (Go's spdystream) does no flow control, so WINDOW_UPDATE and SETTINGS are ignored and never sent.
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";

const VERSION = 3;
const TYPE = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes. */
export const RST = { PROTOCOL_ERROR: 1, CANCEL: 5, INTERNAL_ERROR: 6 } as const;
/** Largest data frame this side writes (the format allows 2^24-1). */
const MAX_DATA = 32 * 1024;

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(payload.length, 4);
  h[4] = flags;
  return Buffer.concat([h, payload]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(data.length, 4);
  h[4] = flags;
  return Buffer.concat([h, data]);
}

/** A SPDY/3 name/value block before compression: count, then length-prefixed lowercase names and values. */
export function encodeHeaderPairs(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** One direction's header compressor: a zlib stream of stored (uncompressed) deflate blocks. */
export class StoredZlibWriter {
  private started = false;

  block(data: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no preset dictionary, (0x7801 % 31 == 0).
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    let off = 0;
    do {
      const chunk = data.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      h[0] = 0x00; // BFINAL 0, BTYPE 00 (stored); the rest of the byte is padding
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(h, chunk);
      off += chunk.length;
    } while (off < data.length);
    // An empty stored block, as a sync flush ends with: Go's inflater hands out what it has decoded only there.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

export interface ParsedFrame {
  control: boolean;
  /** Control frames. */
  type?: number;
  /** Data frames; control frames that name a stream carry it in the payload. */
  streamId?: number;
  flags: number;
  payload: Buffer;
}

/** Splits a byte stream into frames; returns the frames and the unconsumed rest. */
export function parseFrames(buf: Buffer): { frames: ParsedFrame[]; rest: Buffer } {
  const frames: ParsedFrame[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const len = buf.readUInt32BE(off + 4) & 0xffffff;
    if (buf.length - off < 8 + len) break;
    const flags = buf[off + 4]!;
    const payload = buf.subarray(off + 8, off + 8 + len);
    if (buf[off]! & 0x80) frames.push({ control: true, type: buf.readUInt16BE(off + 2), flags, payload });
    else frames.push({ control: false, streamId: buf.readUInt32BE(off) & 0x7fffffff, flags, payload });
    off += 8 + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** One client-initiated stream. Events: "data" (Buffer), "end" (the peer half-closed), "reset" (RST_STREAM). */
export class SpdyStream extends EventEmitter {
  private localClosed = false;
  remoteClosed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Record<string, string>,
  ) {
    super();
  }

  /** Writes data; false when the connection's buffer is full (wait for the session's "drain"). */
  write(data: Buffer): boolean {
    if (this.localClosed) return true;
    let ok = true;
    for (let off = 0; off < data.length; off += MAX_DATA) ok = this.session.send(dataFrame(this.id, 0, data.subarray(off, off + MAX_DATA))) && ok;
    return ok;
  }

  /** Half-closes this side (an empty data frame with FIN). */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
  }

  /** Aborts the stream in both directions. */
  reset(status: number = RST.CANCEL): void {
    this.localClosed = true;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.id, 0);
    p.writeUInt32BE(status, 4);
    this.session.send(controlFrame(TYPE.RST_STREAM, 0, p));
  }

  /** @internal */
  markLocalClosed(): void {
    this.localClosed = true;
  }
}

/**
 * A SPDY client session over an upgraded connection. Events: "close" (the connection ended), "goaway",
 * "drain" (the connection can take more after a write returned false).
 */
export class SpdySession extends EventEmitter {
  private nextId = 1;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly compressor = new StoredZlibWriter();
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    initial: Buffer = Buffer.alloc(0),
  ) {
    super();
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.emit("drain"));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClose());
    if (initial.length) this.onData(initial);
  }

  /** Opens a stream with the given headers (SYN_STREAM); fin opens it already half-closed on this side. */
  openStream(headers: Record<string, string>, opts: { fin?: boolean } = {}): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const block = this.compressor.block(encodeHeaderPairs(headers));
    const p = Buffer.alloc(10);
    p.writeUInt32BE(id, 0);
    p.writeUInt32BE(0, 4); // no associated stream
    p[8] = 0; // priority 0 (highest), slot 0
    this.send(controlFrame(TYPE.SYN_STREAM, opts.fin ? FLAG_FIN : 0, Buffer.concat([p, block])));
    if (opts.fin) stream.markLocalClosed();
    return stream;
  }

  /** @internal */
  send(frame: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(frame);
  }

  /** Pauses or resumes reading from the connection (backpressure from whoever consumes the streams' data). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Ends the session: GOAWAY, then the connection. */
  close(): void {
    if (this.closed) return;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(0, 0);
    p.writeUInt32BE(0, 4);
    this.send(controlFrame(TYPE.GOAWAY, 0, p));
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const { frames, rest } = parseFrames(this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk);
    this.pending = Buffer.from(rest);
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: ParsedFrame): void {
    if (!f.control) {
      const s = this.streams.get(f.streamId!);
      if (!s) return;
      if (f.payload.length) s.emit("data", Buffer.from(f.payload));
      if (f.flags & FLAG_FIN) this.remoteFinish(s);
      return;
    }
    switch (f.type) {
      case TYPE.SYN_REPLY:
      case TYPE.HEADERS: {
        const s = this.streams.get(f.payload.readUInt32BE(0) & 0x7fffffff);
        if (s && f.flags & FLAG_FIN) this.remoteFinish(s);
        return;
      }
      case TYPE.RST_STREAM: {
        const s = this.streams.get(f.payload.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        this.streams.delete(s.id);
        s.markLocalClosed();
        s.emit("reset", f.payload.readUInt32BE(4));
        if (!s.remoteClosed) this.remoteFinish(s);
        return;
      }
      case TYPE.PING:
        // Pings the peer starts have even ids (ours would be odd): echo them unchanged.
        if ((f.payload.readUInt32BE(0) & 1) === 0) this.send(controlFrame(TYPE.PING, 0, Buffer.from(f.payload)));
        return;
      case TYPE.GOAWAY:
        this.emit("goaway");
        return;
      case TYPE.SYN_STREAM: {
        // The remotecommand and portforward servers never open streams toward the client: refuse.
        const id = f.payload.readUInt32BE(0) & 0x7fffffff;
        const p = Buffer.alloc(8);
        p.writeUInt32BE(id, 0);
        p.writeUInt32BE(RST.PROTOCOL_ERROR, 4);
        this.send(controlFrame(TYPE.RST_STREAM, 0, p));
        return;
      }
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP: nothing to do
    }
  }

  private remoteFinish(s: SpdyStream): void {
    if (s.remoteClosed) return;
    s.remoteClosed = true;
    s.emit("end");
  }

  private onClose(): void {
    this.closed = true;
    for (const s of this.streams.values()) this.remoteFinish(s);
    this.streams.clear();
    this.emit("close");
  }
}

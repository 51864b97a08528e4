// Message -> wire bytes (RFC 1035 4.1), compressing owner names and the names inside NS/CNAME/PTR/SOA/MX data
// (RFC 1035 4.1.4). SRV targets are written whole: RFC 2782 forbids compressing them. With a size limit (UDP),
// records that do not fit are left out: a missing answer or authority record sets TC so the client retries over
// TCP; dropped additional records do not (RFC 2181 9). The OPT record always fits: its room is reserved first.
import { ipv4Bytes, ipv6Bytes } from "./ip.js";
import { RRType, type Edns, type Message, type Question, type RData, type ResourceRecord } from "./message.js";

const MAX_LABEL = 63;
const MAX_NAME = 255;
/** Compression pointers have 14 bits of offset. */
const MAX_POINTER = 0x3fff;

class Writer {
  private buf = Buffer.alloc(512);
  length = 0;
  /** Name suffix (as written, case kept) -> offset where it starts. */
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length++);
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.length);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  name(name: string, compress: boolean): void {
    const labels = name === "" ? [] : name.split(".");
    let total = 1;
    for (const l of labels) {
      // latin1, as the decoder reads labels: every byte value survives a round trip.
      const len = Buffer.byteLength(l, "latin1");
      if (len === 0 || len > MAX_LABEL) throw new Error(`dns encode: label ${JSON.stringify(l)} of ${JSON.stringify(name)} must be 1-63 bytes`);
      total += len + 1;
    }
    if (total > MAX_NAME) throw new Error(`dns encode: name ${JSON.stringify(name)} is longer than 255 bytes`);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".");
      const at = this.names.get(suffix);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length <= MAX_POINTER && !this.names.has(suffix)) this.names.set(suffix, this.length);
      const b = Buffer.from(labels[i]!, "latin1");
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }

  /** Forgets everything written from offset on, compression targets included. */
  rollback(offset: number): void {
    this.length = offset;
    for (const [k, at] of this.names) if (at >= offset) this.names.delete(k);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function writeData(w: Writer, d: RData): void {
  if ("raw" in d) return w.bytes(d.raw);
  switch (d.type) {
    case RRType.A:
    case RRType.AAAA:
      if ("address" in d) w.bytes(d.type === RRType.A ? ipv4Bytes(d.address) : ipv6Bytes(d.address));
      return;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      if ("target" in d) w.name(d.target, true);
      return;
    case RRType.SOA:
      if ("mname" in d) {
        w.name(d.mname, true);
        w.name(d.rname, true);
        for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
      }
      return;
    case RRType.SRV:
      if ("port" in d) {
        w.u16(d.priority);
        w.u16(d.weight);
        w.u16(d.port);
        w.name(d.target, false);
      }
      return;
    case RRType.MX:
      if ("exchange" in d) {
        w.u16(d.preference);
        w.name(d.exchange, true);
      }
      return;
    case RRType.TXT:
      if ("texts" in d)
        for (const t of d.texts) {
          const b = Buffer.from(t);
          if (b.length > 255) throw new Error("dns encode: a TXT string is longer than 255 bytes");
          w.u8(b.length);
          w.bytes(b);
        }
      return;
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(rr.data.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.length;
  w.u16(0);
  writeData(w, rr.data);
  w.setU16(lenAt, w.length - lenAt - 2);
}

function writeOpt(w: Writer, e: Edns, rcode: number): void {
  w.u8(0); // root owner name
  w.u16(RRType.OPT);
  w.u16(e.udpPayloadSize);
  // TTL field: extended rcode (upper 8 bits of the 12-bit rcode), version, DO bit.
  w.u8(((rcode >> 4) & 0xff) | e.extendedRcode);
  w.u8(e.version);
  w.u16(e.dnssecOk ? 0x8000 : 0);
  w.u16(e.options.reduce((n, o) => n + 4 + o.data.length, 0));
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

function optSize(e: Edns | undefined): number {
  return e ? 11 + e.options.reduce((n, o) => n + 4 + o.data.length, 0) : 0;
}

function writeQuestion(w: Writer, q: Question): void {
  w.name(q.name, true);
  w.u16(q.type);
  w.u16(q.class);
}

export interface EncodeOptions {
  /** Largest message allowed (UDP); records beyond it are dropped as the file comment says. */
  maxSize?: number;
}

/** Encodes a message; the TC flag in the result reflects any truncation done here. */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Buffer {
  const w = new Writer();
  const h = msg.header;
  const limit = (opts.maxSize ?? Infinity) - optSize(msg.edns);
  w.u16(h.id);
  w.u16(0); // flags, written last: TC may change
  for (let i = 0; i < 4; i++) w.u16(0); // counts, written last
  for (const q of msg.questions) writeQuestion(w, q);
  let truncated = h.truncated;
  const counts = [msg.questions.length, 0, 0, 0];
  const sections: Array<[ResourceRecord[], number, boolean]> = [
    [msg.answers, 1, true],
    [msg.authorities, 2, true],
    [msg.additionals, 3, false],
  ];
  outer: for (const [records, idx, setsTc] of sections) {
    for (const rr of records) {
      const before = w.length;
      writeRecord(w, rr);
      if (w.length > limit) {
        w.rollback(before);
        if (setsTc) truncated = true;
        break outer;
      }
      counts[idx]!++;
    }
  }
  if (msg.edns) {
    writeOpt(w, msg.edns, h.rcode);
    counts[3]!++;
  }
  const flags =
    (h.response ? 0x8000 : 0) |
    ((h.opcode & 0xf) << 11) |
    (h.authoritative ? 0x0400 : 0) |
    (truncated ? 0x0200 : 0) |
    (h.recursionDesired ? 0x0100 : 0) |
    (h.recursionAvailable ? 0x0080 : 0) |
    (h.authenticData ? 0x0020 : 0) |
    (h.checkingDisabled ? 0x0010 : 0) |
    (h.rcode & 0xf);
  w.setU16(2, flags);
  counts.forEach((c, i) => w.setU16(4 + i * 2, c));
  return w.result();
}

// Wire bytes -> Message (RFC 1035 4.1), following compression pointers anywhere a name may stand (only backwards,
// so a malicious loop ends). The OPT pseudo-record becomes msg.edns and its extended rcode joins header.rcode.
// Malformed input throws a DnsFormatError, which a server answers with FORMERR.
import { formatIpv6 } from "./ip.js";
import { RRType, type Edns, type Header, type Message, type Question, type RData, type ResourceRecord } from "./message.js";

export class DnsFormatError extends Error {
  constructor(message: string) {
    super(`dns decode: ${message}`);
    this.name = "DnsFormatError";
  }
}

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError(`message ends early at byte ${this.offset} (need ${n} more)`);
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = Uint8Array.from(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return b;
  }

  name(): string {
    const labels: string[] = [];
    let pos = this.offset;
    let jumped = false;
    let length = 1;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsFormatError(`name runs past the end at byte ${pos}`);
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsFormatError(`compression pointer cut off at byte ${pos}`);
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        // Pointers must point backwards, so following them always terminates.
        if (target >= pos) throw new DnsFormatError(`compression pointer at byte ${pos} does not point backwards`);
        if (!jumped) this.offset = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)} at byte ${pos}`);
      if (len === 0) {
        if (!jumped) this.offset = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new DnsFormatError(`label runs past the end at byte ${pos}`);
      length += len + 1;
      if (length > 255) throw new DnsFormatError("name is longer than 255 bytes");
      labels.push(this.buf.toString("latin1", pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    return labels.join(".");
  }
}

function readData(r: Reader, type: number, length: number): RData {
  const end = r.offset + length;
  r.need(length);
  let d: RData;
  switch (type) {
    case RRType.A:
      if (length !== 4) throw new DnsFormatError(`A record data is ${length} bytes, not 4`);
      d = { type, address: Array.from(r.bytes(4)).join(".") };
      break;
    case RRType.AAAA:
      if (length !== 16) throw new DnsFormatError(`AAAA record data is ${length} bytes, not 16`);
      d = { type, address: formatIpv6(r.bytes(16)) };
      break;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      d = { type, target: r.name() };
      break;
    case RRType.SOA:
      d = { type, mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    case RRType.SRV:
      d = { type, priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case RRType.MX:
      d = { type, preference: r.u16(), exchange: r.name() };
      break;
    case RRType.TXT: {
      const texts: string[] = [];
      while (r.offset < end) texts.push(Buffer.from(r.bytes(r.u8())).toString("utf8"));
      d = { type, texts };
      break;
    }
    default:
      d = { type, raw: r.bytes(length) };
  }
  if (r.offset !== end) throw new DnsFormatError(`${type} record data length ${length} does not match its content`);
  return d;
}

function readQuestion(r: Reader): Question {
  return { name: r.name(), type: r.u16(), class: r.u16() };
}

export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const [qd, an, ns, ar] = [r.u16(), r.u16(), r.u16(), r.u16()];
  const header: Header = {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
  };
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) questions.push(readQuestion(r));
  const section = (n: number): Array<ResourceRecord | Edns> => {
    const out: Array<ResourceRecord | Edns> = [];
    for (let i = 0; i < n; i++) {
      const name = r.name();
      const type = r.u16();
      const cls = r.u16();
      const ttl = r.u32();
      const len = r.u16();
      if (type === RRType.OPT) {
        const end = r.offset + len;
        r.need(len);
        const options: Edns["options"] = [];
        while (r.offset < end) {
          const code = r.u16();
          options.push({ code, data: r.bytes(r.u16()) });
        }
        out.push({ udpPayloadSize: cls, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options });
      } else out.push({ name, class: cls, ttl, data: readData(r, type, len) });
    }
    return out;
  };
  const isRecord = (x: ResourceRecord | Edns): x is ResourceRecord => "data" in x;
  const answers = section(an).filter(isRecord);
  const authorities = section(ns).filter(isRecord);
  const extra = section(ar);
  const opts = extra.filter((x): x is Edns => !isRecord(x));
  if (opts.length > 1) throw new DnsFormatError("more than one OPT record");
  const edns = opts[0];
  if (edns) {
    header.rcode |= edns.extendedRcode << 4;
    edns.extendedRcode = 0;
  }
  return { header, questions, answers, authorities, additionals: extra.filter(isRecord), edns };
}

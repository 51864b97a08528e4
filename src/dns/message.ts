// DNS messages as plain data (RFC 1035 section 4): a header, questions and three record sections. Names are
// dotted strings without the trailing dot ("" is the root); comparison is the caller's, case-insensitively.
// Record data is typed for the kinds cluster DNS serves; anything else travels as raw bytes.

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

export const Opcode = { QUERY: 0 } as const;

/** The type's mnemonic ("A", "SRV") or "TYPE<n>" as RFC 3597 writes unknown types. */
export function typeName(type: number): string {
  for (const [k, v] of Object.entries(RRType)) if (v === type) return k;
  return `TYPE${type}`;
}

export function rcodeName(rcode: number): string {
  for (const [k, v] of Object.entries(Rcode)) if (v === rcode) return k;
  return `RCODE${rcode}`;
}

export interface Header {
  id: number;
  /** QR: true in responses. */
  response: boolean;
  opcode: number;
  /** AA */
  authoritative: boolean;
  /** TC */
  truncated: boolean;
  /** RD */
  recursionDesired: boolean;
  /** RA */
  recursionAvailable: boolean;
  /** AD and CD are carried through unchanged. */
  authenticData: boolean;
  checkingDisabled: boolean;
  /** The low 4 bits; with EDNS0 the OPT record carries the upper 8. */
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** Record data: the typed forms below, or raw bytes for other types. */
export type RData =
  | { type: typeof RRType.A | typeof RRType.AAAA; address: string }
  | { type: typeof RRType.NS | typeof RRType.CNAME | typeof RRType.PTR; target: string }
  | ({ type: typeof RRType.SOA } & SoaData)
  | ({ type: typeof RRType.SRV } & SrvData)
  | { type: typeof RRType.MX; preference: number; exchange: string }
  | { type: typeof RRType.TXT; texts: string[] }
  | { type: number; raw: Uint8Array };

export interface ResourceRecord {
  name: string;
  class: number;
  ttl: number;
  data: RData;
}

/** EDNS0 (RFC 6891), kept out of the additional section: the OPT pseudo-record is encoded from this. */
export interface Edns {
  udpPayloadSize: number;
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  options: Array<{ code: number; data: Uint8Array }>;
}

export interface Message {
  header: Header;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export function emptyHeader(id = 0): Header {
  return {
    id,
    response: false,
    opcode: Opcode.QUERY,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    authenticData: false,
    checkingDisabled: false,
    rcode: Rcode.NOERROR,
  };
}

/** A standard query for one name and type, with recursion desired as stub resolvers send it. */
export function newQuery(name: string, type: number, opts: { id?: number; edns?: number } = {}): Message {
  return {
    header: { ...emptyHeader(opts.id ?? Math.floor(Math.random() * 0x10000)), recursionDesired: true },
    questions: [{ name: trimDot(name), type, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: opts.edns ? { udpPayloadSize: opts.edns, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } : undefined,
  };
}

/** The response skeleton to a query: same id, opcode, RD and CD, and the question echoed as asked. */
export function replyTo(query: Message, rcode: number = Rcode.NOERROR): Message {
  return {
    header: {
      ...emptyHeader(query.header.id),
      response: true,
      opcode: query.header.opcode,
      recursionDesired: query.header.recursionDesired,
      checkingDisabled: query.header.checkingDisabled,
      rcode,
    },
    questions: query.questions.map((q) => ({ ...q })),
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** "Foo.Example." -> "Foo.Example": names are kept without the root dot. */
export function trimDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

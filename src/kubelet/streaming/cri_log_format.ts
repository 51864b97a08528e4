// The CRI container log format and what `kubectl logs` options do with it. Each file line is
// `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <message>`: F ends a logical line, P is a piece of a longer one
// (the runtime splits long lines), so pieces are joined before tailing, filtering and printing.

export interface LogOptions {
  /** Only the last N logical lines (before following). */
  tailLines?: number;
  /** Only lines written at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Prefix every line with its timestamp. */
  timestamps?: boolean;
  follow?: boolean;
}

/** One logical line: its first piece's timestamp and the joined message with its newline. */
export interface LogLine {
  /** The timestamp as written, fractional seconds padded to nanoseconds ("2006-01-02T15:04:05.000000000Z07:00"). */
  timestamp: string;
  ms: number;
  stream: "stdout" | "stderr";
  message: Buffer;
}

interface Piece {
  timestamp: string;
  stream: "stdout" | "stderr";
  full: boolean;
  message: Buffer;
}

const SPACE = 0x20;

/** Pads the fraction to nine digits as the kubelet prints timestamps; input must be RFC 3339. */
export function fixedNanos(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0").slice(0, 9)}${m[3]}`;
}

/** Parses one file line (without its newline); undefined for lines that are not CRI log lines. */
export function parseCriLine(line: Buffer): Piece | undefined {
  const a = line.indexOf(SPACE);
  const b = a < 0 ? -1 : line.indexOf(SPACE, a + 1);
  if (b < 0) return undefined;
  const c = line.indexOf(SPACE, b + 1);
  const stream = line.subarray(a + 1, b).toString();
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  // A tag field may carry more than F/P in future formats (colon separated); the first tag is the one that matters.
  const tag = line.subarray(b + 1, c < 0 ? line.length : c).toString().split(":")[0];
  return {
    timestamp: fixedNanos(line.subarray(0, a).toString()),
    stream,
    full: tag !== "P",
    message: c < 0 ? Buffer.alloc(0) : line.subarray(c + 1),
  };
}

/** Turns file bytes into logical lines; keeps an incomplete last file line and unfinished partial pieces. */
export class CriLogDecoder {
  private rest = Buffer.alloc(0);
  private pending: Piece[] = [];

  push(chunk: Buffer): LogLine[] {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: LogLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
      const piece = parseCriLine(data.subarray(start, nl));
      start = nl + 1;
      if (!piece) continue;
      this.pending.push(piece);
      if (piece.full) out.push(this.flushPending(true));
    }
    this.rest = Buffer.from(data.subarray(start));
    return out;
  }

  /** Partial pieces never completed (the container died mid-line): printed as they are, without a newline. */
  end(): LogLine[] {
    return this.pending.length ? [this.flushPending(false)] : [];
  }

  private flushPending(newline: boolean): LogLine {
    const [first] = this.pending;
    const parts = this.pending.map((p) => p.message);
    if (newline) parts.push(Buffer.from("\n"));
    this.pending = [];
    return { timestamp: first!.timestamp, ms: Date.parse(first!.timestamp), stream: first!.stream, message: Buffer.concat(parts) };
  }
}

/** The bytes printed for a line. */
export function renderLine(line: LogLine, opts: LogOptions): Buffer {
  return opts.timestamps ? Buffer.concat([Buffer.from(`${line.timestamp} `), line.message]) : line.message;
}

/** Whether a line passes the since filter. */
export function wanted(line: LogLine, opts: LogOptions): boolean {
  return opts.sinceMs === undefined || !(line.ms < opts.sinceMs);
}

function nonNegativeInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name}: ${JSON.stringify(v)} is not an integer`);
  return n;
}

const isTrue = (v: string | null): boolean => v === "true" || v === "1";

/** Reads the kubelet's containerLogs query (follow, tailLines, timestamps, sinceSeconds, sinceTime, limitBytes). */
export function logOptionsFromQuery(q: URLSearchParams, now: number): LogOptions & { previous: boolean } {
  const opts: LogOptions & { previous: boolean } = { previous: isTrue(q.get("previous")), follow: isTrue(q.get("follow")), timestamps: isTrue(q.get("timestamps")) };
  const tail = nonNegativeInt(q, "tailLines");
  // A negative tail (kubectl's default -1) means all lines.
  if (tail !== undefined && tail >= 0) opts.tailLines = tail;
  const limit = nonNegativeInt(q, "limitBytes");
  if (limit !== undefined) {
    if (limit <= 0) throw new Error(`limitBytes: must be greater than 0, got ${limit}`);
    opts.limitBytes = limit;
  }
  const since = nonNegativeInt(q, "sinceSeconds");
  if (since !== undefined) {
    if (since <= 0) throw new Error(`sinceSeconds: must be greater than 0, got ${since}`);
    opts.sinceMs = now - since * 1000;
  }
  const sinceTime = q.get("sinceTime");
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new Error(`sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`);
    opts.sinceMs = t;
  }
  return opts;
}

// Cron schedules as CronJobs accept them (the standard 5-field format Kubernetes parses): minute, hour, day of
// month, month, day of week; each field a list of values, ranges and steps ("1-5", "*/15", "10-50/5", "3/10"),
// month and weekday names (JAN-DEC, SUN-SAT, case-insensitive), "?" as "*", weekday 7 as Sunday, and the
// descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly and "@every <duration>".
//
// Day of month and day of week combine as cron always did: when both are restricted a day matching either runs;
// when either is "*" (or "?") the other alone decides. A "*/n" step with n > 1 counts as restricted.
// Times are computed on the wall clock of an IANA time zone (via Intl); a wall time skipped by a daylight-saving
// jump runs at the first instant after it, and a repeated wall time runs once.

export interface CronSchedule {
  /** The first scheduled instant strictly after `afterMs` (ms since the epoch), or undefined if none in 5 years. */
  next(afterMs: number): number | undefined;
}

interface Field {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTE: Field = { min: 0, max: 59 };
const HOUR: Field = { min: 0, max: 23 };
const DOM: Field = { min: 1, max: 31 };
const MONTH: Field = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
// 7 is accepted as Sunday and folded to 0 after parsing.
const DOW: Field = { min: 0, max: 7, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export class CronParseError extends Error {}

interface ParsedField {
  values: Set<number>;
  /** "*" or "?" (not a stepped star): the field places no restriction, which matters for day matching. */
  star: boolean;
}

function parseValue(s: string, f: Field, expr: string): number {
  const named = f.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}: invalid value in ${JSON.stringify(expr)}`);
  const n = Number(s);
  if (n < f.min || n > f.max) throw new CronParseError(`value ${n} out of range [${f.min}, ${f.max}] in ${JSON.stringify(expr)}`);
  return n;
}

function parseField(expr: string, f: Field): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const part of expr.split(",")) {
    const [rangePart, stepPart, extra] = part.split("/");
    if (extra !== undefined || rangePart === undefined || rangePart === "") throw new CronParseError(`invalid expression ${JSON.stringify(part)}`);
    let lo: number;
    let hi: number;
    let partStar = false;
    if (rangePart === "*" || rangePart === "?") {
      [lo, hi, partStar] = [f.min, f.max, true];
    } else {
      const bounds = rangePart.split("-");
      if (bounds.length > 2) throw new CronParseError(`too many hyphens: ${JSON.stringify(part)}`);
      lo = parseValue(bounds[0]!, f, part);
      // "N/step" means from N to the end of the range.
      hi = bounds.length === 2 ? parseValue(bounds[1]!, f, part) : stepPart !== undefined ? f.max : lo;
    }
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) throw new CronParseError(`step of range should be a positive number: ${JSON.stringify(part)}`);
      step = Number(stepPart);
      if (step > 1) partStar = false;
    }
    if (hi < lo) throw new CronParseError(`beginning of range (${lo}) beyond end of range (${hi}): ${JSON.stringify(part)}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
    star ||= partStar;
  }
  return { values, star };
}

/** Parses a duration like "1h30m", "90s", "2h" (Go's time.ParseDuration units h, m, s, ms). */
export function parseDurationMs(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as "h" | "m" | "s" | "ms"];
    matched = re.lastIndex;
  }
  if (!s || matched !== s.length) throw new CronParseError(`failed to parse duration ${JSON.stringify(s)}`);
  return total;
}

/** Wall-clock reading of an instant in a zone: year, month 1-12, day, hour, minute, weekday 0-6. */
interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when Intl knows the IANA zone name. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of the zone from UTC at an instant, in ms (wall = instant + offset). */
export function zoneOffsetMs(tz: string, ms: number): number {
  const parts = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(ms / 1000) * 1000;
}

function wallOf(ms: number): Wall {
  const d = new Date(ms);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes() };
}

/** The instant at which the zone's clock shows `wallMs` (a wall time encoded as if UTC). */
function instantOf(tz: string, wallMs: number): number {
  const guess = wallMs - zoneOffsetMs(tz, wallMs);
  const off = zoneOffsetMs(tz, guess);
  const instant = wallMs - off;
  // In a skipped hour neither offset reproduces the wall time: take the later reading (after the jump).
  return Math.max(instant, guess);
}

const FIVE_YEARS_MS = 5 * 366 * 24 * 3_600_000;

class FieldSchedule implements CronSchedule {
  constructor(
    private readonly f: { minute: ParsedField; hour: ParsedField; dom: ParsedField; month: ParsedField; dow: ParsedField },
    private readonly tz: string,
  ) {}

  private dayMatches(w: Wall): boolean {
    const dow = new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay();
    const domOk = this.f.dom.values.has(w.d);
    const dowOk = this.f.dow.values.has(dow);
    if (this.f.dom.star || this.f.dow.star) return domOk && dowOk;
    return domOk || dowOk;
  }

  next(afterMs: number): number | undefined {
    const start = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
    let wall = start + zoneOffsetMs(this.tz, start);
    wall = Math.floor(wall / 60_000) * 60_000;
    const limit = wall + FIVE_YEARS_MS;
    while (wall < limit) {
      const w = wallOf(wall);
      if (!this.f.month.values.has(w.mo)) {
        wall = Date.UTC(w.y, w.mo, 1);
        continue;
      }
      if (!this.dayMatches(w)) {
        wall = Date.UTC(w.y, w.mo - 1, w.d + 1);
        continue;
      }
      if (!this.f.hour.values.has(w.h)) {
        wall = Date.UTC(w.y, w.mo - 1, w.d, w.h + 1);
        continue;
      }
      if (!this.f.minute.values.has(w.mi)) {
        wall += 60_000;
        continue;
      }
      const at = instantOf(this.tz, wall);
      if (at > afterMs) return at;
      // A repeated wall time (clocks set back) already ran: look further.
      wall += 60_000;
    }
    return undefined;
  }
}

class EverySchedule implements CronSchedule {
  constructor(private readonly everyMs: number) {}
  next(afterMs: number): number {
    // As robfig/cron's ConstantDelaySchedule: whole seconds, at least one.
    return Math.floor(afterMs / 1000) * 1000 + this.everyMs;
  }
}

/** Parses a schedule for a zone (default UTC). Throws CronParseError with the reason. */
export function parseCronSchedule(spec: string, timeZone = "UTC"): CronSchedule {
  if (!isValidTimeZone(timeZone)) throw new CronParseError(`unknown time zone ${timeZone}`);
  const s = spec.trim();
  if (s.startsWith("@every ")) {
    const ms = parseDurationMs(s.slice(7).trim());
    return new EverySchedule(Math.max(1000, Math.floor(ms / 1000) * 1000));
  }
  const expanded = s.startsWith("@") ? DESCRIPTORS[s.toLowerCase()] : s;
  if (!expanded) throw new CronParseError(`unrecognized descriptor: ${s}`);
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: ${JSON.stringify(s)}`);
  const dow = parseField(fields[4]!, DOW);
  if (dow.values.delete(7)) dow.values.add(0);
  return new FieldSchedule(
    { minute: parseField(fields[0]!, MINUTE), hour: parseField(fields[1]!, HOUR), dom: parseField(fields[2]!, DOM), month: parseField(fields[3]!, MONTH), dow },
    timeZone,
  );
}

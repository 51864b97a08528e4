// Cron schedules as CronJobs accept them: five standard fields or a descriptor (@hourly, @every 1h30m).
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 6, names: DAYS, namesFrom: 0 },
];

function parseValue(s: string, f: FieldSpec): number | undefined {
  const named = f.names?.indexOf(s.toUpperCase()) ?? -1;
  if (named >= 0) return named + (f.namesFrom ?? 0);
  return /^[0-9]+$/.test(s) ? Number(s) : undefined;
}

function checkField(expr: string, f: FieldSpec): string | undefined {
  for (const part of expr.split(",")) {
    const [range, step, extra] = part.split("/");
    if (extra !== undefined) return `too many slashes: ${part}`;
    if (step !== undefined && !(/^[0-9]+$/.test(step) && Number(step) > 0)) return `failed to parse int from ${step}`;
    if (range === "*" || range === "?") continue;
    const bounds = range!.split("-");
    if (bounds.length > 2) return `too many hyphens: ${part}`;
    const vals = bounds.map((b) => parseValue(b, f));
    for (let i = 0; i < vals.length; i++) if (vals[i] === undefined) return `failed to parse int from ${bounds[i]}`;
    const lo = vals[0]!;
    const hi = vals[1] ?? lo;
    if (lo < f.min) return `beginning of range (${lo}) below minimum (${f.min}): ${part}`;
    if (hi > f.max) return `end of range (${hi}) above maximum (${f.max}): ${part}`;
    if (lo > hi) return `beginning of range (${lo}) beyond end of range (${hi}): ${part}`;
  }
  return undefined;
}

const GO_DURATION_RE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** The problem with a schedule, or undefined when it parses. */
export function cronScheduleError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead";
  if (s.startsWith("@")) {
    if (DESCRIPTORS.includes(s)) return undefined;
    if (s.startsWith("@every ")) return GO_DURATION_RE.test(s.slice(7).trim()) ? undefined : `failed to parse duration ${s}`;
    return `unrecognized descriptor: ${s}`;
  }
  const fields = s.split(/\s+/).filter((x) => x);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  for (let i = 0; i < 5; i++) {
    const e = checkField(fields[i]!, FIELDS[i]!);
    if (e) return e;
  }
  return undefined;
}

export function timeZoneError(tz: string): string | undefined {
  if (tz === "" || tz.toLowerCase() === "local") return `unknown time zone ${tz}`;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${tz}`;
  }
}

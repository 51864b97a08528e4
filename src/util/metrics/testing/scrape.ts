// Test helpers: fetch a /metrics page and read it back as families and samples, checking the text format on the way
// (every sample belongs to a family announced by HELP and TYPE lines, before its samples).

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  help: string;
  type: string;
}

export interface Exposition {
  families: Map<string, ParsedFamily>;
  samples: ParsedSample[];
  /** Sum of the samples of this name whose labels include every given pair. */
  value(name: string, labels?: Record<string, string>): number;
  /** Samples of this name whose labels include every given pair. */
  find(name: string, labels?: Record<string, string>): ParsedSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;

export function parseExposition(text: string): Exposition {
  const families = new Map<string, ParsedFamily>();
  const samples: ParsedSample[] = [];
  const pendingHelp = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const [name, ...rest] = line.slice(7).split(" ");
      pendingHelp.set(name!, rest.join(" "));
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (families.has(name!)) throw new Error(`family ${name} announced twice`);
      if (!pendingHelp.has(name!)) throw new Error(`TYPE of ${name} without HELP before it`);
      families.set(name!, { help: pendingHelp.get(name!)!, type: type! });
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`malformed sample line ${JSON.stringify(line)}`);
    const name = m[1]!;
    const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    if (!families.has(family)) throw new Error(`sample ${name} before its HELP/TYPE lines`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    const raw = m[4]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (raw !== "NaN" && Number.isNaN(value)) throw new Error(`malformed value in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value });
  }
  const find = (name: string, labels: Record<string, string> = {}): ParsedSample[] =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { families, samples, find, value: (name, labels) => find(name, labels).reduce((n, s) => n + s.value, 0) };
}

/** GETs url (a /metrics page), checks the status and content type, and parses the body. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain; version=0.0.4")) throw new Error(`GET ${url}: content type ${type}`);
  return parseExposition(body);
}

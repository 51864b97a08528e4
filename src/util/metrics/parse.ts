// A parser of the Prometheus text exposition format 0.0.4, lenient as Prometheus' own scraper: HELP and other
// comments are skipped, a TYPE line types the family it names (and the _bucket/_sum/_count samples of a histogram
// or summary), samples without one are "untyped". What the node agent reads from pods' /metrics endpoints.

export type SampleType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The family's TYPE; histogram and summary parts report the family's type. */
  type: SampleType;
  /** The optional timestamp, ms since the epoch. */
  timestampMs?: number;
}

export class ExpositionError extends Error {}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<SampleType>(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(s: string, line: number): number {
  switch (s) {
    case "+Inf":
    case "Inf":
      return Infinity;
    case "-Inf":
      return -Infinity;
    case "NaN":
      return NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) && !/^[-+]?0x[0-9a-fA-F]+$/.test(s)) throw new ExpositionError(`line ${line}: ${JSON.stringify(s)} is not a number`);
  return Number(s);
}

function typeOf(types: Map<string, SampleType>, name: string): SampleType {
  const t = types.get(name);
  if (t) return t;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = types.get(name.slice(0, -suffix.length));
    if (base === "histogram" || base === "summary") return base;
  }
  return "untyped";
}

/** Every sample of an exposition, in order. Throws ExpositionError naming the line of the first malformed one. */
export function parseExposition(text: string): ParsedSample[] {
  const types = new Map<string, SampleType>();
  const out: ParsedSample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (m) {
        const t = m[2]! as SampleType;
        if (!TYPES.has(t)) throw new ExpositionError(`line ${lineNo}: unknown metric type ${JSON.stringify(m[2])}`);
        types.set(m[1]!, t);
      }
      continue;
    }
    const nm = NAME.exec(line);
    if (!nm) throw new ExpositionError(`line ${lineNo}: expected a metric name`);
    const name = nm[0];
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      rest = rest.slice(1).trimStart();
      while (!rest.startsWith("}")) {
        const lm = LABEL.exec(rest);
        if (!lm) throw new ExpositionError(`line ${lineNo}: expected a label name`);
        rest = rest.slice(lm[0].length).trimStart();
        if (!rest.startsWith('="') && !rest.startsWith("=")) throw new ExpositionError(`line ${lineNo}: expected = after label ${lm[0]}`);
        rest = rest.slice(1).trimStart();
        if (!rest.startsWith('"')) throw new ExpositionError(`line ${lineNo}: label ${lm[0]}: expected a quoted value`);
        let value = "";
        let j = 1;
        for (;;) {
          if (j >= rest.length) throw new ExpositionError(`line ${lineNo}: label ${lm[0]}: unterminated value`);
          const c = rest[j]!;
          if (c === '"') break;
          if (c === "\\") {
            const n = rest[j + 1];
            value += n === "n" ? "\n" : n === "\\" ? "\\" : n === '"' ? '"' : `\\${n ?? ""}`;
            j += 2;
            continue;
          }
          value += c;
          j++;
        }
        labels[lm[0]] = value;
        rest = rest.slice(j + 1).trimStart();
        if (rest.startsWith(",")) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith("}")) throw new ExpositionError(`line ${lineNo}: expected , or } after label ${lm[0]}`);
      }
      rest = rest.slice(1);
    }
    const fields = rest.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 1 || fields.length > 2) throw new ExpositionError(`line ${lineNo}: expected a value and an optional timestamp after ${name}`);
    const sample: ParsedSample = { name, labels, value: parseValue(fields[0]!, lineNo), type: typeOf(types, name) };
    if (fields[1] !== undefined) {
      if (!/^-?\d+$/.test(fields[1])) throw new ExpositionError(`line ${lineNo}: timestamp ${JSON.stringify(fields[1])} is not an integer`);
      sample.timestampMs = Number(fields[1]);
    }
    out.push(sample);
  }
  return out;
}

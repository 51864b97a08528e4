// resource.Quantity as Kubernetes parses, rounds and prints it: "500m", "1Gi", "1e3", "0.5" -> "500m".
// Values are held exactly as a count of nano-units (bigint): Kubernetes rounds every parsed value up (away from
// zero) to a multiple of 1n, so nothing finer ever exists. The format (DecimalSI, BinarySI, DecimalExponent)
// comes from the suffix and decides how the value prints.

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** A string that is not a quantity. Messages are Kubernetes' own. */
export class QuantityError extends Error {
  constructor(
    message: string,
    /** The text that failed to parse. */
    readonly input: string,
  ) {
    super(message);
    this.name = "QuantityError";
  }
}

const FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const NUMERIC = "unable to parse numeric part of quantity";
const SUFFIX = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
/** BinarySI values are capped at the largest int64, as Kubernetes does. */
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * NANO;
/** Beyond this decimal exponent a value could not be stored anyway; refusing it keeps bigints small. */
const MAX_DECIMAL_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXP = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

function interpretSuffix(s: string): { base: 10 | 2; exp: number; format: QuantityFormat } | undefined {
  if (s in DECIMAL_SUFFIXES) return { base: 10, exp: DECIMAL_SUFFIXES[s]!, format: "DecimalSI" };
  if (s in BINARY_SUFFIXES) return { base: 2, exp: BINARY_SUFFIXES[s]!, format: "BinarySI" };
  if (s.length > 1 && (s[0] === "e" || s[0] === "E") && /^[+-]?[0-9]+$/.test(s.slice(1))) {
    return { base: 10, exp: Number(s.slice(1)), format: "DecimalExponent" };
  }
  return undefined;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

export class Quantity {
  private constructor(
    /** The value times 10^9. */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  static fromNanos(nanos: bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(nanos, format);
  }
  static fromMilli(milli: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }
  static fromValue(value: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    if (typeof value === "number" && !Number.isInteger(value)) return parseQuantity(String(value));
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** ceil(value * 1000), as Kubernetes' MilliValue. */
  milliValue(): number {
    return Number(this.milliValueBig());
  }
  milliValueBig(): bigint {
    return ceilDiv(this.nanos, 1_000_000n);
  }
  /** ceil(value), as Kubernetes' Value. */
  value(): number {
    return Number(ceilDiv(this.nanos, NANO));
  }
  valueBig(): bigint {
    return ceilDiv(this.nanos, NANO);
  }
  isZero(): boolean {
    return this.nanos === 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }
  equal(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }
  /** Sum in this quantity's format (or the other's when this one is zero), as Kubernetes' Add. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.isZero() ? other.format : this.format);
  }
  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }
  toString(): string {
    return formatQuantity(this);
  }
  /** Quantities serialize as their canonical string. */
  toJSON(): string {
    return formatQuantity(this);
  }
}

/** ceil(a / b) for b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Splits sign, integer digits, fraction digits and suffix, with Kubernetes' leniencies ("1.", ".5", "1.G"). */
function split(str: string): { negative: boolean; num: string; denom: string; suffix: string } {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(str);
  if (!m) throw new QuantityError(FORMAT_WRONG, str);
  return { negative: m[1] === "-", num: m[2]!, denom: m[3] ?? "", suffix: m[4]! };
}

/** Parses a quantity string (or a JSON number). Invalid input throws QuantityError. */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === "number" ? String(input) : input;
  if (str.length === 0) throw new QuantityError(FORMAT_WRONG, str);
  const { negative, num, denom, suffix } = split(str);
  const sfx = interpretSuffix(suffix);
  if (!sfx) throw new QuantityError(SUFFIX, str);
  const digits = BigInt((num + denom).replace(/^0+/, "") || "0");
  let format = sfx.format;
  let nanos: bigint;
  if (sfx.base === 2) {
    // digits * 2^exp / 10^len(denom), in nano units
    nanos = roundUpDiv(digits * (1n << BigInt(sfx.exp)) * NANO, pow10(denom.length));
  } else {
    const e = sfx.exp - denom.length + 9;
    if (e > MAX_DECIMAL_EXPONENT) throw new QuantityError(NUMERIC, str);
    if (e >= 0) nanos = digits * pow10(e);
    else if (-e > (num + denom).length + 1) nanos = digits === 0n ? 0n : 1n;
    else nanos = roundUpDiv(digits, pow10(-e));
  }
  if (format === "BinarySI") {
    if (nanos > MAX_BINARY_NANOS) nanos = MAX_BINARY_NANOS;
    // Below one, a binary suffix cannot print: Kubernetes switches such values to DecimalSI.
    if (nanos > 0n && nanos < NANO) format = "DecimalSI";
  }
  return Quantity.fromNanos(negative ? -nanos : nanos, format);
}

/** Division rounding a non-zero remainder up (the operands are non-negative here). */
function roundUpDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : q + 1n;
}

/** Kubernetes' canonical string: mantissa with an exponent that is a multiple of 3 and the format's suffix. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return "0";
  let format = q.format;
  if (format === "BinarySI") {
    const small = abs(q.nanos) < 1024n * NANO;
    if (small || q.nanos % NANO !== 0n) format = "DecimalSI";
    else {
      let amount = q.nanos / NANO;
      let exp = 0;
      while (amount % 1024n === 0n && BINARY_BY_EXP.has(exp + 10)) {
        amount /= 1024n;
        exp += 10;
      }
      return `${amount}${BINARY_BY_EXP.get(exp) ?? ""}`;
    }
  }
  let mantissa = q.nanos;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const r = ((exp % 3) + 3) % 3;
  mantissa *= pow10(r);
  exp -= r;
  if (format === "DecimalExponent") return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
  const s = DECIMAL_BY_EXP.get(exp);
  return s !== undefined ? `${mantissa}${s}` : `${mantissa}e${exp}`;
}

/** True when `s` parses as a quantity (for validation that reports its own field errors). */
export function isQuantity(s: string): boolean {
  try {
    parseQuantity(s);
    return true;
  } catch {
    return false;
  }
}

// A histogram: observations counted into cumulative buckets (`le` upper bounds, +Inf last), with their sum and
// count, so Prometheus can compute quantiles and averages over any window.
import { Family, type FamilyOptions } from "./family.js";
import type { Labels, Sample } from "./types.js";

/** Prometheus' default buckets (seconds): 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `count` bounds starting at `start`, each `factor` times the previous. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || count < 1) throw new Error(`invalid exponential buckets (start ${start}, factor ${factor}, count ${count})`);
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export interface HistogramOptions extends FamilyOptions {
  /** Upper bounds in increasing order; +Inf is implied. Default DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

export class HistogramChild {
  /** Non-cumulative counts per bucket; rendered cumulatively. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    // First bucket whose bound holds v; beyond the last, only +Inf (the count) holds it.
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    if (i < this.bounds.length) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Family<HistogramChild> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(opts: HistogramOptions) {
    super(opts);
    if (this.labelNames.includes("le")) throw new Error(`histogram ${opts.name} may not declare the label "le"`);
    const b = [...(opts.buckets ?? DEFAULT_BUCKETS)].filter((x) => x !== Infinity);
    for (let i = 1; i < b.length; i++) if (!(b[i]! > b[i - 1]!)) throw new Error(`histogram ${opts.name}: buckets must increase (${b[i - 1]} then ${b[i]})`);
    this.buckets = b;
  }

  observe(labels: Labels, v: number): void {
    this.with(labels).observe(v);
  }

  protected newChild(): HistogramChild {
    return new HistogramChild(this.buckets);
  }

  protected samples(labels: Labels, h: HistogramChild): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += h.counts[i]!;
      out.push({ suffix: "_bucket", labels: { ...labels, le: String(b) }, value: cumulative });
    });
    out.push({ suffix: "_bucket", labels: { ...labels, le: "+Inf" }, value: h.count });
    out.push({ suffix: "_sum", labels, value: h.sum });
    out.push({ suffix: "_count", labels, value: h.count });
    return out;
  }
}

// A component's metric families, by name. Families are created once (at component construction) and updated on
// the hot path; scrape-time values (queue depth, running pods) come from callback families read at render time.
import { Counter } from "./counter.js";
import type { FamilyOptions } from "./family.js";
import { Gauge } from "./gauge.js";
import { Histogram, type HistogramOptions } from "./histogram.js";
import { checkLabelName, checkMetricName } from "./text_format.js";
import type { Collector, Labels, MetricType, Sample } from "./types.js";

export interface CallbackOptions extends FamilyOptions {
  /** Called at every scrape; returns one value per series. */
  collect: () => Iterable<{ labels?: Labels; value: number }>;
}

export class MetricsRegistry {
  private readonly families = new Map<string, Collector>();

  /** Adds a collector; a second family with the same name is an error (two writers would contradict each other). */
  register<C extends Collector>(c: C): C {
    if (this.families.has(c.name)) throw new Error(`metric ${c.name} is already registered`);
    this.families.set(c.name, c);
    return c;
  }

  counter(opts: FamilyOptions): Counter {
    return this.register(new Counter(opts));
  }

  gauge(opts: FamilyOptions): Gauge {
    return this.register(new Gauge(opts));
  }

  histogram(opts: HistogramOptions): Histogram {
    return this.register(new Histogram(opts));
  }

  /** A gauge whose series are read at scrape time. */
  gaugeFunc(opts: CallbackOptions): Collector {
    return this.register(callbackFamily("gauge", opts));
  }

  /** A counter whose series are read at scrape time (from a monotonic source such as process CPU time). */
  counterFunc(opts: CallbackOptions): Collector {
    return this.register(callbackFamily("counter", opts));
  }

  get(name: string): Collector | undefined {
    return this.families.get(name);
  }

  collectors(): Collector[] {
    return [...this.families.values()];
  }
}

function callbackFamily(type: MetricType, opts: CallbackOptions): Collector {
  checkMetricName(opts.name);
  const names = opts.labelNames ?? [];
  for (const l of names) checkLabelName(opts.name, l);
  return {
    name: opts.name,
    help: opts.help,
    type,
    collect(): Sample[][] {
      const out: Sample[][] = [];
      for (const s of opts.collect()) {
        const labels: Record<string, string> = {};
        for (const n of names) labels[n] = s.labels?.[n] ?? "";
        out.push([{ suffix: "", labels, value: s.value }]);
      }
      return out;
    },
  };
}

// What counters, gauges and histograms share: a name, help text, declared label names and one child per distinct
// combination of label values.
import { checkLabelName, checkMetricName } from "./text_format.js";
import type { Collector, Labels, MetricType, Sample } from "./types.js";

export interface FamilyOptions {
  name: string;
  help: string;
  /** Label names every series carries (missing values read as ""). Output lists them in this order. */
  labelNames?: readonly string[];
}

export abstract class Family<Child> implements Collector {
  readonly name: string;
  readonly help: string;
  abstract readonly type: MetricType;
  readonly labelNames: readonly string[];
  private readonly children = new Map<string, { labels: Labels; child: Child }>();

  constructor(opts: FamilyOptions) {
    checkMetricName(opts.name);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    for (const l of this.labelNames) checkLabelName(opts.name, l);
    if (new Set(this.labelNames).size !== this.labelNames.length) throw new Error(`metric ${opts.name} declares a label twice`);
  }

  protected abstract newChild(): Child;
  protected abstract samples(labels: Labels, child: Child): Sample[];

  /** The series with these label values (created at zero on first use). Unknown label names are an error. */
  with(labels: Labels = {}): Child {
    for (const k of Object.keys(labels)) if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name} has no label ${JSON.stringify(k)} (labels: ${this.labelNames.join(", ") || "none"})`);
    const values = this.labelNames.map((n) => labels[n] ?? "");
    const key = values.join("\u0000");
    let entry = this.children.get(key);
    if (!entry) {
      const normalized: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (normalized[n] = values[i]!));
      entry = { labels: normalized, child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Forgets every series (values restart from zero). */
  reset(): void {
    this.children.clear();
  }

  collect(): Sample[][] {
    return [...this.children.values()].map(({ labels, child }) => this.samples(labels, child));
  }
}

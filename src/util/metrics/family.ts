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
    // Hot path (every API request): one pass building the key, no intermediate arrays.
    let key = "";
    let matched = 0;
    for (let i = 0; i < this.labelNames.length; i++) {
      const v = labels[this.labelNames[i]!];
      if (v !== undefined) matched++;
      key += i === 0 ? (v ?? "") : "\u0000" + (v ?? "");
    }
    let entry = this.children.get(key);
    if (entry && matched === Object.keys(labels).length) return entry.child;
    for (const k of Object.keys(labels)) if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name} has no label ${JSON.stringify(k)} (labels: ${this.labelNames.join(", ") || "none"})`);
    if (!entry) {
      const normalized: Record<string, string> = {};
      for (const n of this.labelNames) normalized[n] = labels[n] ?? "";
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

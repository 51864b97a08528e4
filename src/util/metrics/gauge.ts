// A gauge: a value that goes up and down (in-flight requests, queue depth), set as it changes.
import { Family } from "./family.js";
import type { Labels, Sample } from "./types.js";

export class GaugeChild {
  value = 0;

  set(v: number): void {
    this.value = v;
  }

  inc(by = 1): void {
    this.value += by;
  }

  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends Family<GaugeChild> {
  readonly type = "gauge";

  set(labels: Labels, v: number): void {
    this.with(labels).set(v);
  }

  inc(labels: Labels = {}, by = 1): void {
    this.with(labels).inc(by);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.with(labels).dec(by);
  }

  get(labels: Labels = {}): number {
    return this.with(labels).value;
  }

  protected newChild(): GaugeChild {
    return new GaugeChild();
  }

  protected samples(labels: Labels, g: GaugeChild): Sample[] {
    return [{ suffix: "", labels, value: g.value }];
  }
}

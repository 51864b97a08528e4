// A counter: a value that only goes up (requests served, retries). Resets only when the process restarts.
import { Family } from "./family.js";
import type { Labels, Sample } from "./types.js";

export class CounterChild {
  value = 0;

  inc(by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only increases, not by ${by}`);
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  readonly type = "counter";

  inc(labels: Labels = {}, by = 1): void {
    this.with(labels).inc(by);
  }

  get(labels: Labels = {}): number {
    return this.with(labels).value;
  }

  protected newChild(): CounterChild {
    return new CounterChild();
  }

  protected samples(labels: Labels, c: CounterChild): Sample[] {
    return [{ suffix: "", labels, value: c.value }];
  }
}

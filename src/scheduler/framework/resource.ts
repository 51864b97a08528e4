// Amounts of schedulable resources in the units the scheduler compares: cpu in millicores, memory and
// ephemeral-storage in bytes, pods as a count, every other (extended) resource as its integer value.
import { parseQuantity } from "../../machinery/quantity.js";

export const CPU = "cpu";
export const MEMORY = "memory";
export const EPHEMERAL_STORAGE = "ephemeral-storage";
export const PODS = "pods";

/** A resource list (name -> quantity string) in scheduler units; unparsable quantities count as 0. */
export function toAmounts(list: Record<string, unknown> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, q] of Object.entries(list ?? {})) out.set(name, amountOf(name, q));
  return out;
}

export function amountOf(name: string, q: unknown): number {
  if (typeof q !== "string" && typeof q !== "number") return 0;
  try {
    const parsed = parseQuantity(q);
    return name === CPU ? parsed.milliValue() : parsed.value();
  } catch {
    return 0;
  }
}

/** A mutable bag of amounts by resource name. */
export class Resource {
  readonly amounts: Map<string, number>;

  constructor(init?: Map<string, number> | Iterable<[string, number]>) {
    this.amounts = new Map(init ?? []);
  }

  get(name: string): number {
    return this.amounts.get(name) ?? 0;
  }

  set(name: string, v: number): void {
    this.amounts.set(name, v);
  }

  add(other: Resource, sign = 1): void {
    for (const [k, v] of other.amounts) this.amounts.set(k, this.get(k) + sign * v);
  }

  /** Each amount becomes the larger of this and other. */
  max(other: Resource): void {
    for (const [k, v] of other.amounts) if (v > this.get(k)) this.amounts.set(k, v);
  }

  clone(): Resource {
    return new Resource(this.amounts);
  }

  names(): string[] {
    return [...this.amounts.keys()];
  }
}

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

/**
 * Parsed amounts by quantity, one map for cpu (millicores) and one for the rest: the same few strings ("100m",
 * "128Mi") come back for every pod, and each pod's requests are worked out several times per scheduling. Cleared
 * when it grows past MEMO_MAX distinct quantities.
 */
const milliMemo = new Map<string | number, number>();
const valueMemo = new Map<string | number, number>();
const MEMO_MAX = 4096;

export function amountOf(name: string, q: unknown): number {
  if (typeof q !== "string" && typeof q !== "number") return 0;
  const memo = name === CPU ? milliMemo : valueMemo;
  let v = memo.get(q);
  if (v === undefined) {
    v = parseAmount(name, q);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(q, v);
  }
  return v;
}

function parseAmount(name: string, q: string | number): number {
  try {
    const parsed = parseQuantity(q);
    return name === CPU ? parsed.milliValue() : parsed.value();
  } catch {
    return 0;
  }
}

/**
 * A mutable bag of amounts by resource name. cpu, memory, ephemeral-storage and pods live in plain fields (the
 * scheduler reads them for every node of every cycle); extended resources in a map. An amount never set reads 0.
 */
export class Resource {
  cpu = 0;
  memory = 0;
  ephemeralStorage = 0;
  pods = 0;
  /** Which of the four fixed resources were ever set (so names() and entries() list only those). */
  private fixedSet = 0;
  /** Extended resources; made on the first one (most pods and nodes have none, and Resources are made per pod). */
  private extended: Map<string, number> | undefined;

  constructor(init?: Map<string, number> | Iterable<[string, number]>) {
    if (init) for (const [k, v] of init) this.set(k, v);
  }

  get(name: string): number {
    switch (name) {
      case CPU:
        return this.cpu;
      case MEMORY:
        return this.memory;
      case EPHEMERAL_STORAGE:
        return this.ephemeralStorage;
      case PODS:
        return this.pods;
      default:
        return this.extended?.get(name) ?? 0;
    }
  }

  set(name: string, v: number): void {
    switch (name) {
      case CPU:
        this.cpu = v;
        this.fixedSet |= 1;
        return;
      case MEMORY:
        this.memory = v;
        this.fixedSet |= 2;
        return;
      case EPHEMERAL_STORAGE:
        this.ephemeralStorage = v;
        this.fixedSet |= 4;
        return;
      case PODS:
        this.pods = v;
        this.fixedSet |= 8;
        return;
      default:
        (this.extended ??= new Map()).set(name, v);
    }
  }

  /** Every amount that was set, by name (the fixed resources first). */
  *entries(): IterableIterator<[string, number]> {
    if (this.fixedSet & 1) yield [CPU, this.cpu];
    if (this.fixedSet & 2) yield [MEMORY, this.memory];
    if (this.fixedSet & 4) yield [EPHEMERAL_STORAGE, this.ephemeralStorage];
    if (this.fixedSet & 8) yield [PODS, this.pods];
    if (this.extended) yield* this.extended;
  }

  /** True when some extended (non cpu/memory/ephemeral-storage/pods) amount was set. */
  hasExtended(): boolean {
    return this.extended !== undefined && this.extended.size > 0;
  }

  add(other: Resource, sign = 1): void {
    if (other.fixedSet & 1) this.set(CPU, this.cpu + sign * other.cpu);
    if (other.fixedSet & 2) this.set(MEMORY, this.memory + sign * other.memory);
    if (other.fixedSet & 4) this.set(EPHEMERAL_STORAGE, this.ephemeralStorage + sign * other.ephemeralStorage);
    if (other.fixedSet & 8) this.set(PODS, this.pods + sign * other.pods);
    if (other.extended) for (const [k, v] of other.extended) this.set(k, this.get(k) + sign * v);
  }

  /** Each amount becomes the larger of this and other. */
  max(other: Resource): void {
    for (const [k, v] of other.entries()) if (v > this.get(k)) this.set(k, v);
  }

  clone(): Resource {
    const c = new Resource(this.extended);
    c.cpu = this.cpu;
    c.memory = this.memory;
    c.ephemeralStorage = this.ephemeralStorage;
    c.pods = this.pods;
    c.fixedSet = this.fixedSet;
    return c;
  }

  names(): string[] {
    return [...this.entries()].map(([k]) => k);
  }
}

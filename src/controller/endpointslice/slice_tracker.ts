// Remembers the slices this controller wrote (by service) until its informer has seen those writes, so a sync
// never plans from a cache that misses a slice it just created (a duplicate) or still shows one it deleted.
import type { SliceObject } from "./reconcile.js";

/** An expectation the cache never meets (say, a slice someone else deleted meanwhile) stops blocking after this. */
const EXPECTATION_TTL_MS = 10_000;

interface Expectation {
  /** The resourceVersion written, or "deleted". */
  rv: number | "deleted";
  at: number;
}

export class SliceTracker {
  private readonly byService = new Map<string, Map<string, Expectation>>();

  constructor(private readonly now: () => number = Date.now) {}

  private entries(key: string): Map<string, Expectation> {
    let m = this.byService.get(key);
    if (!m) this.byService.set(key, (m = new Map()));
    return m;
  }

  wrote(key: string, slice: SliceObject): void {
    this.entries(key).set(slice.metadata?.name ?? "", { rv: Number(slice.metadata?.resourceVersion ?? 0), at: this.now() });
  }

  deleted(key: string, slice: SliceObject): void {
    this.entries(key).set(slice.metadata?.name ?? "", { rv: "deleted", at: this.now() });
  }

  /** The informer saw the slice go: nothing about it is pending any more. */
  observedDeletion(key: string, name: string): void {
    this.byService.get(key)?.delete(name);
  }

  forget(key: string): void {
    this.byService.delete(key);
  }

  /** Whether the cached slices still miss one of our writes; expectations met are dropped. */
  stale(key: string, cached: SliceObject[]): boolean {
    const m = this.byService.get(key);
    if (!m) return false;
    const byName = new Map(cached.map((s) => [s.metadata?.name ?? "", s]));
    for (const [name, e] of m) {
      const s = byName.get(name);
      const met = e.rv === "deleted" ? !s : !!s && Number(s.metadata?.resourceVersion ?? 0) >= e.rv;
      if (met || this.now() - e.at > EXPECTATION_TTL_MS) m.delete(name);
    }
    if (m.size === 0) this.byService.delete(key);
    return m.size > 0;
  }
}

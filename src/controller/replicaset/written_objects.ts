// Objects a controller wrote whose new state its informer has not delivered yet (the idea of client-go's
// MutationCache). A sync that starts before the watch event of its own last write would otherwise work on the
// older object: its status write then fails with a Conflict (a GET and a second PUT), or repeats a status the
// server already has. The answer of a write stands in for the cached object only while the cache still holds
// exactly the version the write was made over; once the cache shows anything else (our write, or a newer one
// from someone else) the cache is the truth again. resourceVersions are compared for equality only.
import type { KubeObject } from "../../api/object.js";

export class WrittenObjects<T extends KubeObject> {
  /** Per key: our last answer and every version it is known to supersede (what the cache may still show). */
  private readonly entries = new Map<string, { older: Set<string | undefined>; obj: T }>();

  /** The freshest state known for key: the answer of our last write while the cache still shows an older version. */
  latest(key: string, cached: T | undefined): T | undefined {
    const e = this.entries.get(key);
    if (!e) return cached;
    if (cached && e.older.has(cached.metadata?.resourceVersion)) return e.obj;
    this.entries.delete(key);
    return cached;
  }

  /**
   * Records the API's answer to a write made over `base`, when the informer's cache held `cachedRv`. Writes in a
   * row (each over the previous answer, before the cache shows any of them) keep the whole chain as older.
   */
  written(key: string, cachedRv: string | undefined, base: T, answer: T): void {
    const baseRv = base.metadata?.resourceVersion;
    const e = this.entries.get(key);
    const older = e && e.obj.metadata?.resourceVersion === baseRv && e.older.size < 64 ? e.older : new Set<string | undefined>();
    older.add(cachedRv);
    older.add(baseRv);
    older.delete(answer.metadata?.resourceVersion);
    this.entries.set(key, { older, obj: answer });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

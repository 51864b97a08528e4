// One informer per resource (and namespace/selector narrowing) shared by every component of a process, so a
// controller manager watches each resource type once.
import type { KubeObject } from "../api/object.js";
import type { Logger } from "../util/log.js";
import type { Clock } from "./clock.js";
import type { Indexers } from "./indexer.js";
import type { Client } from "./rest_client.js";
import { refKey } from "./resources.js";
import { SharedInformer } from "./informer.js";
import type { ResourceRef } from "./types.js";

export interface InformerFactoryOptions {
  client: Client;
  defaultResyncMs?: number;
  /** Restricts every informer to one namespace ("" = all). */
  namespace?: string;
  freeze?: boolean;
  clock?: Clock;
  log?: Logger;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly started = new Set<string>();
  private signal?: AbortSignal;
  private readonly runs: Promise<void>[] = [];

  constructor(private readonly opts: InformerFactoryOptions) {}

  /** The shared informer for a resource; indexers given here are added to it if not present yet. */
  forResource<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: { indexers?: Indexers<T> } = {}): SharedInformer<T> {
    const key = refKey(ref);
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      inf = new SharedInformer<T>({
        source: { client: this.opts.client.resource<T>(ref), namespace: this.opts.namespace },
        name: ref.group ? `${ref.resource}.${ref.group}` : ref.resource,
        resyncPeriodMs: this.opts.defaultResyncMs,
        freeze: this.opts.freeze,
        clock: this.opts.clock,
        log: this.opts.log,
      });
      this.informers.set(key, inf as unknown as SharedInformer<KubeObject>);
    }
    for (const [name, fn] of Object.entries(opts.indexers ?? {})) {
      try {
        inf.addIndexers({ [name]: fn });
      } catch {
        // Already added by another component: index functions under one name are the same function by contract.
      }
    }
    // Informers requested after start() begin at once.
    if (this.signal && !this.started.has(key)) this.startOne(key, inf as unknown as SharedInformer<KubeObject>, this.signal);
    return inf;
  }

  private startOne(key: string, inf: SharedInformer<KubeObject>, signal: AbortSignal): void {
    this.started.add(key);
    this.runs.push(inf.run(signal));
  }

  /** Starts every informer not yet started; they stop when the signal aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const [key, inf] of this.informers) if (!this.started.has(key)) this.startOne(key, inf, signal);
  }

  /** True once every informer has synced; false if the signal aborted first. */
  async waitForCacheSync(signal: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Resolves when every started informer has stopped. */
  async shutdown(): Promise<void> {
    await Promise.allSettled(this.runs);
  }
}

/** Waits for several informers' first lists. */
export async function waitForCacheSync(signal: AbortSignal, ...informers: Array<{ waitForSync(s?: AbortSignal): Promise<boolean> }>): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return results.every(Boolean);
}

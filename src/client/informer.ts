// A shared informer: one reflector filling one indexed cache, fanning changes out to any number of handlers.
// Handlers see onAdd / onUpdate / onDelete; a delete noticed only by a relist arrives as a Tombstone carrying the
// last known state. Handlers may ask for periodic resyncs (onUpdate(obj, obj) for every cached object) so a
// controller heals from anything it missed. Handlers should only enqueue keys: they run on the informer's turn.
import type { KubeObject } from "../api/object.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { realClock, type Clock, type TimerHandle } from "./clock.js";
import { Indexer, type Indexers } from "./indexer.js";
import { Lister } from "./lister.js";
import { Reflector, type ListerWatcher } from "./reflector.js";
import type { ResourceClient } from "./types.js";

/** The final state of an object whose deletion was seen only as its absence from a relist. */
export class Tombstone<T> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

export interface EventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | Tombstone<T>): void;
}

export interface HandlerRegistration {
  remove(): void;
}

/** The object inside a delete notification, whether it came directly or as a tombstone. */
export function unwrapTombstone<T>(obj: T | Tombstone<T>): T {
  return obj instanceof Tombstone ? obj.obj : obj;
}

export interface InformerOptions<T extends KubeObject> {
  /** What to list and watch: a resource client (optionally narrowed) or any ListerWatcher. */
  source: { client: ResourceClient<T>; namespace?: string; labelSelector?: string; fieldSelector?: string } | { lw: ListerWatcher<T> };
  name?: string;
  indexers?: Indexers<T>;
  /** Default resync period for handlers that do not set their own; 0 = none. */
  resyncPeriodMs?: number;
  freeze?: boolean;
  pageSize?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  log?: Logger;
}

interface Registered<T> {
  handler: EventHandler<T>;
  resyncMs: number;
  timer?: TimerHandle;
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly name: string;
  private readonly handlers = new Set<Registered<T>>();
  private readonly reflector: Reflector<T>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private synced = false;
  private running = false;
  private readonly syncWaiters: Array<() => void> = [];

  constructor(private readonly opts: InformerOptions<T>) {
    this.clock = opts.clock ?? realClock;
    this.indexer = new Indexer<T>({ indexers: opts.indexers, freeze: opts.freeze });
    const src = opts.source;
    this.name = opts.name ?? ("client" in src ? src.client.ref.resource : "informer");
    this.log = (opts.log ?? silentLogger).with({ informer: this.name });
    const lw: ListerWatcher<T> =
      "lw" in src
        ? src.lw
        : {
            list: (o) => src.client.list(src.namespace, { ...o, labelSelector: src.labelSelector, fieldSelector: src.fieldSelector }),
            watch: (o, h) => src.client.watch(src.namespace, { ...o, labelSelector: src.labelSelector, fieldSelector: src.fieldSelector }, h),
          };
    this.reflector = new Reflector<T>({
      name: this.name,
      lw,
      sink: { replace: (items) => this.replace(items), add: (o) => this.upsert(o), update: (o) => this.upsert(o), delete: (o) => this.remove(o) },
      pageSize: opts.pageSize,
      backoffInitialMs: opts.backoffInitialMs,
      backoffMaxMs: opts.backoffMaxMs,
      clock: this.clock,
      log: opts.log,
    });
  }

  /** Registers a handler; if the cache is already filled it first receives onAdd for every cached object. */
  addEventHandler(handler: EventHandler<T>, opts: { resyncPeriodMs?: number } = {}): HandlerRegistration {
    const reg: Registered<T> = { handler, resyncMs: opts.resyncPeriodMs ?? this.opts.resyncPeriodMs ?? 0 };
    this.handlers.add(reg);
    if (this.synced) for (const o of this.indexer.list()) this.call(() => handler.onAdd?.(o, true));
    if (this.running) this.scheduleResync(reg);
    return {
      remove: () => {
        reg.timer?.cancel();
        this.handlers.delete(reg);
      },
    };
  }

  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  lister(): Lister<T> {
    return new Lister(this.indexer);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.reflector.lastSyncResourceVersion();
  }

  /** Resolves true once the first list is in the cache, false if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      });
    });
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Lists, watches and resyncs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`informer ${this.name} is already running`);
    this.running = true;
    for (const reg of this.handlers) this.scheduleResync(reg);
    try {
      await this.reflector.run(signal);
    } finally {
      for (const reg of this.handlers) reg.timer?.cancel();
      this.running = false;
    }
  }

  private scheduleResync(reg: Registered<T>): void {
    if (reg.resyncMs <= 0) return;
    reg.timer = this.clock.setTimer(() => {
      if (!this.handlers.has(reg)) return;
      if (this.synced) for (const o of this.indexer.list()) this.call(() => reg.handler.onUpdate?.(o, o));
      this.scheduleResync(reg);
    }, reg.resyncMs);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error("event handler failed", { err });
    }
  }

  private upsert(obj: T): void {
    const old = this.indexer.upsert(obj);
    // The per-event path: handlers called in place, without a closure each.
    for (const { handler } of this.handlers) {
      try {
        if (old) handler.onUpdate?.(old, obj);
        else handler.onAdd?.(obj, false);
      } catch (err) {
        this.log.error("event handler failed", { err });
      }
    }
  }

  private remove(obj: T): void {
    const old = this.indexer.deleteKey(this.indexer.keyFunc(obj));
    if (!old) return;
    for (const { handler } of this.handlers) this.call(() => handler.onDelete?.(obj));
  }

  private replace(items: T[]): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = this.indexer.keyFunc(obj);
      seen.add(key);
      const old = this.indexer.get(key);
      // Unchanged objects (same resourceVersion) are not news; resyncs cover the periodic re-check.
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.indexer.upsert(obj);
      for (const { handler } of this.handlers) this.call(() => (old ? handler.onUpdate?.(old, obj) : handler.onAdd?.(obj, initial)));
    }
    for (const key of this.indexer.listKeys()) {
      if (seen.has(key)) continue;
      const old = this.indexer.deleteKey(key)!;
      const tomb = new Tombstone(key, old);
      for (const { handler } of this.handlers) this.call(() => handler.onDelete?.(tomb));
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }
}

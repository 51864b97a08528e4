// The watch cache: ONE storage watch on /registry/ feeds an in-memory copy of every resource, so the cache's
// revision is the store's global revision. Lists at resourceVersion "0" (or any version it has reached) and every
// watch are served from here; a bounded history of recent events lets watches resume from a resourceVersion.
//
// Contract: events are applied in revision order; subscribers of a resource get them synchronously, in order, on
// the cache's stack (they must only queue). A subscription starts atomically at a revision: initial state plus the
// events after it, with nothing lost or repeated in between.
import type { StoredObject } from "../api/object.js";
import { errors, type StatusError } from "../machinery/errors.js";
import type { KeyValue, Storage, Watch, WatchEvent } from "../storage/types.js";
import { silentLogger, type Logger } from "../util/log.js";
import { freezeJsonData, textWithResourceVersion } from "./adopt.js";
import { rememberJson } from "../util/json_cache.js";
import { decodeKv } from "./codec.js";
import { deepFreeze } from "../util/freeze.js";
import { REGISTRY_PREFIX } from "./storage_keys.js";
import { tooOldResourceVersion, translateStorageError } from "./storage_errors.js";

export interface CacheEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  key: string;
  /** The resource prefix the key belongs to. */
  bucket: string;
  revision: number;
  /** Storage version; resourceVersion = revision. For DELETED: the last state, at the delete's revision. Shared:
   *  never mutate. */
  object: StoredObject;
  /** The state before (MODIFIED, DELETED), resourceVersion = its own modRevision. Shared: never mutate. */
  prevObject?: StoredObject;
}

export interface CacheSubscriber {
  deliver(ev: CacheEvent): void;
  /** The cache cannot continue this subscription (storage watch lost, reinitialized). */
  terminate(err: StatusError): void;
  /** The cache is stopping: end without an error. */
  end(): void;
}

export interface WatchCacheOptions {
  storage: Storage;
  /** The resource prefixes (storage_keys.resourcePrefix) the cache serves. */
  prefixes: string[];
  /** Events kept for resuming watches. Kubernetes keeps up to ~100-10000 per resource; one shared window here. */
  historySize?: number;
  /** Page size of the priming list. */
  pageSize?: number;
  logger?: Logger;
  /** Delay before re-listing after the storage watch fails. */
  retryDelayMs?: number;
}

const DEFAULT_HISTORY = 10_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function firstKey(o: object): string | undefined {
  for (const k in o) return k;
  return undefined;
}

/** A copy of plain object `m` with resourceVersion `rv` as its first key (a loop, not delete + assign: deleting a
 *  key other than the last one turns an object into a slow dictionary-mode object). */
function withResourceVersion(rv: string, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { resourceVersion: rv };
  for (const k in m) if (k !== "resourceVersion") out[k] = m[k];
  return out;
}

/** An object the registry is writing, offered to the cache in place of its stored text (WatchCache.offer). */
interface Offer {
  value: string;
  obj: StoredObject;
}

export class WatchCache {
  /** The revision every event up to which has been applied. */
  revision = 0;
  /** The lowest resourceVersion a watch may resume from (history after it is complete). */
  private oldest = 0;
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private history: CacheEvent[] = [];
  private readonly subscribers = new Map<string, Set<CacheSubscriber>>();
  private waiters: { revision: number; resolve: () => void }[] = [];
  private storageWatch: Watch | undefined;
  private stopped = false;
  private readonly historySize: number;
  private readonly log: Logger;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly offers = new Map<string, Offer>();

  constructor(private readonly opts: WatchCacheOptions) {
    this.historySize = opts.historySize ?? DEFAULT_HISTORY;
    this.log = opts.logger ?? silentLogger;
    for (const p of opts.prefixes) this.buckets.set(p, new Map());
  }

  /** Lists everything under /registry/ at one revision, then watches from it. Resolves when primed. */
  async start(): Promise<void> {
    const { storage } = this.opts;
    const fresh = new Map<string, Map<string, StoredObject>>([...this.buckets.keys()].map((p) => [p, new Map()]));
    let cont: string | undefined;
    let revision = 0;
    do {
      const page = await storage.list(REGISTRY_PREFIX, { limit: this.opts.pageSize ?? 1000, continue: cont });
      revision = page.revision;
      for (const kv of page.items) {
        const bucket = this.bucketOf(kv.key);
        const obj = bucket ? this.decode(kv) : undefined;
        if (bucket && obj) fresh.get(bucket)!.set(kv.key, obj);
      }
      cont = page.continue;
    } while (cont);
    if (this.stopped) return;
    for (const [p, m] of fresh) this.buckets.set(p, m);
    this.history = [];
    this.revision = revision;
    this.oldest = revision;
    this.storageWatch = storage.watch(REGISTRY_PREFIX, {
      sinceRevision: revision,
      onEvents: (events) => this.apply(events),
      onError: (err) => this.onWatchError(err),
    });
    this.log.debug("watch cache primed", { revision });
    this.wake();
  }

  /** Objects held under a resource prefix (apiserver_storage_objects). */
  objectCount(prefix: string): number {
    return this.buckets.get(prefix)?.size ?? 0;
  }

  /** Stops the storage watch and ends every subscription. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.storageWatch?.stop();
    this.storageWatch = undefined;
    const subs = [...this.subscribers.values()].flatMap((s) => [...s]);
    this.subscribers.clear();
    for (const s of subs) s.end();
  }

  /** The bucket (resource prefix) of a key: /registry/<group>/<resource>/ first, then /registry/<resource>/. */
  private bucketOf(key: string): string | undefined {
    // Every key the cache sees comes from storage under REGISTRY_PREFIX. The prefix up to the second "/" after it
    // (/registry/<group>/<resource>/), else up to the first (/registry/<resource>/).
    if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
    const first = key.indexOf("/", REGISTRY_PREFIX.length);
    const second = first < 0 ? -1 : key.indexOf("/", first + 1);
    if (second >= 0) {
      const two = key.slice(0, second + 1);
      if (this.buckets.has(two)) return two;
    }
    const one = first < 0 ? `${key}/` : key.slice(0, first + 1);
    return this.buckets.has(one) ? one : undefined;
  }


  /** A stored value that is not a JSON object is logged and skipped: one bad value must not stop the cache. */
  private decode(kv: KeyValue, revision: number = kv.modRevision): StoredObject | undefined {
    try {
      const obj = decodeKv(kv, revision);
      // Frozen: every reader shares the cached object (codec.fromStorage), so a mutation must fail loudly.
      if (typeof obj === "object" && obj !== null && !Array.isArray(obj)) return deepFreeze(obj);
    } catch {
      /* logged below */
    }
    this.log.error("watch cache skipped an undecodable value", { key: kv.key, revision });
    return undefined;
  }

  /**
   * The registry is about to store `value`, the encodeObject text of `obj`, under `key`. If the storage event for
   * the key carries that same text, the cache holds `obj` itself (resourceVersion set, frozen) instead of parsing
   * the text: the caller must not change `obj` once it is offered, and must call the returned release when the
   * write has settled, whatever its outcome. Equal text means equal data (adopt.ts), so an offer can never put
   * something in the cache that parsing the stored value would not have.
   */
  offer(key: string, value: string, obj: StoredObject): () => void {
    const o: Offer = { value, obj };
    this.offers.set(key, o);
    return () => {
      if (this.offers.get(key) === o) this.offers.delete(key);
    };
  }

  /** The offered object for a create or update event, when its text is the stored value and it is plain data. */
  private adopt(kv: KeyValue, revision: number): StoredObject | undefined {
    const o = this.offers.get(kv.key);
    // The stored value is usually the very string offered: === compares it without reading it.
    if (o === undefined || o.value !== kv.value) return undefined;
    this.offers.delete(kv.key);
    const obj = o.obj;
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
    const rv = String(revision);
    const m = obj.metadata as Record<string, unknown> | undefined | null;
    if (m !== undefined && m !== null && !isPlainObject(m)) return undefined;
    if (m && Object.isFrozen(m)) {
      // The cache's own metadata (written again unchanged): right only at its own revision, and then resourceVersion
      // need not be its first key (a parsed object has it last), so the text is left to jsonOf.
      return m.resourceVersion === rv && freezeJsonData(obj) ? obj : undefined;
    }
    // resourceVersion first in metadata: the object's JSON text is then the stored text with that one field
    // inserted, which every answer and watch event of it reuses (jsonOf) instead of serializing it again.
    if (!m) obj.metadata = { resourceVersion: rv };
    else if (firstKey(m) === "resourceVersion") m.resourceVersion = rv;
    else obj.metadata = withResourceVersion(rv, m);
    if (!freezeJsonData(obj)) return undefined;
    const text = textWithResourceVersion(obj as unknown as Record<string, unknown>, kv.value, rv);
    if (text !== undefined) rememberJson(obj, text);
    return obj;
  }

  private apply(events: WatchEvent[]): void {
    for (const ev of events) {
      const rev = ev.kv.modRevision;
      if (rev <= this.revision) continue;
      this.revision = rev;
      const bucket = this.bucketOf(ev.kv.key);
      if (!bucket) continue;
      const objects = this.buckets.get(bucket)!;
      const object = (ev.type !== "delete" && this.offers.size > 0 ? this.adopt(ev.kv, rev) : undefined) ?? this.decode(ev.type === "delete" ? (ev.prevKv ?? ev.kv) : ev.kv, rev);
      const prevObject = objects.get(ev.kv.key);
      if (!object) {
        objects.delete(ev.kv.key);
        continue;
      }
      const type = ev.type === "delete" ? "DELETED" : prevObject ? "MODIFIED" : "ADDED";
      const ce: CacheEvent = { type, key: ev.kv.key, bucket, revision: rev, object, prevObject };
      if (type === "DELETED") objects.delete(ce.key);
      else objects.set(ce.key, object);
      this.history.push(ce);
      for (const s of this.subscribers.get(bucket) ?? []) {
        try {
          s.deliver(ce);
        } catch (err) {
          // A subscriber's filter failed on this object: end that watch, keep serving the others.
          this.log.warn("watch subscriber failed; ending it", { key: ce.key, err });
          this.subscribers.get(bucket)?.delete(s);
          s.terminate(errors.internal(`watch ended: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    this.trimHistory();
    this.wake();
  }

  private trimHistory(): void {
    // Trim in chunks so the splice cost is amortized over many events.
    const slack = Math.max(1, Math.floor(this.historySize / 10));
    if (this.history.length <= this.historySize + slack - 1) return;
    const drop = this.history.length - this.historySize;
    this.oldest = this.history[drop - 1]!.revision;
    this.history.splice(0, drop);
  }

  private onWatchError(err: Error): void {
    if (this.stopped) return;
    this.log.warn("watch cache lost its storage watch; re-listing", { err });
    this.storageWatch?.stop();
    this.storageWatch = undefined;
    const status = translateStorageError(err, { gr: { group: "", resource: "" } });
    const gone = status.code === 410 ? status : errors.gone(`watch cache reinitialized: ${status.message}`);
    for (const subs of this.subscribers.values()) for (const s of subs) s.terminate(gone);
    this.subscribers.clear();
    const retry = (): void => {
      if (this.stopped) return;
      this.start().catch((e: unknown) => {
        this.log.error("watch cache re-list failed", { err: e });
        this.retryTimer = setTimeout(retry, this.opts.retryDelayMs ?? 1000);
      });
    };
    retry();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.revision <= this.revision);
    this.waiters = this.waiters.filter((w) => w.revision > this.revision);
    for (const w of ready) w.resolve();
  }

  /** Resolves true once the cache has reached `revision`, false after timeoutMs. */
  waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (revision <= this.revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits until the cache has every write acknowledged before the call; false when it did not get there. */
  async waitFresh(timeoutMs: number): Promise<boolean> {
    return this.waitFor(await this.opts.storage.currentRevision(), timeoutMs);
  }

  get(key: string): StoredObject | undefined {
    const bucket = this.bucketOf(key);
    return bucket ? this.buckets.get(bucket)!.get(key) : undefined;
  }

  /** The objects under `prefix` (a bucket or a namespace inside one), in key order, at this.revision. Shared. */
  list(bucket: string, prefix: string = bucket): StoredObject[] {
    const objects = this.buckets.get(bucket);
    if (!objects) return [];
    const out: [string, StoredObject][] = [];
    for (const [k, o] of objects) if (k.startsWith(prefix)) out.push([k, o]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map(([, o]) => o);
  }

  /**
   * Subscribes to a bucket. With fromRevision, the subscriber first receives the history after it (410 when it
   * is older than the window); without, it starts at this.revision. Returns the start revision.
   */
  subscribe(bucket: string, sub: CacheSubscriber, fromRevision?: number): { revision: number; unsubscribe: () => void } {
    if (fromRevision !== undefined) {
      if (fromRevision < this.oldest) throw tooOldResourceVersion(fromRevision, this.oldest);
      for (const ev of this.history) if (ev.revision > fromRevision && ev.bucket === bucket) sub.deliver(ev);
    }
    let subs = this.subscribers.get(bucket);
    if (!subs) this.subscribers.set(bucket, (subs = new Set()));
    subs.add(sub);
    return { revision: this.revision, unsubscribe: () => void this.subscribers.get(bucket)?.delete(sub) };
  }

  /** Test hook: how many subscribers a bucket has. */
  subscriberCount(bucket: string): number {
    return this.subscribers.get(bucket)?.size ?? 0;
  }
}

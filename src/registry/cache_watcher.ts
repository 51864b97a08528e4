// One client's watch, fed by the watch cache: filters events by namespace/labels/fields (an object that stops
// matching is sent as DELETED, one that starts matching as ADDED), converts to the served version, sends
// bookmarks, ends after timeoutSeconds. Delivery is asynchronous and bounded: a consumer that falls more than
// maxBuffer events behind is dropped with an ERROR event, so a slow watcher never blocks the cache or others.
import type { StoredObject } from "../api/object.js";
import type { Status, StatusError } from "../machinery/errors.js";
import { errors } from "../machinery/errors.js";
import type { VersionCodec } from "./codec.js";
import { apiVersionOf } from "./codec.js";
import type { WatchEventOut, WatchStream } from "./rest.js";
import type { ObjectFilter } from "./selectors.js";
import type { CacheEvent, CacheSubscriber } from "./watch_cache.js";

type Item =
  | { kind: "event"; type: "ADDED" | "MODIFIED" | "DELETED"; object: StoredObject; revision: number }
  | { kind: "bookmark"; revision: number; initialEventsEnd: boolean }
  | { kind: "error"; status: Status };

export interface CacheWatcherOptions {
  codec: VersionCodec;
  version: string;
  filter: ObjectFilter;
  allowBookmarks: boolean;
  /** The cache's current revision, for periodic bookmarks. */
  currentRevision: () => number;
  bookmarkIntervalMs: number;
  timeoutMs?: number;
  maxBuffer: number;
  onStop: () => void;
}

/** The annotation of the bookmark that ends the initial events of a sendInitialEvents watch. */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

export class CacheWatcher implements WatchStream, CacheSubscriber {
  private queue: Item[] = [];
  private head = 0;
  private handlers: { onEvent: (e: WatchEventOut) => void | boolean; onClose: () => void } | undefined;
  private paused = false;
  private scheduled = false;
  private closing = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: CacheWatcherOptions) {}

  /** Initial state: ADDED for every matching object (sendInitialEvents / resourceVersion ""/"0"). */
  addInitial(objects: StoredObject[], revision: number, endBookmark: boolean): void {
    for (const o of objects) if (this.opts.filter.matches(o)) this.push({ kind: "event", type: "ADDED", object: o, revision: Number(o.metadata.resourceVersion) });
    if (endBookmark) this.push({ kind: "bookmark", revision, initialEventsEnd: true });
  }

  deliver(ev: CacheEvent): void {
    if (this.closing) return;
    const f = this.opts.filter;
    if (ev.type === "DELETED") {
      if (f.matches(ev.object)) this.push({ kind: "event", type: "DELETED", object: ev.object, revision: ev.revision });
      return;
    }
    const cur = f.matches(ev.object);
    const prev = ev.prevObject !== undefined && f.matches(ev.prevObject);
    if (cur) this.push({ kind: "event", type: prev ? "MODIFIED" : "ADDED", object: ev.object, revision: ev.revision });
    else if (prev) this.push({ kind: "event", type: "DELETED", object: ev.prevObject!, revision: ev.revision });
  }

  terminate(err: StatusError): void {
    this.fail(err.status);
  }

  end(): void {
    this.stop();
  }

  private push(item: Item): void {
    if (this.closing) return;
    this.queue.push(item);
    if (this.queue.length - this.head > this.opts.maxBuffer) {
      this.fail(errors.gone(`watch closed: the client fell more than ${this.opts.maxBuffer} events behind`).status);
      return;
    }
    this.schedule();
  }

  /** Ends the watch with an ERROR event, delivered even to a paused consumer (nothing else will follow). */
  private fail(status: Status): void {
    if (this.closing) return;
    this.queue = [{ kind: "error", status }];
    this.head = 0;
    this.closing = true;
    this.opts.onStop();
    this.paused = false;
    this.schedule();
  }

  start(handlers: { onEvent: (e: WatchEventOut) => void | boolean; onClose: () => void }): void {
    if (this.handlers) throw new Error("watch stream already started");
    this.handlers = handlers;
    if (this.opts.allowBookmarks) {
      const t = setInterval(() => this.push({ kind: "bookmark", revision: this.opts.currentRevision(), initialEventsEnd: false }), this.opts.bookmarkIntervalMs);
      t.unref?.();
      this.timers.push(t);
    }
    if (this.opts.timeoutMs !== undefined) {
      const t = setTimeout(() => this.stop(), this.opts.timeoutMs);
      t.unref?.();
      this.timers.push(t);
    }
    this.schedule();
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Ends the watch: no more events, then onClose. Idempotent. */
  stop(): void {
    if (this.closed) return;
    this.closing = true;
    this.queue = [];
    this.head = 0;
    this.opts.onStop();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.handlers?.onClose();
  }

  private schedule(): void {
    if (this.scheduled || !this.handlers || this.paused || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const h = this.handlers;
    if (!h || this.closed) return;
    while (this.head < this.queue.length && !this.paused && !this.closed) {
      const item = this.queue[this.head++]!;
      try {
        const out = this.render(item);
        if (item.kind === "error") {
          h.onEvent(out);
          this.finish();
          return;
        }
        if (h.onEvent(out) === false) this.paused = true;
      } catch {
        // A consumer (or a converter) that throws ends its own watch, never the process or other watches.
        this.closing = true;
        this.opts.onStop();
        this.finish();
        return;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private render(item: Item): WatchEventOut {
    const { codec, version } = this.opts;
    switch (item.kind) {
      case "error":
        return { type: "ERROR", object: item.status };
      case "bookmark": {
        const metadata: StoredObject["metadata"] = { resourceVersion: String(item.revision) };
        if (item.initialEventsEnd) metadata.annotations = { [INITIAL_EVENTS_END]: "true" };
        return { type: "BOOKMARK", object: { kind: codec.def.kind, apiVersion: apiVersionOf(codec.def.group, version), metadata } };
      }
      case "event": {
        const obj = codec.fromStorage(item.object, version);
        const rv = String(item.revision);
        // Cached objects are shared and frozen: a different version (a delete's) goes on a shallow copy.
        if (obj.metadata.resourceVersion === rv) return { type: item.type, object: obj };
        return { type: item.type, object: { ...obj, metadata: { ...obj.metadata, resourceVersion: rv } } };
      }
    }
  }
}

// The reflector keeps a sink in step with the server: list (in pages), then watch from the list's
// resourceVersion with bookmarks. A watch that ends is resumed from the last resourceVersion seen; a 410 Gone
// (as an answer or an ERROR event) means that version is compacted away, so it lists again. Failures back off
// exponentially so an unreachable server is not hammered.
import type { KubeList, KubeObject } from "../api/object.js";
import { isGone, isStatusError, type Status } from "../machinery/errors.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { realClock, sleep, type Clock } from "./clock.js";
import type { ListOptions, WatchHandle, WatchHandlers, WatchOptions } from "./types.js";

export interface ListerWatcher<T extends KubeObject> {
  list(opts: ListOptions): Promise<KubeList<T>>;
  watch(opts: WatchOptions, handlers: WatchHandlers<T>): WatchHandle;
}

/** Where the reflector delivers what it sees. replace() is a full list: anything not in it is gone. */
export interface ReflectorSink<T> {
  replace(items: T[], resourceVersion: string): void;
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
}

export interface ReflectorOptions<T extends KubeObject> {
  name: string;
  lw: ListerWatcher<T>;
  sink: ReflectorSink<T>;
  /** Page size of lists (0 = unpaged); Kubernetes informers use 500. */
  pageSize?: number;
  /** Server-side watch timeout; a fresh watch every few minutes spreads reconnects. */
  watchTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  log?: Logger;
}

type WatchOutcome = "closed" | "expired" | "error";

export class Reflector<T extends KubeObject> {
  private lastRv = "";
  private readonly clock: Clock;
  private readonly log: Logger;
  private backoffMs: number;

  constructor(private readonly opts: ReflectorOptions<T>) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ reflector: opts.name });
    this.backoffMs = opts.backoffInitialMs ?? 800;
  }

  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  private async backoff(signal: AbortSignal): Promise<void> {
    await sleep(this.clock, this.backoffMs, signal);
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? 30_000);
  }

  private resetBackoff(): void {
    this.backoffMs = this.opts.backoffInitialMs ?? 800;
  }

  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAll();
          needList = false;
        }
      } catch (err) {
        this.log.warn("list failed", { err });
        await this.backoff(signal);
        continue;
      }
      const outcome = await this.watchOnce(signal);
      if (signal.aborted) return;
      if (outcome === "expired") {
        this.log.info("watch expired, relisting", { resourceVersion: this.lastRv });
        needList = true;
      } else if (outcome === "error") await this.backoff(signal);
    }
  }

  private async listAll(): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    const items: T[] = [];
    let rv = "";
    let cont: string | undefined;
    do {
      let page: KubeList<T>;
      try {
        page = await this.opts.lw.list({ limit: pageSize || undefined, continue: cont });
      } catch (err) {
        // The snapshot a continue token names was compacted: start over with one unpaged list.
        if (!(cont && isGone(err))) throw err;
        items.length = 0;
        page = await this.opts.lw.list({});
        cont = undefined;
        rv = "";
      }
      if (!rv) rv = page.metadata.resourceVersion ?? "";
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    this.lastRv = rv;
    this.opts.sink.replace(items, rv);
  }

  private watchOnce(signal: AbortSignal): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let outcome: WatchOutcome = "closed";
      let events = 0;
      const handlers: WatchHandlers<T> = {
        onEvent: (ev) => {
          if (ev.type === "ERROR") {
            const status = ev.object as Status;
            outcome = status.code === 410 ? "expired" : "error";
            this.log.warn("watch error event", { code: status.code, reason: status.reason, message: status.message });
            handle.stop();
            return;
          }
          const obj = ev.object as T;
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.lastRv = rv;
          events++;
          if (ev.type === "ADDED") this.opts.sink.add(obj);
          else if (ev.type === "MODIFIED") this.opts.sink.update(obj);
          else if (ev.type === "DELETED") this.opts.sink.delete(obj);
        },
        onError: (err) => {
          outcome = isGone(err) ? "expired" : "error";
          if (!isStatusError(err) || !isGone(err)) this.log.warn("watch failed", { err });
        },
        onClose: () => {
          signal.removeEventListener("abort", onAbort);
          if (outcome === "closed" && events > 0) this.resetBackoff();
          // A watch closing at once with nothing delivered, again and again, would spin: treat it as an error.
          resolve(outcome === "closed" && events === 0 && this.clock.now() - started < 100 ? "error" : outcome);
        },
      };
      const started = this.clock.now();
      const handle = this.opts.lw.watch(
        {
          resourceVersion: this.lastRv,
          allowWatchBookmarks: true,
          timeoutSeconds: this.opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300),
        },
        handlers,
      );
      const onAbort = (): void => handle.stop();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

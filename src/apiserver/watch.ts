// Serving a watch over HTTP: chunked, newline-delimited {"type","object"} events. Headers are flushed at once
// (clients such as `kubectl wait` block until they see them). The stream ends on client disconnect, on
// timeoutSeconds, when the registry ends it, or when the server shuts down.
import { jsonOf } from "../util/json_cache.js";
import type { ServerResponse } from "node:http";
import type { WatchEventOut, WatchStream } from "../registry/rest.js";
import type { Logger } from "../util/log.js";

/** Live watches, so shutdown can end them all. */
export class WatchTracker {
  private readonly live = new Set<() => void>();
  add(end: () => void): () => void {
    this.live.add(end);
    return () => this.live.delete(end);
  }
  get size(): number {
    return this.live.size;
  }
  endAll(): void {
    for (const end of [...this.live]) end();
  }
}

export interface ServeWatchOptions {
  timeoutSeconds: number;
  tracker: WatchTracker;
  /** Rewrites event objects (Table rows, PartialObjectMetadata); `first` is true for the first event. */
  transform?: (e: WatchEventOut, first: boolean) => unknown;
  logger: Logger;
}

/** The text before each event's object, per event type. */
const EVENT_HEADS: Record<string, string> = Object.fromEntries(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"].map((t) => [t, `{"type":"${t}","object":`]));

export function serveWatch(res: ServerResponse, stream: WatchStream, opts: ServeWatchOptions): void {
  res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  let ended = false;
  let first = true;
  // Events delivered in the same tick (a replay, a burst of writes, a commit of many) leave in one chunk and one
  // socket write at the end of the tick, instead of a write (chunk size, data, CRLF) and a UTF-8 length count each.
  let pending: string[] | undefined;
  let pendingLength = 0;
  const flush = (): void => {
    const texts = pending;
    pending = undefined;
    pendingLength = 0;
    // As one string: a Buffer of it would be allocated outside node's pool (a tick's events are often more than 4 KiB).
    if (texts && !res.writableEnded) res.write(texts.length === 1 ? texts[0]! : texts.join(""));
  };
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    untrack();
    try {
      stream.stop();
    } catch (err) {
      opts.logger.warn("watch stop failed", { err });
    }
    // Events already accepted go out before the end.
    flush();
    if (!res.writableEnded) res.end();
  };
  const untrack = opts.tracker.add(end);
  const timer = setTimeout(end, opts.timeoutSeconds * 1000);
  timer.unref();
  res.on("close", end);
  res.on("drain", () => stream.resume?.());
  stream.start({
    onEvent: (e) => {
      if (ended) return;
      const object = opts.transform && e.type !== "ERROR" && e.type !== "BOOKMARK" ? opts.transform(e, first) : e.object;
      if (e.type !== "ERROR" && e.type !== "BOOKMARK") first = false;
      // The object's text is shared by every watcher of it (jsonOf memoizes frozen cached objects).
      const text = `${EVENT_HEADS[e.type] ?? `{"type":${JSON.stringify(e.type)},"object":`}${jsonOf(object)}}\n`;
      if (!pending) {
        pending = [];
        process.nextTick(flush);
      }
      pending.push(text);
      pendingLength += text.length;
      // A tick's events past the response's buffer size leave at once, so that a large replay to a slow client waits
      // for the socket instead of piling up here.
      if (pendingLength >= res.writableHighWaterMark) flush();
      // Backpressure: while a write waits for the socket to drain, the registry's delivery pauses (that write's
      // "drain" resumes it); this event is accepted either way.
      return !res.writableNeedDrain;
    },
    onClose: end,
  });
}

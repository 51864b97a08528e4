// Collects a registry watch's events for tests and waits for conditions on them.
import type { WatchEventOut, WatchStream } from "../rest.js";

export class EventCollector {
  readonly events: WatchEventOut[] = [];
  closed = false;
  private wake: (() => void) | undefined;

  constructor(readonly stream: WatchStream, opts: { onEvent?: (e: WatchEventOut) => boolean | void } = {}) {
    stream.start({
      onEvent: (e) => {
        this.events.push(e);
        this.wake?.();
        return opts.onEvent?.(e);
      },
      onClose: () => {
        this.closed = true;
        this.wake?.();
      },
    });
  }

  /** "TYPE name" per event (BOOKMARK/ERROR: "TYPE rv" / "ERROR code"). */
  summary(): string[] {
    return this.events.map((e) => {
      const o = e.object as { metadata?: { name?: string; resourceVersion?: string }; code?: number };
      if (e.type === "ERROR") return `ERROR ${o.code}`;
      if (e.type === "BOOKMARK") return `BOOKMARK`;
      return `${e.type} ${o.metadata?.name}`;
    });
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.summary().slice(-10))} closed=${this.closed}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  waitForCount(n: number): Promise<void> {
    return this.waitFor(() => this.events.length >= n, `${n} events`);
  }
}

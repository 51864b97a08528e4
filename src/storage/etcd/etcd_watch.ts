// One Storage watch on etcd's Watch stream. It remembers the revision of the last event it delivered, so when
// the stream breaks (member died, connection lost) it reopens on another endpoint from the next revision and
// the caller sees every event once, in order. etcd reporting a compacted start revision ends it with Expired.
import type grpc from "@grpc/grpc-js";
import { StorageError, storageErrors } from "../errors.js";
import type { Logger } from "../../util/log.js";
import type { KeyValue, Watch, WatchEvent } from "../types.js";
import type { EtcdClient, WatchStream } from "./etcd_client.js";
import type { PbEvent, PbKeyValue, WatchResponse } from "./proto.js";

export interface EtcdWatchOptions {
  client: EtcdClient;
  /** First etcd key and range end of the watched prefix (with the store's key prefix applied). */
  key: Buffer;
  rangeEnd: Buffer;
  sinceRevision: number;
  /** Converts an etcd kv into the Storage view (strips the store's key prefix). */
  toKv: (kv: PbKeyValue) => KeyValue;
  onEvents: (events: WatchEvent[]) => void;
  onError: (err: Error) => void;
  /** Resolves when sinceRevision is still readable; rejects with Expired when it was compacted. */
  checkRevision: (revision: number) => Promise<void>;
  /** Called once when the watch ends for any reason (stop, error, store closed). */
  onEnd: () => void;
  logger: Logger;
  /** How long the watch keeps reconnecting before it gives up with Unavailable. */
  retryBudgetMs: number;
}

export class EtcdWatch implements Watch {
  private last: number;
  private ended = false;
  private current: WatchStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failingSince: number | undefined;
  private failures = 0;

  constructor(private readonly o: EtcdWatchOptions) {
    this.last = o.sinceRevision;
  }

  start(): void {
    void this.o
      .checkRevision(this.o.sinceRevision)
      .then(() => this.connect())
      .catch((err: unknown) => this.fail(err instanceof Error ? err : new StorageError("Internal", String(err))));
  }

  /** The revision of the last delivered event (or sinceRevision). */
  get lastRevision(): number {
    return this.last;
  }

  stop(): void {
    this.end();
  }

  private end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const cur = this.current;
    this.current = undefined;
    cur?.stream.cancel();
    this.o.onEnd();
    return true;
  }

  private fail(err: Error): void {
    if (this.end()) this.o.onError(err);
  }

  private connect(): void {
    if (this.ended) return;
    if (this.o.client.isClosed) {
      this.end();
      return;
    }
    const ws = this.o.client.openWatch();
    this.current = ws;
    ws.stream.on("data", (res: WatchResponse) => this.onResponse(ws, res));
    ws.stream.on("error", (err: grpc.ServiceError) => this.onBroken(ws, err.details || err.message));
    ws.stream.on("end", () => this.onBroken(ws, "stream ended by the server"));
    ws.stream.write({
      create_request: { key: this.o.key, range_end: this.o.rangeEnd, start_revision: this.last + 1, prev_kv: true },
    });
  }

  private onResponse(ws: WatchStream, res: WatchResponse): void {
    if (this.ended || ws !== this.current) return;
    if (res.compact_revision > 0) {
      this.fail(storageErrors.expired(this.last, res.compact_revision));
      return;
    }
    if (res.canceled) {
      this.onBroken(ws, `watch canceled by etcd: ${res.cancel_reason || "no reason given"}`);
      return;
    }
    if (res.created && this.failingSince !== undefined) {
      this.o.logger.info("etcd watch resumed", { endpoint: ws.endpoint, fromRevision: this.last + 1 });
    }
    if (res.created) {
      this.failingSince = undefined;
      this.failures = 0;
    }
    if (res.events.length === 0) return;
    // After a reconnect etcd may resend what the old stream already delivered; skip by revision. Compare with
    // the revision before this response so several events of one revision all pass.
    const before = this.last;
    const out: WatchEvent[] = [];
    for (const ev of res.events) {
      if (!ev.kv || ev.kv.mod_revision <= before) continue;
      out.push(this.translate(ev));
      this.last = Math.max(this.last, ev.kv.mod_revision);
    }
    if (out.length > 0) this.o.onEvents(out);
  }

  private translate(ev: PbEvent): WatchEvent {
    const kv = ev.kv!;
    const prev = ev.prev_kv ? this.o.toKv(ev.prev_kv) : undefined;
    if (ev.type === "DELETE") {
      const { key } = this.o.toKv(kv);
      return {
        type: "delete",
        kv: { key, value: prev?.value ?? "", createRevision: prev?.createRevision ?? 0, modRevision: kv.mod_revision },
        prevKv: prev,
      };
    }
    const cur = this.o.toKv(kv);
    if (kv.create_revision === kv.mod_revision) return { type: "create", kv: cur };
    return { type: "update", kv: cur, prevKv: prev };
  }

  private onBroken(ws: WatchStream, why: string): void {
    if (this.ended || ws !== this.current) return;
    this.current = undefined;
    ws.stream.cancel();
    if (this.o.client.isClosed) {
      this.end();
      return;
    }
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > this.o.retryBudgetMs) {
      this.fail(new StorageError("Unavailable", `etcd watch could not be resumed for ${this.o.retryBudgetMs} ms: ${why}`));
      return;
    }
    this.o.client.markFailed(this.o.client.indexOf(ws.endpoint));
    this.failures++;
    // The first retry goes straight to the next member; later ones back off while the cluster recovers.
    const delay = this.failures <= 1 ? 0 : Math.min(1000, 25 * 2 ** this.failures);
    this.o.logger.warn("etcd watch broken, resuming", { endpoint: ws.endpoint, why, fromRevision: this.last + 1, delayMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      try {
        this.connect();
      } catch (err) {
        this.fail(err instanceof Error ? err : new StorageError("Internal", String(err)));
      }
    }, delay);
  }
}

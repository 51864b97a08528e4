// A small etcd v3 gRPC client over several endpoints. Calls go to one "current" endpoint; when it cannot be
// reached the client moves to the next one. A request is retried elsewhere only when it surely did not run
// (no connection, or the member has no leader) or when it is a read; a write that may have run is reported as
// Unavailable, because repeating it could apply it twice.
import grpc from "@grpc/grpc-js";
import { StorageError, storageErrors } from "../errors.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { unaryCodec, watchCodec, type MethodCodec, type UnaryMethod, type UnaryMethods, type WatchRequest, type WatchResponse } from "./proto.js";

export interface EtcdClientOptions {
  /** "host:port" client URLs of the members. */
  endpoints: string[];
  logger?: Logger;
  /** Deadline of one attempt. etcd itself gives up on a proposal after ~5 s + 2 election timeouts. */
  attemptTimeoutMs?: number;
  /** How long a call keeps trying other endpoints before it fails with Unavailable. */
  retryBudgetMs?: number;
}

/** An error status from the etcd server (or gRPC) that the client did not retry. */
export class EtcdRpcError extends Error {
  readonly grpcCode: number;
  readonly details: string;
  constructor(method: string, endpoint: string, err: grpc.ServiceError) {
    super(`etcd ${method} at ${endpoint}: ${err.details || err.message}`, { cause: err });
    this.name = "EtcdRpcError";
    this.grpcCode = err.code;
    this.details = err.details || err.message;
  }
}

export interface WatchStream {
  stream: grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  endpoint: string;
}

type Failure = "not-sent" | "maybe-sent" | "final";

/** Whether a failed call can be repeated elsewhere without risk of running twice. */
export function classifyFailure(err: grpc.ServiceError): Failure {
  const details = err.details || err.message || "";
  if (/no leader|too many requests|not capable|No connection established|ECONNREFUSED|Failed to connect|name resolution/i.test(details)) return "not-sent";
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) return "maybe-sent";
  if (/request timed out|leader changed|timed out due to/i.test(details)) return "maybe-sent";
  return "final";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class EtcdClient {
  readonly endpoints: readonly string[];
  private readonly conns: (grpc.Client | undefined)[];
  private readonly log: Logger;
  private readonly attemptTimeoutMs: number;
  private readonly retryBudgetMs: number;
  private current = 0;
  private closed = false;
  private readonly codecs = new Map<string, MethodCodec<never, unknown>>();
  private readonly watchMethod = watchCodec();

  constructor(opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new StorageError("Internal", "etcd client: no endpoints given");
    this.endpoints = [...opts.endpoints];
    this.conns = this.endpoints.map(() => undefined);
    this.log = opts.logger ?? silentLogger;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 15_000;
    this.retryBudgetMs = opts.retryBudgetMs ?? 20_000;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The endpoint calls and new watches currently go to. */
  currentEndpoint(): string {
    return this.endpoints[this.current]!;
  }

  private conn(i: number): grpc.Client {
    let c = this.conns[i];
    if (!c) {
      c = new grpc.Client(this.endpoints[i]!, grpc.credentials.createInsecure(), {
        // A list of many objects easily exceeds gRPC's 4 MiB default.
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
        // Notice a silently dead member under a long watch. etcd answers pings more often than every 5 s, or
        // pings on a connection without calls, with GOAWAY (too_many_pings), so ping every 10 s and only while
        // calls are active.
        "grpc.keepalive_time_ms": 10_000,
        "grpc.keepalive_timeout_ms": 5_000,
        "grpc.keepalive_permit_without_calls": 0,
        "grpc.initial_reconnect_backoff_ms": 100,
        "grpc.max_reconnect_backoff_ms": 2_000,
      });
      this.conns[i] = c;
    }
    return c;
  }

  /** Moves to the next endpoint if `failed` is still the current one (several calls may report one failure). */
  markFailed(failed: number): void {
    if (this.endpoints.length > 1 && this.current === failed) {
      this.current = (failed + 1) % this.endpoints.length;
      this.log.warn("etcd endpoint failed, switching", { failed: this.endpoints[failed], next: this.endpoints[this.current] });
    }
  }

  indexOf(endpoint: string): number {
    return this.endpoints.indexOf(endpoint);
  }

  /** Shared by every call (grpc-js copies metadata when a call starts). Asks members without a raft leader to
   *  refuse at once instead of blocking until a timeout. */
  private readonly requireLeader = (() => {
    const md = new grpc.Metadata();
    md.set("hasleader", "true");
    return md;
  })();

  private metadata(): grpc.Metadata {
    return this.requireLeader;
  }

  private codec<M extends UnaryMethod>(method: M): MethodCodec<UnaryMethods[M][0], UnaryMethods[M][1]> {
    let c = this.codecs.get(method);
    if (!c) {
      c = unaryCodec(method) as MethodCodec<never, unknown>;
      this.codecs.set(method, c);
    }
    return c as unknown as MethodCodec<UnaryMethods[M][0], UnaryMethods[M][1]>;
  }

  private attempt<M extends UnaryMethod>(i: number, method: M, req: UnaryMethods[M][0]): Promise<UnaryMethods[M][1]> {
    const codec = this.codec(method);
    return new Promise((resolve, reject) => {
      this.conn(i).makeUnaryRequest(
        codec.path,
        codec.serialize,
        codec.deserialize,
        req,
        this.metadata(),
        { deadline: Date.now() + this.attemptTimeoutMs },
        (err, res) => (err ? reject(err) : resolve(res as UnaryMethods[M][1])),
      );
    });
  }

  /** One unary call with failover. `idempotent` calls (reads) are also retried when they may have run. */
  async call<M extends UnaryMethod>(method: M, req: UnaryMethods[M][0], opts: { idempotent: boolean }): Promise<UnaryMethods[M][1]> {
    const deadline = Date.now() + this.retryBudgetMs;
    let tries = 0;
    for (;;) {
      if (this.closed) throw storageErrors.closed();
      const i = this.current;
      try {
        return await this.attempt(i, method, req);
      } catch (e) {
        if (this.closed) throw storageErrors.closed();
        const err = e as grpc.ServiceError;
        const kind = classifyFailure(err);
        const endpoint = this.endpoints[i]!;
        if (kind === "final") throw new EtcdRpcError(method, endpoint, err);
        if (kind === "maybe-sent" && !opts.idempotent) {
          this.markFailed(i);
          throw new StorageError("Unavailable", `etcd ${method} at ${endpoint} failed and may or may not have been applied: ${err.details || err.message}`, { cause: err });
        }
        this.markFailed(i);
        tries++;
        if (Date.now() > deadline) {
          throw new StorageError("Unavailable", `etcd ${method}: no endpoint of ${this.endpoints.join(",")} answered: ${err.details || err.message}`, { cause: err });
        }
        this.log.debug("etcd call retry", { method, endpoint, tries, err: err.details || err.message });
        // Try each endpoint once quickly, then back off while the cluster elects a leader or restarts.
        if (tries % this.endpoints.length === 0) await sleep(Math.min(1000, 50 * 2 ** Math.floor(tries / this.endpoints.length)));
      }
    }
  }

  /** Opens a Watch stream on the current endpoint. The caller handles its errors and calls markFailed. */
  openWatch(): WatchStream {
    if (this.closed) throw storageErrors.closed();
    const i = this.current;
    const m = this.watchMethod;
    const stream = this.conn(i).makeBidiStreamRequest(m.path, m.serialize, m.deserialize, this.metadata(), {});
    return { stream, endpoint: this.endpoints[i]! };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.conns) c?.close();
  }
}

// The Storage contract on a real etcd v3 cluster. A key's modRevision is etcd's mod_revision; every write is one
// etcd transaction whose compare is the contract's precondition, so etcd does the compare-and-swap.
import { StorageError, storageErrors } from "../errors.js";
import { validateKey, validatePrefix, validateValue } from "../keys.js";
import type { DeleteOptions, KeyValue, ListOptions, ListResult, Storage, UpdateOptions, Watch, WatchOptions } from "../types.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { decodeContinue, encodeContinue } from "./continue_token.js";
import { EtcdClient, EtcdRpcError } from "./etcd_client.js";
import { EtcdWatch } from "./etcd_watch.js";
import type { Compare, PbKeyValue } from "./proto.js";

export interface EtcdStorageOptions {
  /** "host:port" client endpoints of the etcd members. */
  endpoints: string[];
  logger?: Logger;
  /** Prepended to every key in etcd (like kube-apiserver's --etcd-prefix), so several stores can share a cluster.
   *  Empty, or starting with "/" and not ending with "/". */
  prefix?: string;
  /** Deadline of one etcd request attempt. */
  attemptTimeoutMs?: number;
  /** How long calls and watches keep trying other members before failing with Unavailable. */
  retryBudgetMs?: number;
}

const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;

/** The smallest key greater than every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: every key from prefix on
}

function rpcDetails(err: unknown): string {
  return err instanceof EtcdRpcError ? err.details : "";
}

export class EtcdStorage implements Storage {
  private readonly client: EtcdClient;
  private readonly prefix: string;
  private readonly log: Logger;
  private readonly retryBudgetMs: number;
  private readonly watches = new Set<EtcdWatch>();
  /** The highest compaction this store has seen (its own, or reported by etcd); a lower bound for lookups. */
  private knownCompacted = 0;
  private closed = false;

  constructor(opts: EtcdStorageOptions) {
    const prefix = opts.prefix ?? "";
    if (prefix !== "" && (!prefix.startsWith("/") || prefix.endsWith("/"))) {
      throw new StorageError("InvalidKey", `etcd key prefix ${JSON.stringify(prefix)} must be empty or start with "/" and not end with "/"`);
    }
    this.prefix = prefix;
    this.log = (opts.logger ?? silentLogger).with({ component: "etcd-storage" });
    this.retryBudgetMs = opts.retryBudgetMs ?? 20_000;
    this.client = new EtcdClient({ endpoints: opts.endpoints, logger: this.log, attemptTimeoutMs: opts.attemptTimeoutMs, retryBudgetMs: this.retryBudgetMs });
  }

  /** The endpoint requests and new watches go to now (it moves when a member fails). */
  currentEndpoint(): string {
    return this.client.currentEndpoint();
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key, "utf8");
  }

  private toKv(kv: PbKeyValue): KeyValue {
    return {
      key: kv.key.toString("utf8").slice(this.prefix.length),
      value: kv.value.toString("utf8"),
      createRevision: kv.create_revision,
      modRevision: kv.mod_revision,
    };
  }

  private checkOpen(): void {
    if (this.closed) throw storageErrors.closed();
  }

  private translate(err: unknown, what: string): Error {
    if (err instanceof StorageError) return err;
    if (/request is too large/.test(rpcDetails(err))) return new StorageError("ValueTooLarge", `${what}: ${rpcDetails(err)}`, { cause: err });
    return new StorageError("Internal", `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  /** Maps etcd's revision errors for a read at `revision` onto Expired / FutureRevision. */
  private async revisionError(err: unknown, revision: number, what: string): Promise<Error> {
    const details = rpcDetails(err);
    if (COMPACTED.test(details)) return storageErrors.expired(revision, await this.compactedRevision().catch(() => this.knownCompacted));
    if (FUTURE.test(details)) return storageErrors.futureRevision(revision, await this.currentRevision().catch(() => 0));
    return this.translate(err, what);
  }

  async get(key: string): Promise<KeyValue | null> {
    this.checkOpen();
    validateKey(key);
    try {
      const res = await this.client.call("KV.Range", { key: this.full(key) }, { idempotent: true });
      return res.kvs[0] ? this.toKv(res.kvs[0]) : null;
    } catch (err) {
      throw this.translate(err, `get ${key}`);
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    validatePrefix(prefix);
    let start = prefix;
    let revision = opts.revision ?? 0;
    if (!Number.isSafeInteger(revision) || revision < 0) throw new StorageError("Internal", `list ${prefix}: bad revision ${revision}`);
    if (opts.continue) ({ start, revision } = decodeContinue(opts.continue, prefix));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let res;
    try {
      res = await this.client.call(
        "KV.Range",
        { key: this.full(start), range_end: prefixEnd(this.full(prefix)), limit, revision },
        { idempotent: true },
      );
    } catch (err) {
      throw await this.revisionError(err, revision, `list ${prefix}`);
    }
    const items = res.kvs.map((kv) => this.toKv(kv));
    const at = revision > 0 ? revision : res.header.revision;
    const out: ListResult = { items, revision: at };
    if (res.more && items.length > 0) {
      // "\0" is the smallest suffix, so the next page starts right after the last key listed.
      out.continue = encodeContinue({ start: items[items.length - 1]!.key + "\u0000", revision: at });
      out.remaining = res.count - items.length;
    }
    return out;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    validateKey(key);
    validateValue(key, value);
    const k = this.full(key);
    let res;
    try {
      res = await this.client.call(
        "KV.Txn",
        {
          compare: [{ result: "EQUAL", target: "CREATE", key: k, create_revision: 0 }],
          success: [{ request_put: { key: k, value: Buffer.from(value, "utf8") } }],
          failure: [],
        },
        { idempotent: false },
      );
    } catch (err) {
      throw this.translate(err, `create ${key}`);
    }
    if (!res.succeeded) throw storageErrors.keyExists(key);
    const rev = res.header.revision;
    return { key, value, createRevision: rev, modRevision: rev };
  }

  /** Compares that hold when the key exists with modRevision `expected`. */
  private casCompare(k: Buffer, expected: number): Compare[] {
    return [
      { result: "EQUAL", target: "MOD", key: k, mod_revision: expected },
      // An absent key has mod_revision 0; this keeps expectedRevision 0 from matching "absent".
      { result: "GREATER", target: "CREATE", key: k, create_revision: 0 },
    ];
  }

  async update(key: string, value: string, opts: UpdateOptions): Promise<KeyValue> {
    this.checkOpen();
    validateKey(key);
    validateValue(key, value);
    const k = this.full(key);
    let res;
    try {
      res = await this.client.call(
        "KV.Txn",
        {
          compare: this.casCompare(k, opts.expectedRevision),
          success: [{ request_put: { key: k, value: Buffer.from(value, "utf8"), prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        },
        { idempotent: false },
      );
    } catch (err) {
      throw this.translate(err, `update ${key}`);
    }
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs[0];
      if (!cur) throw storageErrors.keyNotFound(key);
      throw storageErrors.conflict(key, opts.expectedRevision, this.toKv(cur));
    }
    const prev = res.responses[0]?.response_put?.prev_kv;
    const rev = res.header.revision;
    return { key, value, createRevision: prev ? prev.create_revision : rev, modRevision: rev };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KeyValue> {
    this.checkOpen();
    validateKey(key);
    const k = this.full(key);
    const expected = opts.expectedRevision;
    try {
      if (expected === undefined) {
        const res = await this.client.call("KV.DeleteRange", { key: k, prev_kv: true }, { idempotent: false });
        const prev = res.prev_kvs[0];
        if (res.deleted === 0 || !prev) throw storageErrors.keyNotFound(key);
        return { ...this.toKv(prev), modRevision: res.header.revision };
      }
      const res = await this.client.call(
        "KV.Txn",
        {
          compare: this.casCompare(k, expected),
          success: [{ request_delete_range: { key: k, prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        },
        { idempotent: false },
      );
      if (!res.succeeded) {
        const cur = res.responses[0]?.response_range?.kvs[0];
        if (!cur) throw storageErrors.keyNotFound(key);
        throw storageErrors.conflict(key, expected, this.toKv(cur));
      }
      const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
      if (!prev) throw new StorageError("Internal", `delete ${key}: etcd returned no previous value`, { key });
      return { ...this.toKv(prev), modRevision: res.header.revision };
    } catch (err) {
      throw this.translate(err, `delete ${key}`);
    }
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    this.checkOpen();
    validatePrefix(prefix);
    const k = this.full(prefix);
    const w: EtcdWatch = new EtcdWatch({
      client: this.client,
      key: k,
      rangeEnd: prefixEnd(k),
      sinceRevision: opts.sinceRevision,
      toKv: (kv) => this.toKv(kv),
      onEvents: opts.onEvents,
      onError: opts.onError,
      checkRevision: (rev) => this.checkReadable(rev),
      onEnd: () => this.watches.delete(w),
      logger: this.log,
      retryBudgetMs: this.retryBudgetMs,
    });
    this.watches.add(w);
    w.start();
    return w;
  }

  /** Fails with Expired when `revision` was compacted. (etcd itself would still serve a watch starting at the
   *  compacted revision, but the contract says anything older than it is gone.) */
  private async checkReadable(revision: number): Promise<void> {
    if (revision <= 0) return;
    try {
      await this.rangeAt(revision);
    } catch (err) {
      if (FUTURE.test(rpcDetails(err))) return; // a watch from the future just waits
      throw await this.revisionError(err, revision, `watch from ${revision}`);
    }
  }

  /** A cheap read at `revision` (counts one key), to probe whether the revision is readable. */
  private rangeAt(revision: number) {
    return this.client.call("KV.Range", { key: this.full("/"), revision, count_only: true }, { idempotent: true });
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    try {
      return (await this.client.call("KV.Range", { key: this.full("/"), count_only: true }, { idempotent: true })).header.revision;
    } catch (err) {
      throw this.translate(err, "current revision");
    }
  }

  /** etcd has no call that reports its compacted revision, but a read below it fails: binary-search the
   *  smallest readable revision (about log2(revision) tiny reads; callers rarely need this). */
  async compactedRevision(): Promise<number> {
    this.checkOpen();
    const current = await this.currentRevision();
    let lo = Math.max(1, this.knownCompacted);
    let hi = current;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      try {
        await this.rangeAt(mid);
        hi = mid;
      } catch (err) {
        if (!COMPACTED.test(rpcDetails(err))) throw this.translate(err, "compacted revision");
        lo = mid + 1;
      }
    }
    // Revision 1 readable: nothing was compacted, unless this store compacted at 1 itself.
    if (lo > 1) this.knownCompacted = Math.max(this.knownCompacted, lo);
    return lo > 1 ? lo : this.knownCompacted;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    try {
      // physical: wait until etcd has removed the history, so the compaction is done when this resolves.
      await this.client.call("KV.Compact", { revision, physical: true }, { idempotent: true });
    } catch (err) {
      const details = rpcDetails(err);
      if (COMPACTED.test(details)) {
        // Already compacted at or beyond this revision: nothing to do.
        this.log.debug("compaction skipped, already compacted", { revision });
        return;
      }
      if (FUTURE.test(details)) throw storageErrors.futureRevision(revision, await this.currentRevision().catch(() => 0));
      throw this.translate(err, `compact ${revision}`);
    }
    this.knownCompacted = Math.max(this.knownCompacted, revision);
    this.log.info("compacted", { revision });
  }

  /** The current member's etcd version and database size (Maintenance.Status). */
  async memberStatus(): Promise<{ version: string; dbSizeBytes: number }> {
    this.checkOpen();
    try {
      const res = await this.client.call("Maintenance.Status", {}, { idempotent: true });
      return { version: res.version, dbSizeBytes: res.dbSize };
    } catch (err) {
      throw this.translate(err, "member status");
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.stop();
    this.client.close();
  }
}

/** Connects to etcd and checks that it answers a linearizable read; fails with Unavailable when no endpoint does. */
export async function openEtcdStorage(opts: EtcdStorageOptions): Promise<Storage> {
  const store = new EtcdStorage(opts);
  try {
    const revision = await store.currentRevision();
    const status = await store.memberStatus();
    (opts.logger ?? silentLogger).info("etcd storage opened", { endpoint: store.currentEndpoint(), version: status.version, revision, prefix: opts.prefix ?? "" });
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

// Allocation of integers from a range (cluster IPs, node ports) that stays correct across restarts and across
// several API servers on one datastore. The truth is one marker key per allocated value, created with the
// storage's create-if-absent (like Kubernetes' IPAddress objects): of two concurrent reservations of one value
// exactly one create succeeds. The cached services only serve as a hint of what is taken, so dynamic allocation
// rarely probes a used value, and as a record of values stored before markers existed.
//
// A marker can leak when a server dies between reserving a value and storing its service. A marker whose owner
// does not use the value (owner gone, or a different value stored) and that is older than LEAK_GRACE_MS is
// reclaimed when someone needs that value.
import { isStorageError } from "../../storage/errors.js";
import type { KeyValue, Storage } from "../../storage/types.js";
import type { Logger } from "../../util/log.js";
import { candidates, type IntRange } from "./ranges.js";

/** Long enough that a reservation whose service write is still in flight (on any server) is never reclaimed. */
export const LEAK_GRACE_MS = 60_000;
/** Probes of single values before dynamic allocation lists every marker to see what is really free. */
const MAX_PROBES = 32;

export interface Owner {
  namespace: string;
  name: string;
  uid: string;
}

interface Marker extends Owner {
  /** When the value was reserved (ISO time). */
  at: string;
}

export type ReserveResult = "reserved" | "owned" | "taken";

export interface RangeAllocatorOptions {
  storage: Storage;
  /** Marker keys are prefix + format(value); prefix ends in "/". */
  prefix: string;
  range: IntRange;
  format(n: number): string;
  parse(s: string): number | undefined;
  /** Values the cached owners hold, with the owner's uid (a hint; may lag storage). */
  inUse(): Map<number, Owner>;
  /** Whether the owner, read through storage, holds the value now. */
  ownerHolds(owner: Owner, n: number): Promise<boolean>;
  clock: () => Date;
  logger: Logger;
  random?: () => number;
}

export class RangeAllocator {
  constructor(private readonly opts: RangeAllocatorOptions) {}

  get range(): IntRange {
    return this.opts.range;
  }

  private key(n: number): string {
    return this.opts.prefix + this.opts.format(n);
  }

  /**
   * Reserves one value for the owner. "owned": the owner already held it (nothing to undo). Under dryRun nothing
   * is written: the answer says whether the reservation would succeed.
   */
  async reserve(n: number, owner: Owner, opts: { dryRun: boolean }): Promise<ReserveResult> {
    const hinted = this.opts.inUse().get(n);
    if (hinted && hinted.uid !== owner.uid && (await this.opts.ownerHolds(hinted, n))) return "taken";
    const { storage } = this.opts;
    const key = this.key(n);
    // A few rounds: a marker found may vanish or be reclaimed before our create.
    for (let round = 0; round < 4; round++) {
      if (opts.dryRun) {
        const kv = await storage.get(key);
        if (!kv) return "reserved";
        const v = await this.judgeExisting(kv, { n, owner, reclaim: false });
        return v === "retry" ? "reserved" : v;
      }
      try {
        const marker: Marker = { ...owner, at: this.opts.clock().toISOString() };
        await storage.create(key, JSON.stringify(marker));
        return "reserved";
      } catch (err) {
        if (!isStorageError(err, "KeyExists")) throw err;
      }
      const kv = await storage.get(key);
      if (!kv) continue;
      const verdict = await this.judgeExisting(kv, { n, owner, reclaim: true });
      if (verdict !== "retry") return verdict;
    }
    return "taken";
  }

  /** What an existing marker means for a reservation: ours, someone's, or (reclaimed) worth another try. */
  private async judgeExisting(kv: KeyValue, op: { n: number; owner: Owner; reclaim: boolean }): Promise<ReserveResult | "retry"> {
    const marker = parseMarker(kv.value);
    if (marker?.uid === op.owner.uid) return "owned";
    if (marker && !(await this.isLeaked(marker, op.n))) return "taken";
    if (!op.reclaim) return "reserved";
    this.opts.logger.info("reclaiming a leaked allocation", { key: kv.key, owner: marker ? `${marker.namespace}/${marker.name}` : "?" });
    try {
      await this.opts.storage.delete(kv.key, { expectedRevision: kv.modRevision });
    } catch (err) {
      if (!isStorageError(err, "Conflict") && !isStorageError(err, "KeyNotFound")) throw err;
    }
    return "retry";
  }

  private async isLeaked(marker: Marker, n: number): Promise<boolean> {
    const age = this.opts.clock().getTime() - Date.parse(marker.at);
    if (!(age > LEAK_GRACE_MS)) return false;
    return !(await this.opts.ownerHolds(marker, n));
  }

  /** Reserves some free value (avoiding `avoid`); undefined when the range is full. */
  async reserveNext(owner: Owner, opts: { dryRun: boolean; avoid?: Set<number> }): Promise<number | undefined> {
    const hint = this.opts.inUse();
    const skip = (n: number): boolean => hint.has(n) || (opts.avoid?.has(n) ?? false);
    let probes = 0;
    for (const n of candidates(this.opts.range, this.opts.random)) {
      if (skip(n)) continue;
      if (probes++ >= MAX_PROBES) break;
      if ((await this.reserve(n, owner, opts)) === "reserved") return n;
    }
    if (probes < MAX_PROBES) return undefined; // every candidate was tried
    // Crowded: learn every marker, then try the values that have none.
    const marked = await this.markedValues();
    for (const n of candidates(this.opts.range, this.opts.random)) {
      if (skip(n) || marked.has(n)) continue;
      if ((await this.reserve(n, owner, opts)) === "reserved") return n;
    }
    return undefined;
  }

  private async markedValues(): Promise<Set<number>> {
    const out = new Set<number>();
    let cont: string | undefined;
    do {
      const page = await this.opts.storage.list(this.opts.prefix, { limit: 1000, continue: cont });
      for (const kv of page.items) {
        const n = this.opts.parse(kv.key.slice(this.opts.prefix.length));
        if (n !== undefined) out.add(n);
      }
      cont = page.continue;
    } while (cont);
    return out;
  }

  /** Frees a value if the owner (by uid) holds its marker. Never throws: a marker left behind is reclaimed later. */
  async release(n: number, uid: string): Promise<void> {
    const key = this.key(n);
    try {
      const kv = await this.opts.storage.get(key);
      if (!kv || parseMarker(kv.value)?.uid !== uid) return;
      await this.opts.storage.delete(key, { expectedRevision: kv.modRevision });
    } catch (err) {
      if (isStorageError(err, "Conflict") || isStorageError(err, "KeyNotFound")) return;
      this.opts.logger.warn("allocation not released", { key, err });
    }
  }
}

function parseMarker(value: string): Marker | undefined {
  try {
    const m = JSON.parse(value) as Partial<Marker>;
    if (typeof m.uid === "string" && typeof m.namespace === "string" && typeof m.name === "string" && typeof m.at === "string") return m as Marker;
  } catch {
    // A marker we cannot read is treated as leaked once old enough (see isLeaked: no owner holds it).
  }
  return undefined;
}

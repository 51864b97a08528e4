// Controller expectations, as Kubernetes' ReplicaSet controller uses them: after a sync issues N creates or
// deletes, the controller must not act on that key again until its informer has observed them, or it would create
// or delete twice on a stale cache. An expectation is satisfied when every expected event was observed, or expired
// after a TTL (5 minutes) in case an event was lost, so a controller can never wedge forever.
import { realClock, type Clock } from "./clock.js";

/** Kubernetes' ExpectationsTimeout: long enough for a slow watch, short enough to recover from a lost event. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record_ {
  add: number;
  del: number;
  timestamp: number;
}

export interface ExpectationsOptions {
  clock?: Clock;
  ttlMs?: number;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Record_>();
  protected readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(opts: ExpectationsOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** Sets (replacing) the expected creations and deletions for the key and restarts its TTL. */
  setExpectations(key: string, add: number, del: number): void {
    this.records.set(key, { add, del, timestamp: this.clock.now() });
  }

  expectCreations(key: string, n: number): void {
    this.setExpectations(key, n, 0);
  }

  expectDeletions(key: string, n: number): void {
    this.setExpectations(key, 0, n);
  }

  raiseExpectations(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (!r) return this.setExpectations(key, add, del);
    r.add += add;
    r.del += del;
  }

  lowerExpectations(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  }

  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  deletionObserved(key: string): void {
    this.lowerExpectations(key, 0, 1);
  }

  getExpectations(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r ? { add: r.add, del: r.del } : undefined;
  }

  /** True when the controller may sync the key: no record, every event observed, or the record expired. */
  satisfiedExpectations(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.timestamp > this.ttlMs;
  }

  deleteExpectations(key: string): void {
    this.records.delete(key);
  }
}

/**
 * Expectations that also remember which objects are expected to go, so a deletion is counted once even if it is
 * observed twice (a DELETED event and then a tombstone from a relist, or an update with deletionTimestamp first).
 */
export class UidTrackingExpectations extends ControllerExpectations {
  private readonly uids = new Map<string, Set<string>>();

  expectDeletionsOf(key: string, uids: string[]): void {
    this.uids.set(key, new Set(uids));
    this.expectDeletions(key, uids.length);
  }

  override deletionObserved(key: string, uid?: string): void {
    if (uid === undefined) return super.deletionObserved(key);
    const set = this.uids.get(key);
    if (!set?.has(uid)) return;
    set.delete(uid);
    super.deletionObserved(key);
  }

  override deleteExpectations(key: string): void {
    this.uids.delete(key);
    super.deleteExpectations(key);
  }
}

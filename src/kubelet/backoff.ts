// Per-key exponential backoff, as the kubelet uses for crash-looping containers and failing image pulls:
// 10 s doubling to 5 min. An entry not touched for twice the maximum is forgotten, which is how a container that
// ran for 10 minutes without trouble starts again from the initial delay.
import type { Clock } from "../client/clock.js";

export const CRASH_BACKOFF_INITIAL_MS = 10_000;
export const CRASH_BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = CRASH_BACKOFF_INITIAL_MS,
    private readonly maxMs = CRASH_BACKOFF_MAX_MS,
  ) {}

  private expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > this.maxMs * 2;
  }

  /** The current delay for key (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** True while less than the current delay has passed since eventTime (e.g. when the container finished). */
  isInBackoffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return false;
    return this.clock.now() - eventTime < e.backoffMs;
  }

  /** True while less than the current delay has passed since the key's last next(). */
  isInBackoffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(this.clock.now(), e)) return false;
    return this.clock.now() - e.lastUpdate < e.backoffMs;
  }

  /** When the backoff counted from the key's last next() ends (0 when it has none). */
  expiresSinceUpdate(key: string): number {
    const e = this.entries.get(key);
    return e ? e.lastUpdate + e.backoffMs : 0;
  }

  /** When the backoff counted from eventTime ends. */
  expiresAt(key: string, eventTime: number): number {
    return eventTime + this.get(key);
  }

  /** Records an attempt: starts the delay at the initial value, or doubles it (capped). */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    const now = this.clock.now();
    if (!e || this.expired(eventTime, e)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: now });
    else this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdate: now });
  }

  /** Forgets every key with this prefix (a pod's entries when it goes away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

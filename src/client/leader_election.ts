// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it. Candidates try to
// acquire the lease every retryPeriod; the holder renews it; writes carry the lease's resourceVersion so two
// candidates can never both win a round (optimistic concurrency). A candidate judges expiry by its own clock from
// when it last saw the lease record change (not by the renewTime written by another machine), so clock skew between
// machines does not matter. The leader that cannot renew within renewDeadline stops leading before the lease
// runs out (renewDeadline < leaseDuration), so two leaders never overlap.
import type { KubeObject } from "../api/object.js";
import { isAlreadyExists, isConflict, isNotFound } from "../machinery/errors.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { realClock, sleep, type Clock } from "./clock.js";
import type { Client } from "./rest_client.js";
import { resources } from "./resources.js";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  /** Now leading; the signal aborts when leadership ends. Not awaited: run your components under the signal. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once after leading ends (lost or stopped). Not called if this candidate never led. */
  onStoppedLeading?(): void;
  /** Called when a different holder is observed (including this candidate). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionOptions {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  callbacks: LeaderCallbacks;
  /** Kubernetes' component defaults: 15 s lease, 10 s renew deadline, 2 s retry. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** On a graceful stop, hand the lease back so another candidate need not wait for it to expire. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  log?: Logger;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed?: LeaseSpec;
  private observedTime = 0;
  private observedRv = "";
  private leading = false;
  private lastLeader = "";

  constructor(private readonly opts: LeaderElectionOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseMs) throw new Error("leader election: renewDeadline must be shorter than leaseDuration");
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder identity last observed ("" if none). */
  getLeader(): string {
    return this.observed?.holderIdentity ?? "";
  }

  private leases() {
    return this.opts.client.resource<Lease>(resources.leases);
  }

  /** Campaigns until leading, leads until the lease is lost or the signal aborts, then returns. */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const lead = new AbortController();
    this.leading = true;
    this.log.info("became leader");
    Promise.resolve()
      .then(() => this.opts.callbacks.onStartedLeading(lead.signal))
      .catch((err: unknown) => this.log.error("onStartedLeading failed", { err }));
    await this.renewLoop(signal);
    this.leading = false;
    lead.abort();
    if (signal.aborted && this.opts.releaseOnCancel) await this.release();
    this.log.info("stopped leading");
    this.opts.callbacks.onStoppedLeading?.();
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      // Jitter spreads candidates so they do not all hit the API server in the same instant.
      await sleep(this.clock, this.retryMs * (1 + Math.random() * 0.2), signal);
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.clock, this.retryMs, signal);
      if (signal.aborted) return;
      if (await this.renewBy(lastRenew + this.renewDeadlineMs)) {
        lastRenew = this.clock.now();
        continue;
      }
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.warn("failed to renew lease within the renew deadline", { renewDeadlineMs: this.renewDeadlineMs });
        return;
      }
    }
  }

  /**
   * One renewal, given up (false) at the deadline, as client-go bounds each renewal by the renew deadline: a request
   * that hangs must not keep this candidate leading past the lease others see expiring.
   */
  private async renewBy(deadline: number): Promise<boolean> {
    const giveUp = new AbortController();
    const late = sleep(this.clock, deadline - this.clock.now(), giveUp.signal).then(() => false);
    try {
      return await Promise.race([this.tryAcquireOrRenew(), late]);
    } finally {
      giveUp.abort();
    }
  }

  private observe(spec: LeaseSpec, rv: string): void {
    if (JSON.stringify(spec) !== JSON.stringify(this.observed)) {
      this.observed = spec;
      this.observedTime = this.clock.now();
      const holder = spec.holderIdentity ?? "";
      if (holder && holder !== this.lastLeader) {
        this.lastLeader = holder;
        this.opts.callbacks.onNewLeader?.(holder);
      }
    }
    this.observedRv = rv;
  }

  /** One round: true if this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = this.clock.now();
    const spec = (prev?: LeaseSpec): LeaseSpec => {
      const mine = prev?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseMs / 1000)),
        acquireTime: mine && prev?.acquireTime ? prev.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: mine ? (prev?.leaseTransitions ?? 0) : prev ? (prev.leaseTransitions ?? 0) + 1 : 0,
      };
    };
    try {
      let current: Lease;
      try {
        current = await this.leases().get(namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await this.leases().create(namespace, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: spec() });
        this.observe(created.spec ?? {}, created.metadata?.resourceVersion ?? "");
        return true;
      }
      const cur = current.spec ?? {};
      this.observe(cur, current.metadata?.resourceVersion ?? "");
      const holder = cur.holderIdentity ?? "";
      const durationMs = (cur.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== identity && this.observedTime + durationMs > now) return false;
      const next: Lease = { ...current, spec: spec(holder ? cur : { ...cur, holderIdentity: "" }) };
      next.metadata = { ...current.metadata, resourceVersion: this.observedRv };
      const updated = await this.leases().update(namespace, next);
      this.observe(updated.spec ?? {}, updated.metadata?.resourceVersion ?? "");
      return true;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) this.log.warn("lease acquire/renew failed", { err });
      return false;
    }
  }

  /** Hands the lease back: empty holder, 1 s duration, so the next candidate takes over at once. */
  private async release(): Promise<void> {
    try {
      const current = await this.leases().get(this.opts.namespace, this.opts.name);
      if (current.spec?.holderIdentity !== this.opts.identity) return;
      const now = microTime(this.clock.now());
      await this.leases().update(this.opts.namespace, {
        ...current,
        spec: { ...current.spec, holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
    } catch (err) {
      this.log.warn("lease release failed", { err });
    }
  }
}

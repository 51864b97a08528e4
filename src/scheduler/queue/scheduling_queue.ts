// The scheduling queue, as Kubernetes' PriorityQueue: three places a pending pod can be.
// - activeQ: pods ready to try, ordered by the profile's QueueSort plugin (priority, then enqueue time).
// - backoffQ: pods that failed recently and wait out their backoff (initial 1 s doubling per attempt, max 10 s).
// - unschedulable pool: pods no node could take; they move back when a cluster event one of the rejecting
//   plugins registered for happens (a node added, a pod deleted, ...), or after maxUnschedulableMs (5 minutes).
// An event that arrives while a pod is being scheduled sends that pod to backoffQ rather than the pool if it
// fails, so the event is not lost.
import type { Clock, TimerHandle } from "../../client/clock.js";
import type { Pod } from "../framework/api_types.js";
import type { ClusterEvent, QueuedPodInfo } from "../framework/types.js";
import { eventMatches, UNSCHEDULABLE_TIMEOUT } from "./events.js";
import { KeyedHeap } from "./heap.js";
import { Nominator } from "./nominator.js";

export interface SchedulingQueueOptions {
  clock: Clock;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  /** Which events each plugin cares about; a pod rejected by plugins moves only on their events. */
  eventsByPlugin?: Map<string, ClusterEvent[]>;
  /** Called when a pod is held back by spec.schedulingGates (the scheduler then marks it SchedulingGated). */
  onGated?(pod: Pod): void;
  /** Called when a pod moves between sub-queues (metrics, tests). */
  onMove?(pod: Pod, to: "active" | "backoff" | "unschedulable", event?: string): void;
}

const isGated = (p: Pod): boolean => (p.spec?.schedulingGates?.length ?? 0) > 0;
const uidOf = (p: Pod): string => p.metadata?.uid ?? `${p.metadata?.namespace}/${p.metadata?.name}`;

/** How often the backoff queue is checked for pods whose backoff ended (Kubernetes uses 1 s). */
const BACKOFF_FLUSH_MS = 1000;
/** How often the unschedulable pool is checked for pods that waited too long (Kubernetes uses 30 s). */
const UNSCHEDULABLE_FLUSH_MS = 30_000;

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods with scheduling gates: never tried until the last gate is removed (the SchedulingGates PreEnqueue). */
  private readonly gated = new Map<string, QueuedPodInfo>();
  /** Pods popped and being scheduled, with the cycle they were popped in. */
  private readonly inFlight = new Map<string, number>();
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private timers: TimerHandle[] = [];
  private closed = false;

  constructor(private readonly opts: SchedulingQueueOptions) {
    this.clock = opts.clock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.active = new KeyedHeap((q) => uidOf(q.pod), opts.less);
    this.backoff = new KeyedHeap(
      (q) => uidOf(q.pod),
      (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
    );
  }

  /** Starts the periodic flushes of the backoff queue and the unschedulable pool. */
  run(): void {
    const every = (ms: number, fn: () => void): void => {
      const tick = (): void => {
        if (this.closed) return;
        fn();
        this.timers.push(this.clock.setTimer(tick, ms));
      };
      this.timers.push(this.clock.setTimer(tick, ms));
    };
    every(BACKOFF_FLUSH_MS, () => this.flushBackoffCompleted());
    every(UNSCHEDULABLE_FLUSH_MS, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The backoff for a pod that has failed `attempts` times: initial * 2^(attempts-1), at most max. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.clock.now();
  }

  private pushActive(q: QueuedPodInfo, event?: string): void {
    this.active.push(q);
    this.opts.onMove?.(q.pod, "active", event);
    const w = this.waiters.shift();
    if (w) w(this.popNow());
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const uid = uidOf(pod);
    if (this.active.has(uid) || this.backoff.has(uid) || this.unschedulable.has(uid) || this.gated.has(uid) || this.inFlight.has(uid)) return this.update(pod);
    const now = this.clock.now();
    const q: QueuedPodInfo = { pod, timestamp: now, attempts: 0, initialAttemptTimestamp: now, unschedulablePlugins: new Set() };
    if (isGated(pod)) {
      this.gated.set(uid, q);
      this.opts.onGated?.(pod);
      return;
    }
    this.nominator.addFromPod(pod);
    this.pushActive(q);
  }

  /** A pending pod changed; a change to spec or labels gives an unschedulable pod another try. */
  update(pod: Pod, specOrLabelsChanged = true): void {
    const uid = uidOf(pod);
    this.nominator.addFromPod(pod);
    for (const heap of [this.active, this.backoff]) {
      const q = heap.get(uid);
      if (q) {
        heap.push({ ...q, pod });
        return;
      }
    }
    const g = this.gated.get(uid);
    if (g) {
      g.pod = pod;
      if (isGated(pod)) return;
      // The last gate is gone: the pod is tried now, its queue time counting from here.
      this.gated.delete(uid);
      g.timestamp = this.clock.now();
      this.pushActive(g, "SchedulingGatesRemoved");
      return;
    }
    const q = this.unschedulable.get(uid);
    if (q) {
      if (!specOrLabelsChanged) {
        q.pod = pod;
        return;
      }
      this.unschedulable.delete(uid);
      this.moveOne({ ...q, pod }, "PodUpdate");
      return;
    }
    if (!this.inFlight.has(uid)) this.add(pod);
  }

  delete(pod: Pod): void {
    const uid = uidOf(pod);
    this.active.delete(uid);
    this.backoff.delete(uid);
    this.unschedulable.delete(uid);
    this.gated.delete(uid);
    this.nominator.delete(pod);
  }

  /** The next pod to schedule; waits until there is one. Resolves undefined once the queue is closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.popNow();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private popNow(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    this.schedulingCycle++;
    q.attempts++;
    this.inFlight.set(uidOf(q.pod), this.schedulingCycle);
    return q;
  }

  /** The scheduling cycle the pod was popped in (for addUnschedulable). */
  cycleOf(pod: Pod): number {
    return this.inFlight.get(uidOf(pod)) ?? this.schedulingCycle;
  }

  /** The pod's attempt is over (bound, or requeued). */
  done(pod: Pod): void {
    this.inFlight.delete(uidOf(pod));
  }

  /**
   * A pod whose attempt failed. Rejected by plugins (unschedulablePlugins non-empty): to the unschedulable pool,
   * unless a cluster event arrived during its attempt; failed by an error: to backoffQ.
   */
  addUnschedulable(q: QueuedPodInfo, podCycle: number): void {
    const uid = uidOf(q.pod);
    this.inFlight.delete(uid);
    if (this.closed || this.active.has(uid) || this.backoff.has(uid) || this.unschedulable.has(uid)) return;
    q.timestamp = this.clock.now();
    this.nominator.addFromPod(q.pod);
    if (q.unschedulablePlugins.size === 0 || this.moveRequestCycle >= podCycle) {
      this.backoff.push(q);
      this.opts.onMove?.(q.pod, "backoff");
    } else {
      this.unschedulable.set(uid, q);
      this.opts.onMove?.(q.pod, "unschedulable");
    }
  }

  private moveOne(q: QueuedPodInfo, event: string): void {
    if (this.isBackingOff(q)) {
      this.backoff.push(q);
      this.opts.onMove?.(q.pod, "backoff", event);
    } else this.pushActive(q, event);
  }

  private interested(q: QueuedPodInfo, ev: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0 || ev === UNSCHEDULABLE_TIMEOUT) return true;
    const byPlugin = this.opts.eventsByPlugin;
    if (!byPlugin) return true;
    for (const plugin of q.unschedulablePlugins) {
      const regs = byPlugin.get(plugin) ?? [{ resource: "*", action: "All" }];
      if (regs.some((r) => eventMatches(r, ev))) return true;
    }
    return false;
  }

  /** A cluster event: unschedulable pods that one of their rejecting plugins cares about get another chance. */
  moveAllToActiveOrBackoff(ev: ClusterEvent, filter?: (pod: Pod) => boolean): void {
    for (const [uid, q] of [...this.unschedulable]) {
      if (!this.interested(q, ev) || (filter && !filter(q.pod))) continue;
      this.unschedulable.delete(uid);
      this.moveOne(q, ev.label ?? `${ev.resource}${ev.action}`);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Moves pods whose backoff has ended to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const q = this.backoff.peek();
      if (!q || this.backoffExpiry(q) > now) return;
      this.backoff.pop();
      this.pushActive(q, "BackoffComplete");
    }
  }

  /** Pods unschedulable for longer than maxUnschedulableMs get a retry whatever happened. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [uid, q] of [...this.unschedulable]) {
      if (now - q.timestamp < this.maxUnschedulableMs) continue;
      this.unschedulable.delete(uid);
      this.moveOne(q, UNSCHEDULABLE_TIMEOUT.label!);
    }
  }

  /** Where each pending pod is ("ns/name" lists), for tests and debugging. */
  pendingPods(): { active: string[]; backoff: string[]; unschedulable: string[] } {
    const names = (qs: QueuedPodInfo[]): string[] => qs.map((q) => `${q.pod.metadata?.namespace}/${q.pod.metadata?.name}`).sort();
    return { active: names(this.active.list()), backoff: names(this.backoff.list()), unschedulable: names([...this.unschedulable.values()]) };
  }

  /** How many pods each sub-queue holds (cheap: for the pending-pods gauge). */
  counts(): { active: number; backoff: number; unschedulable: number; gated: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  gatedPods(): string[] {
    return [...this.gated.values()].map((q) => `${q.pod.metadata?.namespace}/${q.pod.metadata?.name}`).sort();
  }

  /** Number of pods waiting in any sub-queue (not counting in-flight ones). */
  size(): number {
    return this.active.size + this.backoff.size + this.unschedulable.size + this.gated.size;
  }
}

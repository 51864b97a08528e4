// Events the scheduler records about pods (core/v1 Events, which `kubectl describe pod` shows): Scheduled,
// FailedScheduling, Preempted. The same event again (same pod, reason and message) within ten minutes bumps the
// count and lastTimestamp of the first one, as client-go's event correlator does, so `kubectl describe` shows
// "(x4 over 3m)" instead of a wall of repeats. Recording is best effort: a failed write is logged, never retried.
import { randomInt } from "node:crypto";
import type { Clock } from "../client/clock.js";
import { resourcePath, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { KubeObject } from "../api/object.js";
import { isNotFound } from "../machinery/errors.js";
import { PATCH_CONTENT_TYPES } from "../client/types.js";
import { Fifo } from "../util/fifo.js";
import type { Logger } from "../util/log.js";
import type { Pod } from "./framework/api_types.js";

export interface EventRecorderOptions {
  client: Client;
  clock: Clock;
  log: Logger;
  /** Who reports: the profile's schedulerName. */
  component: string;
  /** This scheduler instance (host and identity). */
  instance?: string;
}

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

/** rfc3339 of the latest second asked for, kept: a burst of events shares one timestamp. */
let stampSecond = NaN;
let stamp = "";
function timestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== stampSecond) {
    stamp = rfc3339(ms);
    stampSecond = second;
  }
  return stamp;
}

/** How long a recorded event can absorb repeats (client-go's aggregation window). */
const AGGREGATE_WINDOW_MS = 10 * 60_000;
/** Events remembered for aggregation; the oldest is forgotten beyond this. */
const MAX_REMEMBERED = 4096;

interface Remembered {
  key: string;
  name: string;
  namespace: string;
  count: number;
  first: number;
  /** The last write for this series: the next one waits for it, so a bump never overtakes the create. */
  last: Promise<void>;
}

export class EventRecorder {
  /** Writes not yet answered, so shutdown and tests can wait for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly recent = new Map<string, Remembered>();
  /**
   * The remembered series oldest first, for forgetting the oldest: a Map's first key is found by walking past
   * every entry deleted since the map last rehashed (thousands here, one event per scheduled pod). A series
   * replaced under its key stays here, stale, until it comes up.
   */
  private readonly order = new Fifo<Remembered>();

  /** Makes event names unique within this recorder; starts at random so two recorders rarely meet. */
  private seq = randomInt(0x1000000);

  constructor(private readonly opts: EventRecorderOptions) {}

  /**
   * The unique part of an event's name, in hex like client-go's (which uses the time in nanoseconds): the time in
   * milliseconds then a 24-bit sequence, so names stay unique at any rate without a random draw per event.
   */
  private suffix(now: number): string {
    this.seq = (this.seq + 1) & 0xffffff;
    return Math.trunc(now).toString(16) + this.seq.toString(16).padStart(6, "0");
  }

  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string, component = this.opts.component): void {
    const now = this.opts.clock.now();
    const ns = pod.metadata?.namespace ?? "default";
    const key = `${pod.metadata?.uid ?? ""}\u0000${type}\u0000${reason}\u0000${message}\u0000${component}`;
    const seen = this.recent.get(key);
    if (seen && now - seen.first < AGGREGATE_WINDOW_MS) {
      seen.count++;
      const count = seen.count;
      seen.last = this.track(seen.last.then(() => this.bump(seen, count, now, pod, type, reason, message, component)));
      return;
    }
    const name = `${pod.metadata?.name ?? "pod"}.${this.suffix(now)}`;
    const r: Remembered = { key, name, namespace: ns, count: 1, first: now, last: this.track(this.create(name, now, 1, pod, type, reason, message, component)) };
    this.remember(r);
  }

  /** Keeps r as the series of its key; beyond MAX_REMEMBERED series the oldest is forgotten. */
  private remember(r: Remembered): void {
    this.recent.delete(r.key);
    this.recent.set(r.key, r);
    this.order.push(r);
    while (this.recent.size > MAX_REMEMBERED) {
      const oldest = this.order.shift()!;
      if (this.recent.get(oldest.key) === oldest) this.recent.delete(oldest.key);
    }
    // Stale entries (series replaced under their key) are dropped once they would double the queue.
    if (this.order.size > 2 * MAX_REMEMBERED) for (const x of this.order.drain()) if (this.recent.get(x.key) === x) this.order.push(x);
  }

  /** Never rejects: failures are logged. */
  private track(p: Promise<void>): Promise<void> {
    const tracked: Promise<void> = p.then(
      () => void this.inFlight.delete(tracked),
      (err: unknown) => {
        this.inFlight.delete(tracked);
        this.opts.log.warn("recording event failed", { err });
      },
    );
    this.inFlight.add(tracked);
    return tracked;
  }

  private async bump(seen: Remembered, count: number, now: number, pod: Pod, type: string, reason: string, message: string, component: string): Promise<void> {
    try {
      await this.opts.client.request({
        method: "PATCH",
        path: resourcePath(resources.events, seen.namespace, seen.name),
        body: { count, lastTimestamp: timestamp(now) },
        contentType: PATCH_CONTENT_TYPES.merge,
        discardResponse: true,
      });
    } catch (err) {
      // Gone (expired or deleted): start a new series.
      if (!isNotFound(err)) throw err;
      await this.create(seen.name, now, count, pod, type, reason, message, component);
    }
  }

  private create(name: string, now: number, count: number, pod: Pod, type: string, reason: string, message: string, component: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? "default";
    const at = timestamp(now);
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      // Kubernetes names events <object>.<unique hex>.
      metadata: { name, namespace: ns },
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: at,
      lastTimestamp: at,
      count,
      reportingComponent: component,
      reportingInstance: this.opts.instance ?? component,
    };
    // Nothing here reads the created Event: its answer is not parsed.
    return this.opts.client.request<void>({ method: "POST", path: resourcePath(resources.events, ns), body: event, discardResponse: true });
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

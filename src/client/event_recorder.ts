// Events about objects, written as core/v1 Events the way client-go's recorder writes them, so `kubectl describe`
// and `kubectl events` show them: one Event per series, named <object>.<unique hex>, naming its object by kind,
// name and uid. The same event again (same object, type, reason and message) bumps the count and lastTimestamp of the
// first one while this recorder remembers it (the 4096 series seen most recently), as client-go's event correlator
// does, so `kubectl describe` shows "(x40 over 3h)" instead of a wall of repeats. An Event the API server has
// expired meanwhile (its event TTL) is created again with the running count. Recording is best effort: a failed write is logged, never retried,
// and never fails the caller. The scheduler, the node agent and every controller record through this.
import { randomInt } from "node:crypto";
import type { KubeObject, ObjectMeta } from "../api/object.js";
import { isNotFound } from "../machinery/errors.js";
import { formatTime } from "../machinery/managed_fields.js";
import { Fifo } from "../util/fifo.js";
import type { Logger } from "../util/log.js";
import type { Clock } from "./clock.js";
import { resourcePath, type Client } from "./rest_client.js";
import { resources } from "./resources.js";
import { PATCH_CONTENT_TYPES } from "./types.js";

export type EventType = "Normal" | "Warning";

/** What an event is about: any object, named by its kind, namespace, name and uid. */
export interface EventObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** What records events; components take this, tests pass a FakeRecorder. */
export interface EventSink {
  event(obj: EventObject, type: EventType, reason: string, message: string): void;
}

export const discardEvents: EventSink = { event() {} };

export interface EventRecorderOptions {
  client: Client;
  clock: Clock;
  log: Logger;
  /** Who reports (source.component and reportingComponent): "default-scheduler", "kubelet", "deployment-controller". */
  component: string;
  /** This instance of the component (reportingInstance): a host and identity. */
  instance?: string;
  /** The node the component runs on (source.host), for the node agent. */
  host?: string;
  /** apiVersion and kind for objects that do not carry them (the scheduler's and the agent's pods). */
  objectKind?: { apiVersion: string; kind: string };
  /** Failed writes are logged at warn, or at debug where they would be noise (thousands of hollow nodes). */
  failureLevel?: "warn" | "debug";
}

/** Series remembered for counting repeats; the least recently seen is forgotten beyond this (as client-go's cache). */
const MAX_REMEMBERED = 4096;

interface Remembered {
  key: string;
  name: string;
  namespace: string;
  count: number;
  /** Bumped each time the series is seen, so the recency queue can tell its latest entry from stale ones. */
  seen: number;
  /**
   * The last write for this series: the next one waits for it, so a bump never overtakes the create. It settles
   * to nothing, holding neither the created Event nor an error (a hollow node keeps thousands of these).
   */
  last: Promise<void>;
}

export class EventRecorder implements EventSink {
  /** Writes not yet answered, so shutdown and tests can wait for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly recent = new Map<string, Remembered>();
  /**
   * The remembered series, least recently seen first, for forgetting that one: a Map's first key is found by walking
   * past every entry deleted since the map last rehashed (thousands in the scheduler, one event per scheduled pod).
   * A series is queued again each time it is seen, beside its `seen` then (in `orderSeen`); its earlier entries stay
   * here, stale, until they come up.
   */
  private readonly order = new Fifo<Remembered>();
  private readonly orderSeen = new Fifo<number>();

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

  event(obj: EventObject, type: EventType, reason: string, message: string): void {
    const now = this.opts.clock.now();
    const m = obj.metadata;
    const ns = m?.namespace || "default";
    const key = `${obj.kind ?? ""}\u0000${ns}\u0000${m?.name ?? ""}\u0000${m?.uid ?? ""}\u0000${type}\u0000${reason}\u0000${message}`;
    const known = this.recent.get(key);
    if (known) {
      const count = ++known.count;
      known.last = this.track(known.last.then(() => this.bump(known, count, now, obj, type, reason, message)));
      this.queue(known);
      return;
    }
    const name = `${m?.name ?? "object"}.${this.suffix(now)}`;
    const r: Remembered = { key, name, namespace: ns, count: 1, seen: 0, last: this.track(this.create(name, ns, now, 1, obj, type, reason, message)) };
    this.recent.set(key, r);
    this.queue(r);
    while (this.recent.size > MAX_REMEMBERED) {
      const oldest = this.order.shift()!;
      if (this.orderSeen.shift() === oldest.seen) this.recent.delete(oldest.key);
    }
  }

  /** Queues r as the most recently seen series. */
  private queue(r: Remembered): void {
    this.order.push(r);
    this.orderSeen.push(++r.seen);
    // Stale entries (series seen again since) are dropped once they would double the queue.
    if (this.order.size > 2 * MAX_REMEMBERED) {
      const series = this.order.drain();
      const seen = this.orderSeen.drain();
      series.forEach((x, i) => {
        if (seen[i] !== x.seen) return;
        this.order.push(x);
        this.orderSeen.push(x.seen);
      });
    }
  }

  /** Never rejects: failures are logged. */
  private track(p: Promise<void>): Promise<void> {
    const tracked: Promise<void> = p.then(
      () => void this.inFlight.delete(tracked),
      (err: unknown) => {
        this.inFlight.delete(tracked);
        this.opts.log[this.opts.failureLevel ?? "warn"]("recording event failed", { err });
      },
    );
    this.inFlight.add(tracked);
    return tracked;
  }

  private async bump(seen: Remembered, count: number, now: number, obj: EventObject, type: EventType, reason: string, message: string): Promise<void> {
    try {
      await this.opts.client.request({
        method: "PATCH",
        path: resourcePath(resources.events, seen.namespace, seen.name),
        body: { count, lastTimestamp: formatTime(new Date(now)) },
        contentType: PATCH_CONTENT_TYPES.merge,
        discardResponse: true,
      });
    } catch (err) {
      // Gone (expired or deleted): start a new series.
      if (!isNotFound(err)) throw err;
      await this.create(seen.name, seen.namespace, now, count, obj, type, reason, message);
    }
  }

  private create(name: string, ns: string, now: number, count: number, obj: EventObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata;
    const at = formatTime(new Date(now));
    const { component, instance, host, objectKind } = this.opts;
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion ?? objectKind?.apiVersion,
        kind: obj.kind ?? objectKind?.kind,
        namespace: m?.namespace,
        name: m?.name,
        uid: m?.uid,
        resourceVersion: m?.resourceVersion,
      },
      reason,
      message,
      type,
      source: host === undefined ? { component } : { component, host },
      firstTimestamp: at,
      lastTimestamp: at,
      count,
      reportingComponent: component,
      reportingInstance: instance ?? host ?? "",
    };
    // Nothing here reads the created Event: its answer is not parsed.
    return this.opts.client.request<void>({ method: "POST", path: resourcePath(resources.events, ns), body: event, discardResponse: true });
  }

  /** Writes not yet answered. */
  pending(): number {
    return this.inFlight.size;
  }

  /** Waits for the writes in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

/** Collects events as "<type> <reason> <message>" lines, for tests. */
export class FakeRecorder implements EventSink {
  readonly events: string[] = [];
  event(_obj: EventObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}

// Events about objects, written as core/v1 Events the way client-go's recorder does (one Event per occurrence,
// named <object>.<hex time>, involvedObject naming the object by kind, name and uid), so `kubectl describe` and
// `kubectl events` show them. Recording is best effort: a failed write is logged, never fails a sync.
import type { Event } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { rfc3339 } from "./pod_utils.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records an event about obj (which must carry apiVersion and kind, or pass them in `as`). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export interface ApiEventRecorderOptions {
  /** The source component, e.g. "deployment-controller". */
  component: string;
  clock?: Clock;
  log?: Logger;
}

export class ApiEventRecorder implements EventRecorder {
  private readonly clock: Clock;
  private readonly log: Logger;
  private seq = 0;

  constructor(
    private readonly client: Client,
    private readonly opts: ApiEventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const m = obj.metadata ?? {};
    const ns = m.namespace || "default";
    const now = this.clock.now();
    // Nanosecond-style hex suffix as client-go uses; the sequence keeps two events in one millisecond apart.
    const suffix = (BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
    const ev: Event & KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${m.name}.${suffix}`, namespace: ns },
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
      type,
      reason,
      message,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: "",
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
    };
    this.client
      .resource<Event & KubeObject>(resources.events)
      .create(ns, ev)
      .catch((err: unknown) => this.log.warn("could not record event", { reason, object: `${ns}/${m.name}`, err }));
  }
}

/** Collects events as "<type> <reason> <message>" lines, for tests. */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];
  event(_obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}

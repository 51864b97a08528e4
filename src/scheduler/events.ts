// Events the scheduler records about pods (core/v1 Events, which `kubectl describe pod` shows): Scheduled,
// FailedScheduling, Preempted. Recording is best effort: a failed write is logged, never retried.
import { randomBytes } from "node:crypto";
import type { Clock } from "../client/clock.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { KubeObject } from "../api/object.js";
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

export class EventRecorder {
  /** Writes not yet answered, so shutdown and tests can wait for them. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: EventRecorderOptions) {}

  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string, component = this.opts.component): void {
    const now = this.opts.clock.now();
    const ns = pod.metadata?.namespace ?? "default";
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      // Kubernetes names events <object>.<unique hex>.
      metadata: { name: `${pod.metadata?.name ?? "pod"}.${randomBytes(8).toString("hex")}`, namespace: ns },
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      reportingComponent: component,
      reportingInstance: this.opts.instance ?? component,
    };
    const p = this.opts.client
      .resource(resources.events)
      .create(ns, event)
      .then(() => undefined)
      .catch((err: unknown) => this.opts.log.warn("recording event failed", { pod: `${ns}/${pod.metadata?.name}`, reason, err }))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

// Events the node agent records about pods (Pulling, Pulled, Created, Started, Killing, BackOff, Failed,
// Unhealthy), which `kubectl describe pod` shows. Repeats of the same event for the same pod are folded into one
// Event whose count and lastTimestamp grow, as the kubelet's event correlator does. Best effort: a failed write is
// logged and dropped.
import { randomBytes } from "node:crypto";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import type { Clock } from "../client/clock.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { Logger } from "../util/log.js";
import { apiTime } from "./pod_status.js";

/** Aggregated events remembered; beyond this the oldest are forgotten (a repeat then starts a new Event). */
const MAX_REMEMBERED = 4096;

export interface EventSink {
  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void;
}

export const discardEvents: EventSink = { record() {} };

/** Settles when the write does, holding neither its answer nor its error: up to MAX_REMEMBERED of these stay in
 *  `seen` per agent, and the created Event each would otherwise keep is most of a hollow node's memory per pod. */
function settled(write: Promise<unknown>): Promise<void> {
  return write.then(() => undefined, () => undefined);
}

export class EventRecorder implements EventSink {
  private readonly seen = new Map<string, { ns: string; name: string; count: number; write: Promise<unknown> }>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly o: { client: Client; clock: Clock; log: Logger; nodeName: string },
  ) {}

  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void {
    const ns = pod.metadata?.namespace ?? "default";
    const key = `${pod.metadata?.uid}|${type}|${reason}|${message}`;
    const now = apiTime(this.o.clock.now());
    const events = this.o.client.resource(resources.events);
    const prev = this.seen.get(key);
    let write: Promise<unknown>;
    if (prev) {
      prev.count++;
      const count = prev.count;
      this.seen.delete(key);
      this.seen.set(key, prev);
      // Ordered after the create, which must exist before it can be patched.
      write = prev.write.then(() => events.patch(ns, prev.name, "merge", { count, lastTimestamp: now }));
      prev.write = settled(write);
    } else {
      const name = `${pod.metadata?.name ?? "pod"}.${randomBytes(8).toString("hex")}`;
      const event: KubeObject = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace: ns },
        involvedObject: { apiVersion: "v1", kind: "Pod", namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid },
        reason,
        message,
        type,
        source: { component: "kubelet", host: this.o.nodeName },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: "kubelet",
        reportingInstance: this.o.nodeName,
      };
      write = events.create(ns, event);
      this.seen.set(key, { ns, name, count: 1, write: settled(write) });
      if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    }
    const tracked = write
      .catch((err: unknown) => this.o.log.debug("recording event failed", { pod: `${ns}/${pod.metadata?.name}`, reason, err }))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Waits for writes in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  pending(): number {
    return this.inFlight.size;
  }
}

// The API client the hollow nodes of one `k8ts sim` process share: at most maxInFlight requests at a time (watches
// aside), the rest queued by priority. Thousands of agents in one process otherwise each send whatever they have
// at once: under load the process held thousands of sockets to the API server, thousands more stuck connecting,
// and Lease renewals failed or waited behind pod Events. Three classes share the slots by turns: node heartbeats
// (Leases, Nodes) about half, everything else (pod status, pod and volume reads) about 3/8, Events 1/8; a class
// with nothing waiting gives its turn to the others. (Strict priority for heartbeats left 5,000 nodes' renewals
// holding every slot on a starved server and no pod ever Running; Kubernetes' API Priority and Fairness likewise
// shares, rather than orders, its priority levels.) Like the kubelet's event broadcaster, which
// drops events once 1000 are queued, Event writes beyond maxQueuedEvents waiting are dropped (the recorder logs
// them at debug); nothing else is ever dropped.
import type { Client, RawRequest } from "../client/rest_client.js";
import type { ResourceClient, ResourceRef } from "../client/types.js";
import type { KubeObject } from "../api/object.js";
import { Fifo } from "../util/fifo.js";

export interface HollowClientOptions {
  /** Requests in flight at once (default 128). */
  maxInFlight?: number;
  /** Event writes allowed to wait; more are dropped (default 10,000). */
  maxQueuedEvents?: number;
}

/** One turn in this many goes to a waiting Event even when other requests wait. */
const EVENT_TURN = 8;

/** 0: node heartbeats, 1: the rest, 2: events. */
type Priority = 0 | 1 | 2;

function priorityOf(resource: string): Priority {
  if (resource === "leases" || resource === "nodes") return 0;
  if (resource === "events") return 2;
  return 1;
}

export interface HollowClientStats {
  inFlight: number;
  queued: [number, number, number];
  droppedEvents: number;
  sent: number;
}

export interface HollowClient extends Client {
  stats(): HollowClientStats;
}

export function hollowClient(inner: Client, opts: HollowClientOptions = {}): HollowClient {
  const max = opts.maxInFlight ?? 128;
  const maxEvents = opts.maxQueuedEvents ?? 10_000;
  const queues: [Fifo<() => void>, Fifo<() => void>, Fifo<() => void>] = [new Fifo(), new Fifo(), new Fifo()];
  let inFlight = 0;
  let dropped = 0;
  let sent = 0;

  let turn = 0;
  const next = (): void => {
    while (inFlight < max) {
      // Turns: every EVENT_TURN-th goes to a waiting Event first, the other even ones to pod work first, the odd
      // ones to heartbeats first; a turn whose class has nothing waiting takes the next class that has.
      const t = ++turn;
      const [a, b, c] = t % EVENT_TURN === 0 ? queues.slice().reverse() : t % 2 === 0 ? [queues[1], queues[0], queues[2]] : queues;
      const start = a!.shift() ?? b!.shift() ?? c!.shift();
      if (!start) return void turn--;
      start();
    }
  };

  const run = <R>(prio: Priority, fn: () => Promise<R>): Promise<R> => {
    if (prio === 2 && queues[2].size >= maxEvents) {
      dropped++;
      return Promise.reject(new Error(`event dropped: ${maxEvents} event writes already waiting`));
    }
    return new Promise<R>((resolve, reject) => {
      queues[prio].push(() => {
        inFlight++;
        sent++;
        let p: Promise<R>;
        try {
          p = fn();
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(resolve, reject).finally(() => {
          inFlight--;
          next();
        });
      });
      next();
    });
  };

  const resource = <T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> => {
    const r = inner.resource<T>(ref);
    const p = priorityOf(ref.resource);
    return {
      ref: r.ref,
      get: (ns, name) => run(p, () => r.get(ns, name)),
      list: (ns, o) => run(p, () => r.list(ns, o)),
      create: (ns, obj, o) => run(p, () => r.create(ns, obj, o)),
      update: (ns, obj, o) => run(p, () => r.update(ns, obj, o)),
      updateStatus: (ns, obj, o) => run(p, () => r.updateStatus(ns, obj, o)),
      updateSubresource: (ns, obj, o) => run(p, () => r.updateSubresource(ns, obj, o)),
      patch: (ns, name, type, body, o) => run(p, () => r.patch(ns, name, type, body, o)),
      delete: (ns, name, o) => run(p, () => r.delete(ns, name, o)),
      deleteCollection: (ns, o) => run(p, () => r.deleteCollection(ns, o)),
      watch: (ns, o, h) => r.watch(ns, o, h),
    };
  };

  return {
    server: inner.server,
    resource,
    request: <T>(req: RawRequest): Promise<T> => run(1, () => inner.request<T>(req)),
    watchPath: (path, query, handlers) => inner.watchPath(path, query, handlers),
    close: () => inner.close(),
    stats: () => ({ inFlight, queued: [queues[0].size, queues[1].size, queues[2].size], droppedEvents: dropped, sent }),
  };
}

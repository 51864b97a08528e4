// Pods parked by Permit plugins that returned Wait. Each waiting plugin must allow the pod (allow(uid, plugin))
// before its timeout; any reject or timeout rejects it. Plugins reach this through their framework.
import type { Clock, TimerHandle } from "../../client/clock.js";
import type { Pod } from "./api_types.js";
import { Status } from "./status.js";

interface Waiting {
  pod: Pod;
  pending: Set<string>;
  timers: TimerHandle[];
  resolve?: (s: Status) => void;
}

export class WaitingPods {
  private readonly pods = new Map<string, Waiting>();

  constructor(private readonly clock: Clock) {}

  /** Parks the pod; the promise settles with Success once all plugins allowed it, or with the rejection. */
  add(pod: Pod, waits: Map<string, number>): Promise<Status> {
    const uid = pod.metadata?.uid ?? "";
    const w: Waiting = { pod, pending: new Set(waits.keys()), timers: [] };
    const done = new Promise<Status>((resolve) => (w.resolve = resolve));
    this.pods.set(uid, w);
    for (const [plugin, ms] of waits) {
      w.timers.push(this.clock.setTimer(() => this.reject(uid, plugin, `rejected due to timeout after waiting ${ms / 1000}s at plugin ${plugin}`), ms));
    }
    return done;
  }

  get(uid: string): Pod | undefined {
    return this.pods.get(uid)?.pod;
  }

  list(): Pod[] {
    return [...this.pods.values()].map((w) => w.pod);
  }

  allow(uid: string, plugin: string): void {
    const w = this.pods.get(uid);
    if (!w) return;
    w.pending.delete(plugin);
    if (w.pending.size === 0) this.finish(uid, Status.success());
  }

  reject(uid: string, plugin: string, msg: string): void {
    const s = Status.unschedulable(msg);
    s.plugin = plugin;
    this.finish(uid, s);
  }

  private finish(uid: string, s: Status): void {
    const w = this.pods.get(uid);
    if (!w) return;
    for (const t of w.timers) t.cancel();
    this.pods.delete(uid);
    w.resolve?.(s);
  }
}

// Container events for a CRI runtime without GetContainerEvents (containerd 1.6): the runtime reports the changes it
// makes itself at once, and a poller relists containers to catch the ones nobody asked for (a process exiting on its
// own, an OOM kill). States only move forward (created -> running -> exited -> deleted), so a relist that started
// before a change the runtime already reported cannot report it again or move it back.
import type { ContainerEvent, ContainerState } from "../types.js";

const RANK: Record<ContainerEvent["type"], number> = { created: 0, started: 1, stopped: 2, deleted: 3 };

export function eventFor(state: ContainerState): ContainerEvent["type"] | undefined {
  return state === "created" ? "created" : state === "running" ? "started" : state === "exited" ? "stopped" : undefined;
}

interface Known {
  last: ContainerEvent["type"];
  podSandboxId: string;
  /** When the tracker learned about this container (ms): a relist begun before this cannot prove it gone. */
  seenAt: number;
}

export interface ObservedContainer {
  id: string;
  podSandboxId: string;
  state: ContainerState;
}

export class ContainerEventTracker {
  private readonly listeners = new Set<(ev: ContainerEvent) => void>();
  private readonly known = new Map<string, Known>();

  constructor(
    /** The pod uid of a sandbox (from the sandbox metadata), "" when unknown. */
    private readonly podUidOf: (podSandboxId: string) => string,
    private readonly now: () => number = Date.now,
  ) {}

  get subscribed(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: (ev: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records that a container reached the state of this event type; emits when that is news. */
  observe(type: ContainerEvent["type"], containerId: string, podSandboxId: string): void {
    const k = this.known.get(containerId);
    if (k && RANK[k.last] >= RANK[type]) return;
    if (type === "deleted") this.known.delete(containerId);
    else this.known.set(containerId, { last: type, podSandboxId, seenAt: k?.seenAt ?? this.now() });
    if (this.listeners.size === 0) return;
    const ev: ContainerEvent = { type, containerId, podSandboxId, podUid: this.podUidOf(podSandboxId), at: this.now() };
    for (const l of this.listeners) l(ev);
  }

  /**
   * Applies a full relist that began at listedAt: state changes are observed, and containers known since before
   * listedAt that the list lacks are deleted. The first relist only learns what exists (no events for the past).
   */
  relist(containers: ObservedContainer[], listedAt: number, opts: { quiet?: boolean } = {}): void {
    const present = new Set<string>();
    for (const c of containers) {
      present.add(c.id);
      const type = eventFor(c.state);
      if (!type) continue;
      if (opts.quiet) {
        if (!this.known.has(c.id)) this.known.set(c.id, { last: type, podSandboxId: c.podSandboxId, seenAt: listedAt });
      } else this.observe(type, c.id, c.podSandboxId);
    }
    for (const [id, k] of [...this.known]) if (!present.has(id) && k.seenAt < listedAt) this.observe("deleted", id, k.podSandboxId);
  }
}

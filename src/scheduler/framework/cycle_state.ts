// Per-pod, per-cycle scratch space shared by the plugins of one scheduling attempt. Plugins write what PreFilter
// or PreScore computed under their own key and read it back in Filter or Score. Preemption clones it to try
// "what if these pods were gone" without disturbing the real cycle.
import type { Snapshot } from "../cache/snapshot.js";
import type { Pod } from "./api_types.js";
import { PodInfo } from "./pod_info.js";

export interface StateData {
  /** A copy safe to change independently; immutable data may return itself. */
  clone(): StateData;
}

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** Plugins whose PreFilter returned Skip: their Filter is not called in this cycle. */
  readonly skipFilterPlugins = new Set<string>();
  readonly skipScorePlugins = new Set<string>();
  /**
   * The framework's Filter and Score plugins less the skipped ones, worked out once per cycle rather than per node
   * (with the skip-set sizes they were computed for: the sets only grow, so a new size means a new list).
   */
  activeFilters?: { skips: number; list: unknown[] };
  activeScores?: { skips: number; list: unknown[] };
  /** The PodInfo of the pod being scheduled (Kubernetes' QueuedPodInfo carries one): derived once per cycle. */
  private info?: PodInfo;

  constructor(
    /** The cluster as this cycle sees it. */
    readonly snapshot: Snapshot,
  ) {}

  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  /**
   * What the scheduler derives from the pod (requests, affinity terms), shared by every plugin of the cycle; a
   * different pod object (another pod, or a new version) gets its own.
   */
  podInfo(pod: Pod): PodInfo {
    if (this.info?.pod !== pod) this.info = new PodInfo(pod);
    return this.info;
  }

  /** A copy over another snapshot (preemption's what-if view); plugin data is cloned. */
  clone(snapshot: Snapshot = this.snapshot): CycleState {
    const c = new CycleState(snapshot);
    c.info = this.info;
    for (const [k, v] of this.data) c.data.set(k, v.clone());
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    return c;
  }
}

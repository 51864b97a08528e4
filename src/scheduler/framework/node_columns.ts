// The per-node values the default Filter and Score plugins read for every node of every cycle, kept by the snapshot
// as columns (one typed array per value, indexed by the node's position in Snapshot.list()). Read through a
// NodeInfo, the same values sit behind three or four objects each (the NodeInfo, its Resources, the Node and its
// spec), most of them cache misses when ~500 nodes are visited per pod; here a cycle reads a few contiguous arrays.
// They are a cache of the NodeInfos: the snapshot rewrites a node's entries whenever it puts a new NodeInfo there.
import type { NodeInfo } from "./node_info.js";

/** flags bits. */
export const NODE_PRESENT = 1;
/** spec.unschedulable (cordoned). */
export const NODE_UNSCHEDULABLE = 2;
/** Has a NoSchedule or NoExecute taint. */
export const NODE_HARD_TAINTS = 4;
/** Has a PreferNoSchedule taint. */
export const NODE_SOFT_TAINTS = 8;
/** Reports at least one image. */
export const NODE_IMAGES = 16;
/** Its pods request extended resources, or it offers some. */
export const NODE_EXTENDED = 32;
const FLAG_BITS = 6;
/** Label keys with a column at most (the keys pods select on are few; hostname values alone are one per node). */
const MAX_LABEL_COLUMNS = 32;

export class NodeColumns {
  readonly allocCpu: Float64Array;
  readonly allocMemory: Float64Array;
  readonly allocEphemeral: Float64Array;
  readonly allocPods: Float64Array;
  readonly reqCpu: Float64Array;
  readonly reqMemory: Float64Array;
  readonly reqEphemeral: Float64Array;
  readonly nonZeroCpu: Float64Array;
  readonly nonZeroMemory: Float64Array;
  /** Pods on the node (bound and assumed). */
  readonly podCount: Float64Array;
  readonly flags: Uint8Array;
  /** How many nodes have each flag bit set (so a cycle can tell "no node has it" without a pass over them). */
  private readonly counts = new Int32Array(FLAG_BITS);
  /** Label key -> per node, the id of its value for that key (0: no such label); built on first use. */
  private readonly labelCols = new Map<string, Int32Array>();
  /** Label values -> ids (from 1), shared by every key, and back. */
  private readonly valueIds = new Map<string, number>();
  private readonly values: string[] = [""];

  /** infos: the snapshot's node list, which the columns describe position by position. */
  constructor(
    readonly length: number,
    private readonly infos: readonly NodeInfo[] = [],
  ) {
    this.allocCpu = new Float64Array(length);
    this.allocMemory = new Float64Array(length);
    this.allocEphemeral = new Float64Array(length);
    this.allocPods = new Float64Array(length);
    this.reqCpu = new Float64Array(length);
    this.reqMemory = new Float64Array(length);
    this.reqEphemeral = new Float64Array(length);
    this.nonZeroCpu = new Float64Array(length);
    this.nonZeroMemory = new Float64Array(length);
    this.podCount = new Float64Array(length);
    this.flags = new Uint8Array(length);
  }

  /** How many nodes have this flag (one of the NODE_* bits). */
  count(flag: number): number {
    return this.counts[31 - Math.clz32(flag)]!;
  }

  /**
   * Per node position, the id of the node's value for the label key (0 when it has no such label; compare with
   * valueId), or undefined past MAX_LABEL_COLUMNS keys.
   */
  labelColumn(key: string): Int32Array | undefined {
    let col = this.labelCols.get(key);
    if (col) return col;
    if (this.labelCols.size >= MAX_LABEL_COLUMNS) return undefined;
    col = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) col[i] = this.labelValueId(this.infos[i]!, key);
    this.labelCols.set(key, col);
    return col;
  }

  /** The id label columns use for this value (never 0). */
  valueId(value: string): number {
    let id = this.valueIds.get(value);
    if (id === undefined) {
      this.valueIds.set(value, (id = this.values.length));
      this.values.push(value);
    }
    return id;
  }

  /** The label value of an id from valueId. */
  valueOf(id: number): string {
    return this.values[id]!;
  }

  /** One more than the largest value id handed out so far (ids are dense, from 1). */
  get valueCount(): number {
    return this.values.length;
  }

  private labelValueId(info: NodeInfo, key: string): number {
    const labels = info.node?.metadata?.labels;
    return labels && Object.prototype.hasOwnProperty.call(labels, key) ? this.valueId(labels[key]!) : 0;
  }

  static of(infos: readonly NodeInfo[]): NodeColumns {
    const c = new NodeColumns(infos.length, infos);
    for (let i = 0; i < infos.length; i++) c.set(i, infos[i]!);
    return c;
  }

  /** Rewrites position i from info. */
  set(i: number, info: NodeInfo): void {
    this.tally(this.flags[i]!, -1);
    const a = info.allocatable;
    const r = info.requested;
    this.allocCpu[i] = a.cpu;
    this.allocMemory[i] = a.memory;
    this.allocEphemeral[i] = a.ephemeralStorage;
    this.allocPods[i] = a.pods;
    this.reqCpu[i] = r.cpu;
    this.reqMemory[i] = r.memory;
    this.reqEphemeral[i] = r.ephemeralStorage;
    this.nonZeroCpu[i] = info.nonZeroRequested.cpu;
    this.nonZeroMemory[i] = info.nonZeroRequested.memory;
    this.podCount[i] = info.pods.length;
    let f = 0;
    const node = info.node;
    if (node) {
      f |= NODE_PRESENT;
      if (node.spec?.unschedulable) f |= NODE_UNSCHEDULABLE;
      for (const t of node.spec?.taints ?? []) {
        if (t.effect === "NoSchedule" || t.effect === "NoExecute") f |= NODE_HARD_TAINTS;
        else if (t.effect === "PreferNoSchedule") f |= NODE_SOFT_TAINTS;
      }
    }
    if (info.imageStates.size > 0) f |= NODE_IMAGES;
    if (a.hasExtended() || r.hasExtended()) f |= NODE_EXTENDED;
    this.flags[i] = f;
    this.tally(f, 1);
    for (const [key, col] of this.labelCols) col[i] = this.labelValueId(info, key);
  }

  private tally(f: number, by: number): void {
    for (let b = 0; b < FLAG_BITS; b++) if (f & (1 << b)) this.counts[b]! += by;
  }
}

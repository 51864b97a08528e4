// A point-in-time view of the cluster for one scheduling cycle: NodeInfos by name and as a list. Built
// incrementally by the cache (only nodes whose generation changed are cloned). Preemption derives what-if views
// with one node replaced.
import { NodeColumns } from "../framework/node_columns.js";
import type { NodeInfo } from "../framework/node_info.js";

export class Snapshot {
  private byName = new Map<string, NodeInfo>();
  private indexOf = new Map<string, number>();
  private nodes: NodeInfo[] = [];
  private affinityNodes?: NodeInfo[];
  private antiAffinityNodes?: NodeInfo[];
  /** A what-if view (withNode): this node replaces its namesake, the maps are shared with the original. */
  private override?: NodeInfo;
  /** The hot per-node values of list(), by position (undefined in a what-if view). */
  private cols?: NodeColumns;

  static of(infos: NodeInfo[]): Snapshot {
    const s = new Snapshot();
    s.set(infos);
    return s;
  }

  /** Replaces the contents (the cache calls this when any node changed). */
  set(infos: NodeInfo[]): void {
    this.override = undefined;
    this.nodes = infos;
    this.byName = new Map(infos.map((n) => [n.name, n]));
    this.indexOf = new Map(infos.map((n, i) => [n.name, i]));
    this.cols = NodeColumns.of(infos);
    this.affinityNodes = undefined;
    this.antiAffinityNodes = undefined;
  }

  /**
   * Puts info in place of the node of the same name (false when there is none), in place: like Kubernetes' snapshot,
   * list() is the live list, read by the cycle that updated it (cycles do not overlap); a what-if view (withNode)
   * has its own copy.
   */
  replace(infos: NodeInfo[]): boolean {
    if (infos.some((info) => !this.indexOf.has(info.name))) return false;
    if (this.override) {
      // A what-if view: stop sharing the original's name map before changing it.
      this.byName = new Map(this.byName);
      this.byName.set(this.override.name, this.override);
      this.override = undefined;
    }
    const nodes = this.nodes;
    for (const info of infos) {
      const i = this.indexOf.get(info.name)!;
      const old = nodes[i]!;
      nodes[i] = info;
      this.cols?.set(i, info);
      this.byName.set(info.name, info);
      if (old.podsWithAffinity.length || info.podsWithAffinity.length) this.affinityNodes = undefined;
      if (old.podsWithRequiredAntiAffinity.length || info.podsWithRequiredAntiAffinity.length) this.antiAffinityNodes = undefined;
    }
    if (this.affinityNodes) this.affinityNodes = this.affinityNodes.map((n) => this.byName.get(n.name)!);
    if (this.antiAffinityNodes) this.antiAffinityNodes = this.antiAffinityNodes.map((n) => this.byName.get(n.name)!);
    return true;
  }

  list(): NodeInfo[] {
    return this.nodes;
  }

  /**
   * The hot per-node values of the current list(), by position; undefined for a what-if view. Unlike list(), it
   * always shows the latest contents: read it in the cycle that updated the snapshot.
   */
  columns(): NodeColumns | undefined {
    return this.cols;
  }

  get(name: string): NodeInfo | undefined {
    if (this.override !== undefined && this.override.name === name) return this.override;
    return this.byName.get(name);
  }

  /** Where the node of this name is in list(). */
  positionOf(name: string): number | undefined {
    return this.indexOf.get(name);
  }

  numNodes(): number {
    return this.nodes.length;
  }

  /** Nodes with at least one pod that has pod (anti-)affinity terms. */
  havePodsWithAffinity(): NodeInfo[] {
    return (this.affinityNodes ??= this.nodes.filter((n) => n.podsWithAffinity.length > 0));
  }

  havePodsWithRequiredAntiAffinity(): NodeInfo[] {
    return (this.antiAffinityNodes ??= this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0));
  }

  /**
   * The same view with one NodeInfo swapped for another of the same name (preemption's what-if, run for every
   * candidate node and victim): shares this snapshot's name and index maps rather than rebuilding them, so it
   * costs one array copy, not two maps over every node.
   */
  withNode(info: NodeInfo): Snapshot {
    const i = this.indexOf.get(info.name);
    // Unknown name, or a what-if of a what-if for another node: built in full.
    if (i === undefined || (this.override && this.override.name !== info.name)) return Snapshot.of(this.nodes.map((n) => (n.name === info.name ? info : n)));
    const s = new Snapshot();
    s.nodes = this.nodes.slice();
    s.nodes[i] = info;
    s.byName = this.byName;
    s.indexOf = this.indexOf;
    s.override = info;
    s.cols = undefined;
    return s;
  }
}

// A point-in-time view of the cluster for one scheduling cycle: NodeInfos by name and as a list. Built
// incrementally by the cache (only nodes whose generation changed are cloned). Preemption derives what-if views
// with one node replaced.
import type { NodeInfo } from "../framework/node_info.js";

export class Snapshot {
  private byName = new Map<string, NodeInfo>();
  private nodes: NodeInfo[] = [];
  private affinityNodes?: NodeInfo[];
  private antiAffinityNodes?: NodeInfo[];

  static of(infos: NodeInfo[]): Snapshot {
    const s = new Snapshot();
    s.set(infos);
    return s;
  }

  /** Replaces the contents (the cache calls this when any node changed). */
  set(infos: NodeInfo[]): void {
    this.nodes = infos;
    this.byName = new Map(infos.map((n) => [n.name, n]));
    this.affinityNodes = undefined;
    this.antiAffinityNodes = undefined;
  }

  list(): NodeInfo[] {
    return this.nodes;
  }

  get(name: string): NodeInfo | undefined {
    return this.byName.get(name);
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

  /** The same view with one NodeInfo swapped for another of the same name. */
  withNode(info: NodeInfo): Snapshot {
    return Snapshot.of(this.nodes.map((n) => (n.name === info.name ? info : n)));
  }
}

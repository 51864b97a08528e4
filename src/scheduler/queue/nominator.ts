// Pods nominated to nodes by preemption (status.nominatedNodeName) while their victims terminate. The filters
// count them on their node, so the room made for them is not taken by pods of lower priority.
import type { Pod } from "../framework/api_types.js";

const uidOf = (p: Pod): string => p.metadata?.uid ?? `${p.metadata?.namespace}/${p.metadata?.name}`;

const NONE: readonly Pod[] = Object.freeze([]);

export class Nominator {
  private readonly byNode = new Map<string, Map<string, Pod>>();
  private readonly nodeOf = new Map<string, string>();

  /** Records (or clears) the nomination a pod carries in its status, or the one given. */
  addFromPod(pod: Pod, nodeName = pod.status?.nominatedNodeName ?? ""): void {
    const uid = uidOf(pod);
    this.delete(pod);
    if (!nodeName || pod.spec?.nodeName) return;
    this.nodeOf.set(uid, nodeName);
    let m = this.byNode.get(nodeName);
    if (!m) this.byNode.set(nodeName, (m = new Map()));
    m.set(uid, pod);
  }

  delete(pod: Pod): void {
    const uid = uidOf(pod);
    const node = this.nodeOf.get(uid);
    if (node === undefined) return;
    this.nodeOf.delete(uid);
    const m = this.byNode.get(node);
    m?.delete(uid);
    if (m?.size === 0) this.byNode.delete(node);
  }

  /** The pods nominated to the node (a fresh list; the shared empty one when there are none: do not mutate). */
  podsForNode(nodeName: string): readonly Pod[] {
    if (this.byNode.size === 0) return NONE;
    const m = this.byNode.get(nodeName);
    return m ? [...m.values()] : NONE;
  }

  /** Whether any pod is nominated anywhere (the filters then need no per-node lookup). */
  empty(): boolean {
    return this.byNode.size === 0;
  }

  nominatedNode(pod: Pod): string | undefined {
    return this.nodeOf.get(uidOf(pod));
  }
}

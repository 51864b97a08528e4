// The scheduler's cache: nodes and the pods placed on them, fed by informers, plus "assumed" pods. A pod is
// assumed onto its node as soon as a scheduling cycle picks it (so the next cycle already counts it) and stays
// assumed until the informer shows it bound, or until the assumption expires ttlMs after its binding finished
// (a binding that was never observed, say because the pod was deleted meanwhile).
import type { Clock } from "../../client/clock.js";
import type { Node, Pod } from "../framework/api_types.js";
import { NodeInfo, type ImageState } from "../framework/node_info.js";
import { PodInfo } from "../framework/pod_info.js";
import { Snapshot } from "./snapshot.js";

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** When an assumed pod whose binding finished is forgotten; undefined while binding is in flight. */
  deadline?: number;
}

/** Image names as nodes report them and pods ask for them: a missing tag means ":latest". */
export function normalizeImageName(name: string): string {
  if (name.includes("@")) return name;
  const lastSlash = name.lastIndexOf("/");
  return name.slice(lastSlash + 1).includes(":") ? name : `${name}:latest`;
}

export interface CacheOptions {
  clock: Clock;
  /** How long an assumed pod whose binding finished may wait to be observed (default 15 minutes). */
  assumedTtlMs?: number;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly images = new Map<string, ImageState & { nodes: Set<string> }>();
  private readonly ttlMs: number;
  private snapshotGen = new Map<string, number>();
  /** A node was added or removed since the last snapshot update: the node list itself must be rebuilt. */
  private snapshotDirty = true;
  /** Nodes whose NodeInfo changed since the last update of lastSnapshot. */
  private readonly changed = new Set<string>();
  private lastSnapshot?: Snapshot;

  constructor(private readonly opts: CacheOptions) {
    this.ttlMs = opts.assumedTtlMs ?? 15 * 60_000;
  }

  private infoFor(nodeName: string): NodeInfo {
    let ni = this.nodes.get(nodeName);
    if (!ni) {
      // Pods can be seen before their node: keep them under a node-less NodeInfo until the node arrives.
      ni = new NodeInfo();
      this.nodes.set(nodeName, ni);
      this.snapshotDirty = true;
    }
    return ni;
  }

  private uidOf(pod: Pod): string {
    return pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  }

  private place(pod: Pod, nodeName: string, assumed: boolean, derivedFrom?: PodInfo): void {
    const info = new PodInfo(pod, derivedFrom);
    this.infoFor(nodeName).addPod(info);
    this.changed.add(nodeName);
    this.pods.set(info.uid, { info, nodeName, assumed });
  }

  private unplace(uid: string): void {
    const st = this.pods.get(uid);
    if (!st) return;
    const ni = this.nodes.get(st.nodeName);
    ni?.removePod(uid);
    this.changed.add(st.nodeName);
    if (ni && !ni.node && ni.pods.length === 0) {
      this.nodes.delete(st.nodeName);
      this.snapshotDirty = true;
    }
    this.pods.delete(uid);
  }

  /**
   * Counts the pod on nodeName from now on (pod.spec.nodeName is ignored). `derivedFrom`: the scheduling cycle's
   * PodInfo of the same pod (the assumed copy differs only in nodeName), so its requests are not worked out again.
   */
  assumePod(pod: Pod, nodeName: string, derivedFrom?: PodInfo): void {
    const uid = this.uidOf(pod);
    if (this.pods.has(uid)) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} is already in the scheduler cache`);
    this.place(pod, nodeName, true, derivedFrom);
  }

  /** The binding call returned: start the expiry clock of the assumption. */
  finishBinding(pod: Pod): void {
    const st = this.pods.get(this.uidOf(pod));
    if (st?.assumed) st.deadline = this.opts.clock.now() + this.ttlMs;
  }

  /** Drops an assumption (binding failed or a later extension point rejected the pod). */
  forgetPod(pod: Pod): void {
    const st = this.pods.get(this.uidOf(pod));
    if (st?.assumed) this.unplace(this.uidOf(pod));
  }

  isAssumed(pod: Pod): boolean {
    return this.pods.get(this.uidOf(pod))?.assumed ?? false;
  }

  /** A bound pod seen by the informer (confirms an assumption). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const uid = this.uidOf(pod);
    const st = this.pods.get(uid);
    if (st?.assumed && st.nodeName === nodeName) {
      // The binding observed where it was assumed: confirmed, as Kubernetes' cache does, without touching the
      // node (its NodeInfo already counts the pod, so the next snapshot has nothing to clone for it).
      st.assumed = false;
      st.deadline = undefined;
      return;
    }
    if (st) this.unplace(uid);
    this.place(pod, nodeName, false);
  }

  /** A bound pod changed (status, labels, resources): its node counts the new version. */
  updatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const uid = this.uidOf(pod);
    if (this.pods.has(uid)) this.unplace(uid);
    this.place(pod, nodeName, false);
  }

  removePod(pod: Pod): void {
    this.unplace(this.uidOf(pod));
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const ni = this.infoFor(name);
    if (ni.node) this.untrackImages(ni);
    else this.snapshotDirty = true;
    ni.setNode(node);
    this.trackImages(ni);
    this.changed.add(name);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.untrackImages(ni);
    ni.node = undefined;
    ni.generation++;
    if (ni.pods.length === 0) this.nodes.delete(name);
    this.snapshotDirty = true;
  }

  private trackImages(ni: NodeInfo): void {
    ni.imageStates = new Map();
    for (const img of ni.node?.status?.images ?? []) {
      for (const raw of img.names ?? []) {
        const name = normalizeImageName(raw);
        let st = this.images.get(name);
        if (!st) this.images.set(name, (st = { size: img.sizeBytes ?? 0, numNodes: 0, nodes: new Set() }));
        st.nodes.add(ni.name);
        st.numNodes = st.nodes.size;
        ni.imageStates.set(name, st);
      }
    }
  }

  private untrackImages(ni: NodeInfo): void {
    for (const name of ni.imageStates.keys()) {
      const st = this.images.get(name);
      if (!st) continue;
      st.nodes.delete(ni.name);
      st.numNodes = st.nodes.size;
      if (st.nodes.size === 0) this.images.delete(name);
    }
    ni.imageStates = new Map();
  }

  /** Forgets assumed pods whose binding finished more than the TTL ago; returns them. */
  cleanupExpiredAssumedPods(): Pod[] {
    const now = this.opts.clock.now();
    const expired: Pod[] = [];
    for (const [uid, st] of this.pods) {
      if (st.assumed && st.deadline !== undefined && st.deadline <= now) {
        expired.push(st.info.pod);
        this.unplace(uid);
      }
    }
    return expired;
  }

  nodeCount(): number {
    let n = 0;
    for (const ni of this.nodes.values()) if (ni.node) n++;
    return n;
  }

  podCount(): number {
    return this.pods.size;
  }

  /** The NodeInfo of a node as the cache holds it now (tests and debugging; do not mutate). */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** Brings a snapshot up to date, cloning only the nodes that changed since the last update. */
  updateSnapshot(snapshot: Snapshot): void {
    // The usual case: the same snapshot as last time and only some nodes' pods or status changed.
    if (snapshot === this.lastSnapshot && !this.snapshotDirty) {
      const infos: NodeInfo[] = [];
      for (const name of this.changed) {
        const ni = this.nodes.get(name);
        if (!ni?.node || this.snapshotGen.get(name) === ni.generation) continue;
        infos.push(ni.clone());
      }
      if (infos.length === 0 || snapshot.replace(infos)) {
        for (const info of infos) this.snapshotGen.set(info.name, info.generation);
        this.changed.clear();
        return;
      }
    }
    this.rebuildSnapshot(snapshot);
    this.lastSnapshot = snapshot;
    this.changed.clear();
  }

  private rebuildSnapshot(snapshot: Snapshot): void {
    let changed = this.snapshotDirty;
    const infos: NodeInfo[] = [];
    for (const [name, ni] of this.nodes) {
      if (!ni.node) continue;
      const cur = snapshot.get(name);
      if (cur && this.snapshotGen.get(name) === ni.generation) {
        infos.push(cur);
        continue;
      }
      changed = true;
      infos.push(ni.clone());
      this.snapshotGen.set(name, ni.generation);
    }
    if (!changed && infos.length === snapshot.numNodes()) {
      this.snapshotDirty = false;
      return;
    }
    for (const name of this.snapshotGen.keys()) if (!this.nodes.get(name)?.node) this.snapshotGen.delete(name);
    infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    snapshot.set(infos);
    this.snapshotDirty = false;
  }
}

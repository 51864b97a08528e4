// A node with what is placed on it: its pods (bound and assumed), the sum of their requests, the host ports they
// use and which images it holds. The cache mutates NodeInfos and bumps `generation`; each scheduling cycle works
// on cloned snapshots so plugins never see a half-applied change.
import type { Node } from "./api_types.js";
import type { PodInfo } from "./pod_info.js";
import { PODS, Resource, toAmounts } from "./resource.js";

/** How an image appears across the cluster: its size and on how many nodes it is present. */
export interface ImageState {
  size: number;
  numNodes: number;
}

let generationCounter = 0;
export function nextGeneration(): number {
  return ++generationCounter;
}

export class NodeInfo {
  node?: Node;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /** "ip/protocol/port" of every hostPort in use ("0.0.0.0" for any address). */
  usedPorts = new Map<string, number>();
  /** Normalized image name -> state, for images present on this node. */
  imageStates = new Map<string, ImageState>();
  generation = nextGeneration();

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  get name(): string {
    return this.node?.metadata?.name ?? "";
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = new Resource(toAmounts((node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined));
    this.generation = nextGeneration();
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity()) this.podsWithAffinity.push(pi);
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.push(pi);
    this.account(pi, 1);
  }

  /** Removes the pod with this uid; false when it was not here. */
  removePod(uid: string): boolean {
    const i = this.pods.findIndex((p) => p.uid === uid);
    if (i < 0) return false;
    const [pi] = this.pods.splice(i, 1);
    this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.uid !== uid);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p.uid !== uid);
    this.account(pi!, -1);
    return true;
  }

  private account(pi: PodInfo, sign: 1 | -1): void {
    this.requested.add(pi.requests, sign);
    this.requested.set(PODS, this.requested.get(PODS) + sign);
    this.nonZeroRequested.add(pi.nonZeroRequests, sign);
    this.nonZeroRequested.set(PODS, this.nonZeroRequested.get(PODS) + sign);
    for (const port of hostPortsOf(pi)) {
      const n = (this.usedPorts.get(port) ?? 0) + sign;
      if (n <= 0) this.usedPorts.delete(port);
      else this.usedPorts.set(port, n);
    }
    this.generation = nextGeneration();
  }

  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable.clone();
    c.usedPorts = new Map(this.usedPorts);
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    return c;
  }
}

/** The host ports a pod binds, as "ip/protocol/port". */
export function hostPortsOf(pi: PodInfo): string[] {
  const out: string[] = [];
  for (const c of [...(pi.pod.spec?.initContainers ?? []), ...(pi.pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push(`${p.hostIP || "0.0.0.0"}/${p.protocol ?? "TCP"}/${p.hostPort}`);
    }
  }
  return out;
}

// A node with what is placed on it: its pods (bound and assumed), the sum of their requests, the host ports they
// use and which images it holds. The cache mutates NodeInfos and bumps `generation`; each scheduling cycle works
// on cloned snapshots so plugins never see a half-applied change.
import type { Container, Node } from "./api_types.js";
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
  pods: PodInfo[];
  podsWithAffinity: PodInfo[];
  podsWithRequiredAntiAffinity: PodInfo[];
  requested: Resource;
  nonZeroRequested: Resource;
  allocatable: Resource;
  /** "ip/protocol/port" of every hostPort in use ("0.0.0.0" for any address). */
  usedPorts: Map<string, number>;
  /** Normalized image name -> state, for images present on this node. */
  imageStates: Map<string, ImageState>;
  generation: number;

  /** `copyOf` is clone()'s: every field copied in the same order, none made only to be replaced. */
  constructor(node?: Node, copyOf?: NodeInfo) {
    if (copyOf) {
      this.node = copyOf.node;
      this.pods = [...copyOf.pods];
      this.podsWithAffinity = [...copyOf.podsWithAffinity];
      this.podsWithRequiredAntiAffinity = [...copyOf.podsWithRequiredAntiAffinity];
      this.requested = copyOf.requested.clone();
      this.nonZeroRequested = copyOf.nonZeroRequested.clone();
      this.allocatable = copyOf.allocatable.clone();
      this.usedPorts = new Map(copyOf.usedPorts);
      this.imageStates = copyOf.imageStates;
      this.generation = copyOf.generation;
      return;
    }
    this.node = undefined;
    this.pods = [];
    this.podsWithAffinity = [];
    this.podsWithRequiredAntiAffinity = [];
    this.requested = new Resource();
    this.nonZeroRequested = new Resource();
    this.allocatable = new Resource();
    this.usedPorts = new Map();
    this.imageStates = new Map();
    this.generation = nextGeneration();
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
    return new NodeInfo(undefined, this);
  }
}

/** The host ports a pod binds, as "ip/protocol/port". */
export function hostPortsOf(pi: PodInfo): string[] {
  const out: string[] = [];
  addHostPorts(pi.pod.spec?.initContainers, out);
  addHostPorts(pi.pod.spec?.containers, out);
  return out;
}

function addHostPorts(containers: readonly Container[] | undefined, out: string[]): void {
  if (!containers) return;
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push(`${p.hostIP || "0.0.0.0"}/${p.protocol ?? "TCP"}/${p.hostPort}`);
    }
  }
}

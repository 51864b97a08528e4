// Interfaces of the node agent (kubelet): how it probes containers and where it learns about its pods.
import type { Container, Pod, Probe } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";

export type ProbeKind = "readiness" | "liveness" | "startup";
export type ProbeResult = "success" | "failure";

export interface ProbeRequest {
  kind: ProbeKind;
  pod: Pod;
  container: Container;
  /** The runtime's id of the running container instance. */
  containerId: string;
  probe: Probe;
  /** When the container instance started (ms since the epoch). */
  startedAt: number;
}

/**
 * Runs one probe attempt. The simulated runtime answers from pod annotations; exec/http/tcp probers against real
 * containers come with the CRI runtime. A prober answers "failure" rather than throwing for a failed check; a thrown
 * error counts as a failure too. It must give up by probe.timeoutSeconds.
 */
export interface Prober {
  probe(req: ProbeRequest): Promise<ProbeResult>;
}

export interface PodEventHandler {
  /** The pod was added or changed. */
  upsert(pod: Pod): void;
  /** The pod is gone from the API (its last known state). */
  remove(pod: Pod): void;
}

/**
 * The pods bound to nodes, as the agent sees them: one informer per agent (fieldSelector spec.nodeName=<node>), or
 * one shared by many hollow nodes and indexed by spec.nodeName.
 */
export interface PodSource {
  /** Pods currently bound to the node. */
  listForNode(nodeName: string): Pod[];
  /** Sends the node's pod changes to the handler until the returned function is called. */
  subscribe(nodeName: string, handler: PodEventHandler): () => void;
  /** Resolves true once the source has its first list (false when the signal aborts first). */
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

/** API objects as the generic client handles them. */
export type PodObject = Pod & KubeObject;
export type NodeObject = import("kubernetes-types/core/v1.js").Node & KubeObject;
export type LeaseObject = import("kubernetes-types/coordination/v1.js").Lease & KubeObject;

// The resource metrics pipeline's seams: where node usage comes from (a NodeStatsSource, by default the node
// agent's /stats/summary over HTTP) and the shapes of metrics.k8s.io/v1beta1 it serves.
import type { KubeObject } from "../api/object.js";

/** The part of the kubelet Summary API (stats/v1alpha1) the pipeline reads. */
export interface CpuSample {
  time?: string;
  /** Current usage; preferred when present. */
  usageNanoCores?: number;
  /** Cumulative usage; a rate between two scrapes when usageNanoCores is absent. */
  usageCoreNanoSeconds?: number;
}

export interface MemorySample {
  time?: string;
  workingSetBytes?: number;
}

export interface StatsSummary {
  node: { nodeName: string; cpu?: CpuSample; memory?: MemorySample };
  pods?: Array<{
    podRef: { name: string; namespace: string; uid?: string };
    containers?: Array<{ name: string; cpu?: CpuSample; memory?: MemorySample }>;
    /** k8ts extension: the Prometheus samples the pod exposes (the agent scrapes pods annotated
     *  prometheus.io/scrape); counters are flagged, their values cumulative. */
    customMetrics?: { time?: string; samples?: Array<{ name: string; labels?: Record<string, string>; value: number; counter?: boolean }>; error?: string };
  }>;
}

export interface NodeAddressing {
  name: string;
  /** status.addresses InternalIP, else the first address. */
  address?: string;
  /** status.daemonEndpoints.kubeletEndpoint.Port. */
  port?: number;
  labels?: Record<string, string>;
}

/** Where a node's usage comes from. Contract: resolves the node's current summary or rejects (the node is then
 *  left out of this round, as metrics-server does with a failed scrape). */
export interface NodeStatsSource {
  summary(node: NodeAddressing, signal?: AbortSignal): Promise<StatsSummary>;
  /** False for a node this source can never reach (no address, a hollow node): the scrape round skips it without
   *  asking, as if it had failed. Absent: every node is asked. */
  reachable?(node: NodeAddressing): boolean;
}

/** One resource reading: cpu in nano-cores, memory working set in bytes. */
export interface Usage {
  cpuNanoCores: number;
  memoryBytes: number;
}

export interface ContainerMetricsPoint {
  name: string;
  usage: Usage;
}

export interface PodMetricsPoint {
  namespace: string;
  name: string;
  /** When the usage was read (ms since the epoch) and over how long the cpu rate was taken. */
  timestamp: number;
  windowMs: number;
  containers: ContainerMetricsPoint[];
}

export interface NodeMetricsPoint {
  name: string;
  timestamp: number;
  windowMs: number;
  usage: Usage;
}

/** metrics.k8s.io/v1beta1 objects. */
export interface PodMetrics extends KubeObject {
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: Record<string, string> }>;
}

export interface NodeMetrics extends KubeObject {
  timestamp: string;
  window: string;
  usage: Record<string, string>;
}

// The scheduling framework's extension points: one small interface per point. A plugin is an object with a name
// that implements any of them; the framework calls them in the configured order for each pod.
//
// Contracts:
// - PreFilter runs once per pod per cycle; it may precompute into CycleState, narrow the candidate nodes
//   (PreFilterResult.nodeNames), return Skip (its Filter is then not called) or reject the pod outright.
// - Filter decides for one node; it must not mutate the NodeInfo. The first non-success stops the node.
// - PostFilter runs only when no node passed (preemption lives here).
// - PreScore/Score rank the feasible nodes; scores are 0..MAX_NODE_SCORE after NormalizeScore, then weighted.
// - Reserve/Unreserve: Reserve runs after the pod is assumed; Unreserve (in reverse order) when a later step fails.
//   Unreserve must be idempotent.
// - Permit may approve, reject or make the pod Wait (with a timeout) before binding.
// - PreBind then Bind run in the binding cycle; the first Bind plugin that does not Skip binds the pod.
import type { PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { Client } from "../../client/rest_client.js";
import type { Logger } from "../../util/log.js";
import type { Snapshot } from "../cache/snapshot.js";
import type { Pod } from "./api_types.js";
import type { CycleState } from "./cycle_state.js";
import type { NodeColumns } from "./node_columns.js";
import type { NodeInfo } from "./node_info.js";
import type { Status } from "./status.js";
import type { WaitingPods } from "./waiting_pods.js";

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface Plugin {
  readonly name: string;
}

export interface PreFilterResult {
  /** Only these nodes need be considered; undefined means all. */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status };
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
  /**
   * Optional fast path, asked once per cycle (after PreFilter) for the snapshot's node columns: "all" when filter()
   * would pass every node for this pod, or a check of node position i that answers true only when filter() would
   * answer Success there (false sends the node through filter() for its status). undefined: no fast path.
   */
  filterKernel?(state: CycleState, pod: Pod, cols: NodeColumns): FilterKernel | "all" | undefined;
}

/** See FilterPlugin.filterKernel. */
export type FilterKernel = (i: number) => boolean;

export interface PostFilterResult {
  nominatedNodeName?: string;
  /** How many pods were preempted for it (metrics). */
  victims?: number;
}

/** What the filters said about each node, for PostFilter and the FitError message. */
export type NodeToStatus = Map<string, Status>;

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, node: NodeInfo): { score: number; status: Status };
  /** Rescales this plugin's raw scores into 0..MAX_NODE_SCORE in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
  /**
   * Optional fast path, asked once per cycle (after PreScore) for the snapshot's node columns: the raw score (what
   * score() would answer, before normalizeScore) of the node at position i; or a number when every candidate node
   * ends with that score after normalizeScore (which is then not called). undefined: no fast path.
   */
  scoreKernel?(state: CycleState, pod: Pod, cols: NodeColumns): ScoreKernel | number | undefined;
}

/** See ScorePlugin.scoreKernel. */
export type ScoreKernel = (i: number) => number;

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Success to allow, Wait with timeoutMs to park the pod, anything else rejects. */
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface QueueSortPlugin extends Plugin {
  /** True when a should be tried before b. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** A pod as the scheduling queue holds it. */
export interface QueuedPodInfo {
  pod: Pod;
  /** When it was (last) added to the queue: the tie-breaker after priority. */
  timestamp: number;
  /** Scheduling attempts so far; drives the backoff. */
  attempts: number;
  /** When it first entered the queue, for the end-to-end scheduling latency. */
  initialAttemptTimestamp?: number;
  /** Plugins that rejected it last time; only events they care about move it back. */
  unschedulablePlugins: Set<string>;
}

/** What changed in the cluster. Resource "Pod" with action "Delete" for a deleted pod, and so on. */
export type EventResource = "Pod" | "AssignedPod" | "Node" | "Namespace" | "PriorityClass" | "Service" | "PersistentVolumeClaim" | "PersistentVolume" | "StorageClass" | "*";
export type ActionType = "Add" | "Delete" | "Update" | "UpdateNodeLabel" | "UpdateNodeTaint" | "UpdateNodeAllocatable" | "UpdateNodeCondition" | "UpdatePodLabel" | "All";

export interface ClusterEvent {
  resource: EventResource;
  action: ActionType;
  label?: string;
}

/** Plugins that can reject pods say which cluster events could make a rejected pod schedulable. */
export interface EnqueueExtensions {
  eventsToRegister(): ClusterEvent[];
}

/** The volume objects VolumeBinding reads (from the scheduler's informers). */
export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

/** Given to plugin factories: what a plugin may use beyond the pod and the node it is asked about. */
export interface Handle {
  readonly client?: Client;
  /** The profile (schedulerName) this plugin serves. */
  readonly profileName: string;
  /** Records an event about a pod, as this scheduler (best effort). */
  recordEvent?(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void;
  readonly log: Logger;
  /** Labels of a namespace, for pod affinity namespaceSelectors. */
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** The PriorityClass value for a name, when known. */
  priorityClassValue(name: string): number | undefined;
  /** Cluster objects for default topology spreading: selectors of services, RCs, RSs and StatefulSets of a pod. */
  defaultSpreadSelectors(pod: Pod): Array<{ matches(labels?: Record<string, string> | null): boolean }>;
  /** Runs the profile's filters for a pod on a node (preemption's what-if check). */
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status;
  /** Runs the profile's PreFilter plugins against a what-if snapshot. */
  runPreFilters(state: CycleState, pod: Pod): Status;
  /** PodDisruptionBudgets: preemption prefers victims whose eviction violates none. */
  disruptionBudgets(): Array<{ namespace: string; selector: { matches(labels?: Record<string, string> | null): boolean }; disruptionsAllowed: number }>;
  /** Pods nominated to a node (after preemption) that should count there. */
  nominatedPodsForNode(nodeName: string): readonly Pod[];
  readonly snapshot: () => Snapshot;
  /** Pods parked by Permit plugins; a plugin lets one go with allow(uid, pluginName). */
  readonly waitingPods: WaitingPods;
  /** PersistentVolumeClaims, PersistentVolumes and StorageClasses, when the scheduler watches them. */
  readonly volumes?: VolumeLookup;
}

export type PluginFactory = (args: unknown, handle: Handle) => Plugin;

export function implementsPoint<T extends Plugin>(p: Plugin, method: string): p is T {
  return typeof (p as unknown as Record<string, unknown>)[method] === "function";
}

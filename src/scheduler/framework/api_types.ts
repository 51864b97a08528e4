// The API objects the scheduler reads, as kubernetes-types declares them, widened to KubeObject so the generic
// client and informers accept them.
import type * as core from "kubernetes-types/core/v1.js";
import type * as scheduling from "kubernetes-types/scheduling/v1.js";
import type { KubeObject } from "../../api/object.js";

export type Pod = core.Pod & KubeObject;
export type Node = core.Node & KubeObject;
export type Namespace = core.Namespace & KubeObject;
export type PriorityClass = scheduling.PriorityClass & KubeObject;
export type { Taint, Toleration, Container, ResourceRequirements, PodAffinityTerm, WeightedPodAffinityTerm, NodeSelectorTerm, NodeSelectorRequirement, TopologySpreadConstraint } from "kubernetes-types/core/v1.js";

/** "ns/name" of a pod: how logs, events and the queue name it. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/** spec.priority, 0 when unset (admission normally resolves priorityClassName into it). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

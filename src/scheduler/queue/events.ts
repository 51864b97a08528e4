// Cluster events and which registered interests they satisfy.
import type { ActionType, ClusterEvent } from "../framework/types.js";
import type { Node, Pod } from "../framework/api_types.js";

/** Kubernetes' pseudo-event for pods that sat in the unschedulable pool too long. */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: "*", action: "All", label: "UnschedulableTimeout" };

export function eventMatches(registered: ClusterEvent, ev: ClusterEvent): boolean {
  const resOk = registered.resource === "*" || ev.resource === "*" || registered.resource === ev.resource || (registered.resource === "Pod" && ev.resource === "AssignedPod");
  if (!resOk) return false;
  return actionMatches(registered.action, ev.action);
}

function actionMatches(reg: ActionType, ev: ActionType): boolean {
  if (reg === "All" || ev === "All" || reg === ev) return true;
  // A plugin that registered for any update accepts every kind of update.
  return reg === "Update" && ev.startsWith("Update");
}

/** The kinds of change between two states of a node, as fine-grained actions. */
export function nodeUpdateActions(oldNode: Node, newNode: Node): ActionType[] {
  const out: ActionType[] = [];
  const j = (v: unknown): string => JSON.stringify(v ?? null);
  if (j(oldNode.metadata?.labels) !== j(newNode.metadata?.labels)) out.push("UpdateNodeLabel");
  if (j(oldNode.spec?.taints) !== j(newNode.spec?.taints) || oldNode.spec?.unschedulable !== newNode.spec?.unschedulable) out.push("UpdateNodeTaint");
  if (j(oldNode.status?.allocatable) !== j(newNode.status?.allocatable)) out.push("UpdateNodeAllocatable");
  const conds = (n: Node): string => j((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
  if (conds(oldNode) !== conds(newNode)) out.push("UpdateNodeCondition");
  if (j(oldNode.status?.images) !== j(newNode.status?.images)) out.push("Update");
  return out;
}

/** Whether a pod update could change how it schedules (not just status noise). */
export function podSpecOrLabelsChanged(oldPod: Pod, newPod: Pod): boolean {
  const j = (v: unknown): string => JSON.stringify(v ?? null);
  return j(oldPod.spec) !== j(newPod.spec) || j(oldPod.metadata?.labels) !== j(newPod.metadata?.labels);
}

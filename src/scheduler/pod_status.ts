// Writing a failed attempt into the pod: condition PodScheduled=False (reason Unschedulable, or SchedulerError for
// internal errors) with the message, and status.nominatedNodeName after a preemption. Skipped when nothing would
// change, so a pod retried many times does not churn the API.
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { Pod } from "./framework/api_types.js";

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

/** The status patch to send, or undefined when the pod already says this. */
export interface UnschedulableStatus {
  reason: string;
  message: string;
  /** Set after a preemption: the node made room for the pod. */
  nominatedNodeName?: string;
  /** RFC 3339 time for a new transition. */
  now: string;
}

export function unschedulablePatch(pod: Pod, cond: UnschedulableStatus): Record<string, unknown> | undefined {
  const { nominatedNodeName, now } = cond;
  const conditions = (pod.status?.conditions ?? []) as PodCondition[];
  const cur = conditions.find((c) => c.type === "PodScheduled");
  const nominatedChanges = nominatedNodeName !== undefined && nominatedNodeName !== (pod.status?.nominatedNodeName ?? "");
  if (cur && cur.status === "False" && cur.reason === cond.reason && cur.message === cond.message && !nominatedChanges) return undefined;
  const next: PodCondition = {
    type: "PodScheduled",
    status: "False",
    reason: cond.reason,
    message: cond.message,
    lastProbeTime: null,
    lastTransitionTime: cur && cur.status === "False" ? (cur.lastTransitionTime ?? now) : now,
  };
  // The whole list goes out: a strategic merge merges by type, a plain merge patch replaces the list.
  const list = [...conditions.filter((c) => c.type !== "PodScheduled"), next];
  const status: Record<string, unknown> = { conditions: list };
  if (nominatedChanges) status.nominatedNodeName = nominatedNodeName;
  return { status };
}

export async function patchPodStatus(client: Client, pod: Pod, patch: Record<string, unknown>): Promise<void> {
  await client.resource<Pod>(resources.pods).patch(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", "strategic", patch, { subresource: "status" });
}

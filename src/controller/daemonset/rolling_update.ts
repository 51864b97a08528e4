// The RollingUpdate strategy of DaemonSets, one step per sync. Without surge, old pods are deleted while at most
// maxUnavailable nodes lack an available daemon (an old pod that is not available anyway goes at once); the normal
// sync then creates the new pod on the emptied node. With maxSurge, a new pod starts next to the old one on up to
// maxSurge nodes at a time (at once where the old pod is unavailable) and the old pod goes when the new one is
// available. Both counts are scaled against desiredNumberScheduled, rounding up.
import type { DaemonSet } from "kubernetes-types/apps/v1.js";
import { scaledValueFromIntOrPercent } from "../../machinery/intstr.js";
import { CONTROLLER_REVISION_HASH_LABEL } from "../history/revisions.js";
import { isPodAvailable, type PodObject } from "../replicaset/pod_utils.js";

export interface NodePods {
  node: string;
  /** Live daemon pods on the node (not terminating, not failed/succeeded). */
  pods: PodObject[];
}

export interface RollingStep {
  deletePods: PodObject[];
  createOnNodes: string[];
}

export function rollingLimits(ds: DaemonSet, desired: number): { maxUnavailable: number; maxSurge: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValueFromIntOrPercent(ru?.maxSurge ?? 0, desired, true);
  let maxUnavailable = scaledValueFromIntOrPercent(ru?.maxUnavailable ?? 1, desired, true);
  // Validation forbids both being zero; a stored object that got through still has to make progress.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxUnavailable, maxSurge };
}

export function rollingUpdateStep(ds: DaemonSet, nodes: NodePods[], hash: string, nowMs: number): RollingStep {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const { maxUnavailable, maxSurge } = rollingLimits(ds, nodes.length);
  const isNew = (p: PodObject): boolean => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
  const available = (p: PodObject): boolean => isPodAvailable(p, minReady, nowMs);
  const step: RollingStep = { deletePods: [], createOnNodes: [] };
  const sorted = [...nodes].sort((a, b) => a.node.localeCompare(b.node));
  if (maxSurge === 0) {
    let unavailable = 0;
    const candidates: PodObject[] = [];
    for (const { pods } of sorted) {
      const pod = pods[0];
      if (!pod) {
        unavailable++;
        continue;
      }
      if (!available(pod)) {
        unavailable++;
        if (!isNew(pod)) step.deletePods.push(pod);
      } else if (!isNew(pod)) candidates.push(pod);
    }
    step.deletePods.push(...candidates.slice(0, Math.max(0, maxUnavailable - unavailable)));
    return step;
  }
  let surging = 0;
  const candidateNodes: string[] = [];
  for (const { node, pods } of sorted) {
    const newPod = pods.find(isNew);
    const oldPods = pods.filter((p) => !isNew(p));
    if (oldPods.length === 0) continue;
    if (!newPod) {
      if (oldPods.every((p) => !available(p))) step.createOnNodes.push(node);
      else candidateNodes.push(node);
    } else if (available(newPod)) step.deletePods.push(...oldPods);
    else surging++;
  }
  step.createOnNodes.push(...candidateNodes.slice(0, Math.max(0, maxSurge - surging)));
  return step;
}

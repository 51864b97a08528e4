// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating the
// node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).
import { NODE_PRESENT, NODE_UNSCHEDULABLE } from "../../framework/node_columns.js";
import { Status } from "../../framework/status.js";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from "../../framework/types.js";
import { taintTolerated } from "../helper/taints.js";

export const NAME = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const ERR_REASON_UNKNOWN_CONDITION = "node(s) had unknown conditions";
export const TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

export function newNodeUnschedulable(): FilterPlugin & EnqueueExtensions {
  return {
    name: NAME,
    filter(_state, pod, node) {
      if (!node.node) return Status.unresolvable(ERR_REASON_UNKNOWN_CONDITION);
      if (!node.node.spec?.unschedulable) return Status.success();
      const tolerated = taintTolerated({ key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" }, pod.spec?.tolerations);
      return tolerated ? Status.success() : Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
    filterKernel(_state, pod, cols) {
      const tolerated = cols.count(NODE_UNSCHEDULABLE) === 0 || taintTolerated({ key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" }, pod.spec?.tolerations);
      if (tolerated && cols.count(NODE_PRESENT) === cols.length) return "all";
      const flags = cols.flags;
      const mask = tolerated ? NODE_PRESENT : NODE_PRESENT | NODE_UNSCHEDULABLE;
      return (i) => (flags[i]! & mask) === NODE_PRESENT;
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeTaint" },
    ],
  };
}

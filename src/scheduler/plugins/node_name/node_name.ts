// NodeName: a pod that names its node (spec.nodeName set before scheduling) fits only there.
import type { Pod } from "../../framework/api_types.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { Status } from "../../framework/status.js";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from "../../framework/types.js";

export const NAME = "NodeName";
export const ERR_REASON = "node(s) didn't match the requested node name";

export function newNodeName(): FilterPlugin & EnqueueExtensions {
  return {
    name: NAME,
    filter(_state, pod: Pod, node: NodeInfo) {
      const want = pod.spec?.nodeName;
      return !want || want === node.name ? Status.success() : Status.unresolvable(ERR_REASON);
    },
    // A pod that names no node passes everywhere; one that does goes through filter() (names are not columns).
    filterKernel: (_state, pod) => (pod.spec?.nodeName ? undefined : "all"),
    eventsToRegister: (): ClusterEvent[] => [{ resource: "Node", action: "Add" }],
  };
}

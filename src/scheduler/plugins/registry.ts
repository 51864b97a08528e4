// The in-tree plugins by name, with the extension points each implements (so a configuration can be checked
// before any plugin is built). Out-of-tree plugins can be added by passing a larger registry to the scheduler.
import type { ExtensionPoint } from "../config/types.js";
import type { PluginFactory } from "../framework/types.js";
import { newDefaultBinder } from "./default_binder/default_binder.js";
import { newDefaultPreemption } from "./default_preemption/default_preemption.js";
import { newImageLocality } from "./image_locality/image_locality.js";
import { newInterPodAffinity } from "./inter_pod_affinity/inter_pod_affinity.js";
import { newNodeAffinity } from "./node_affinity/node_affinity.js";
import { newNodeName } from "./node_name/node_name.js";
import { newNodePorts } from "./node_ports/node_ports.js";
import { newBalancedAllocation } from "./node_resources/balanced_allocation.js";
import { newNodeResourcesFit } from "./node_resources/fit.js";
import { newNodeUnschedulable } from "./node_unschedulable/node_unschedulable.js";
import { newPodTopologySpread } from "./pod_topology_spread/pod_topology_spread.js";
import { newPrioritySort } from "./queue_sort/priority_sort.js";
import { newTaintToleration } from "./taint_toleration/taint_toleration.js";
import { newVolumeBinding } from "./volume_binding/volume_binding.js";

export interface RegistryEntry {
  factory: PluginFactory;
  points: ExtensionPoint[];
}

export type Registry = Record<string, RegistryEntry>;

export const IN_TREE_REGISTRY: Registry = {
  PrioritySort: { factory: () => newPrioritySort(), points: ["queueSort"] },
  NodeName: { factory: () => newNodeName(), points: ["filter"] },
  NodeUnschedulable: { factory: () => newNodeUnschedulable(), points: ["filter"] },
  NodePorts: { factory: () => newNodePorts(), points: ["preFilter", "filter"] },
  TaintToleration: { factory: () => newTaintToleration(), points: ["filter", "preScore", "score"] },
  NodeAffinity: { factory: (args) => newNodeAffinity(args), points: ["preFilter", "filter", "preScore", "score"] },
  NodeResourcesFit: { factory: (args) => newNodeResourcesFit(args), points: ["preFilter", "filter", "preScore", "score"] },
  NodeResourcesBalancedAllocation: { factory: (args) => newBalancedAllocation(args), points: ["preScore", "score"] },
  InterPodAffinity: { factory: newInterPodAffinity, points: ["preFilter", "filter", "preScore", "score"] },
  PodTopologySpread: { factory: newPodTopologySpread, points: ["preFilter", "filter", "preScore", "score"] },
  ImageLocality: { factory: newImageLocality, points: ["preScore", "score"] },
  DefaultPreemption: { factory: newDefaultPreemption, points: ["postFilter"] },
  DefaultBinder: { factory: newDefaultBinder, points: ["bind"] },
  VolumeBinding: { factory: newVolumeBinding, points: ["preFilter", "filter", "reserve", "preBind"] },
};

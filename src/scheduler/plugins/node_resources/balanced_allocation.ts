// NodeResourcesBalancedAllocation: prefer nodes where, after placing the pod, cpu and memory (or the configured
// resources) are used to similar fractions, so no node runs out of one resource while the other idles.
import type { NodeInfo } from "../../framework/node_info.js";
import { PodInfo } from "../../framework/pod_info.js";
import { Status } from "../../framework/status.js";
import type { ScorePlugin } from "../../framework/types.js";
import { DEFAULT_RESOURCES, type BalancedAllocationArgs } from "./args.js";
import { balancedScore } from "./scorers.js";

export const NAME = "NodeResourcesBalancedAllocation";

export function newBalancedAllocation(rawArgs: unknown): ScorePlugin {
  const args = (rawArgs ?? {}) as BalancedAllocationArgs;
  const resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
  return {
    name: NAME,
    score(_state, pod, node: NodeInfo) {
      const info = new PodInfo(pod);
      const fractions: number[] = [];
      for (const r of resources) {
        const cap = node.allocatable.get(r.name);
        if (cap === 0) continue;
        const podReq = info.requests.get(r.name);
        if (podReq === 0 && r.name !== "cpu" && r.name !== "memory") continue;
        fractions.push((node.requested.get(r.name) + podReq) / cap);
      }
      return { score: balancedScore(fractions), status: Status.success() };
    },
  };
}

// NodeResourcesBalancedAllocation: prefer nodes where, after placing the pod, cpu and memory (or the configured
// resources) are used to similar fractions, so no node runs out of one resource while the other idles.
import type { StateData } from "../../framework/cycle_state.js";
import type { NodeInfo } from "../../framework/node_info.js";
import type { PodInfo } from "../../framework/pod_info.js";
import { Status } from "../../framework/status.js";
import { MAX_NODE_SCORE, type PreScorePlugin, type ScorePlugin } from "../../framework/types.js";
import { DEFAULT_RESOURCES, type BalancedAllocationArgs } from "./args.js";
import { balancedScore } from "./scorers.js";

export const NAME = "NodeResourcesBalancedAllocation";
const STATE_KEY = "PreScore" + NAME;

class RequestsState implements StateData {
  constructor(readonly info: PodInfo) {}
  clone(): StateData {
    return this;
  }
}

export function newBalancedAllocation(rawArgs: unknown): PreScorePlugin & ScorePlugin {
  const args = (rawArgs ?? {}) as BalancedAllocationArgs;
  const resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
  // Scratch space for one node's fractions (score calls never overlap: the scheduling cycle is synchronous).
  const fractions = new Array<number>(resources.length).fill(0);
  return {
    name: NAME,
    preScore(state, pod) {
      state.write(STATE_KEY, new RequestsState(state.podInfo(pod)));
      return Status.success();
    },
    score(state, pod, node: NodeInfo) {
      const info = state.read<RequestsState>(STATE_KEY)?.info ?? state.podInfo(pod);
      let n = 0;
      for (const r of resources) {
        const cap = node.allocatable.get(r.name);
        if (cap === 0) continue;
        const podReq = info.requests.get(r.name);
        if (podReq === 0 && r.name !== "cpu" && r.name !== "memory") continue;
        fractions[n++] = (node.requested.get(r.name) + podReq) / cap;
      }
      return { score: balancedScore(fractions, n), status: Status.success() };
    },
    // score() over the columns when the resources are cpu and memory only (the default).
    scoreKernel(state, pod, cols) {
      if (!resources.every((r) => r.name === "cpu" || r.name === "memory")) return undefined;
      const info = state.read<RequestsState>(STATE_KEY)?.info ?? state.podInfo(pod);
      const caps = resources.map((r) => (r.name === "cpu" ? cols.allocCpu : cols.allocMemory));
      const used = resources.map((r) => (r.name === "cpu" ? cols.reqCpu : cols.reqMemory));
      const podReqs = resources.map((r) => (r.name === "cpu" ? info.requests.cpu : info.requests.memory));
      const k = resources.length;
      if (k === 2) {
        // balancedScore of two fractions, without the array.
        const [cap0, cap1] = caps as [Float64Array, Float64Array];
        const [used0, used1] = used as [Float64Array, Float64Array];
        const [pod0, pod1] = podReqs as [number, number];
        return (i) => {
          const c0 = cap0[i]!;
          const c1 = cap1[i]!;
          if (c0 === 0 || c1 === 0) return c0 === 0 && c1 === 0 ? 0 : MAX_NODE_SCORE;
          const std = Math.abs((Math.min((used0[i]! + pod0) / c0, 1) - Math.min((used1[i]! + pod1) / c1, 1)) / 2);
          return Math.trunc((1 - std) * MAX_NODE_SCORE);
        };
      }
      return (i) => {
        let n = 0;
        for (let r = 0; r < k; r++) {
          const cap = caps[r]![i]!;
          if (cap === 0) continue;
          fractions[n++] = (used[r]![i]! + podReqs[r]!) / cap;
        }
        return balancedScore(fractions, n);
      };
    },
  };
}

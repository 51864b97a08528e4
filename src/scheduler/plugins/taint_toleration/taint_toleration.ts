// TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them; PreferNoSchedule taints
// only lower a node's score (more untolerated ones, lower score).
import type { Pod, Toleration } from "../../framework/api_types.js";
import type { StateData } from "../../framework/cycle_state.js";
import { NODE_HARD_TAINTS, NODE_SOFT_TAINTS } from "../../framework/node_columns.js";
import { Status } from "../../framework/status.js";
import { MAX_NODE_SCORE, type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type PreScorePlugin, type ScorePlugin } from "../../framework/types.js";
import { defaultNormalizeScore } from "../helper/normalize.js";
import { findUntoleratedTaint, taintTolerated } from "../helper/taints.js";

export const NAME = "TaintToleration";
const STATE_KEY = "PreScore" + NAME;

class PreferState implements StateData {
  constructor(readonly tolerations: Toleration[]) {}
  clone(): StateData {
    return this;
  }
}

export function newTaintToleration(): FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const plugin: FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions = {
    name: NAME,
    filter(_state, pod: Pod, node) {
      const taint = findUntoleratedTaint(node.node?.spec?.taints, pod.spec?.tolerations, (t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
      if (!taint) return Status.success();
      return Status.unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`);
    },
    // A node without NoSchedule/NoExecute taints passes; one with them goes through filter().
    filterKernel(_state, _pod, cols) {
      if (cols.count(NODE_HARD_TAINTS) === 0) return "all";
      const flags = cols.flags;
      return (i) => (flags[i]! & NODE_HARD_TAINTS) === 0;
    },
    preScore(state, pod) {
      const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
      state.write(STATE_KEY, new PreferState(tolerations));
      return Status.success();
    },
    score(state, _pod, node) {
      const tolerations = state.read<PreferState>(STATE_KEY)?.tolerations ?? [];
      let n = 0;
      for (const t of node.node?.spec?.taints ?? []) if (t.effect === "PreferNoSchedule" && !taintTolerated(t, tolerations)) n++;
      return { score: n, status: Status.success() };
    },
    // A node without PreferNoSchedule taints scores 0; one with them is counted by score(). With none anywhere,
    // every raw score is 0, which normalizes (reversed) to MAX_NODE_SCORE on every node.
    scoreKernel(state, pod, cols) {
      if (cols.count(NODE_SOFT_TAINTS) === 0) return MAX_NODE_SCORE;
      const flags = cols.flags;
      const nodes = state.snapshot.list();
      return (i) => ((flags[i]! & NODE_SOFT_TAINTS) === 0 ? 0 : plugin.score(state, pod, nodes[i]!).score);
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
      return Status.success();
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeTaint" },
      { resource: "Pod", action: "Update" },
    ],
  };
  return plugin;
}

// NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred node affinity scores them
// by the summed weights of the terms a node matches. Required terms that pin metadata.name let PreFilter narrow
// the candidate nodes at once.
import type { Pod } from "../../framework/api_types.js";
import type { StateData } from "../../framework/cycle_state.js";
import { Status } from "../../framework/status.js";
import { MAX_NODE_SCORE, type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from "../../framework/types.js";
import { defaultNormalizeScore } from "../helper/normalize.js";
import { nodeMatchesTerms, podMatchesNodeSelectorAndAffinity, termMatchesNode } from "../helper/node_selector.js";

export const NAME = "NodeAffinity";
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";

type NodeAffinitySpec = NonNullable<NonNullable<Pod["spec"]>["affinity"]>["nodeAffinity"];

export interface NodeAffinityArgs {
  /** Affinity every pod of the profile gets on top of its own (a profile pinned to some nodes). */
  addedAffinity?: NodeAffinitySpec;
}
const PRESCORE_KEY = "PreScore" + NAME;

type Preferred = NonNullable<NonNullable<NonNullable<Pod["spec"]>["affinity"]>["nodeAffinity"]>["preferredDuringSchedulingIgnoredDuringExecution"];

class PreferredState implements StateData {
  constructor(readonly terms: NonNullable<Preferred>) {}
  clone(): StateData {
    return this;
  }
}

/** The node names every required term pins through matchFields metadata.name In, or undefined if not all do. */
function pinnedNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  const names = new Set<string>();
  for (const t of terms) {
    const f = (t.matchFields ?? []).find((r) => r.key === "metadata.name" && r.operator === "In");
    if (!f) return undefined;
    for (const v of f.values ?? []) names.add(v);
  }
  return names;
}

export function newNodeAffinity(rawArgs?: unknown): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const added = ((rawArgs ?? {}) as NodeAffinityArgs).addedAffinity;
  const addedRequired = added?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const addedPreferred = added?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return {
    name: NAME,
    preFilter(_state, pod) {
      const hasSelector = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0;
      const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (!hasSelector && !required && !addedRequired) return { status: Status.skip() };
      const pinned = pinnedNodeNames(pod);
      if (pinned && pinned.size === 0) return { status: Status.unresolvable(ERR_REASON_POD) };
      return { result: pinned ? { nodeNames: pinned } : undefined, status: Status.success() };
    },
    filter(_state, pod, node) {
      if (!node.node) return Status.unresolvable("node not found");
      if (addedRequired && !nodeMatchesTerms(addedRequired, node.node)) return Status.unresolvable(ERR_REASON_ENFORCED);
      return podMatchesNodeSelectorAndAffinity(pod, node.node) ? Status.success() : Status.unresolvable(ERR_REASON_POD);
    },
    preScore(state, pod) {
      const terms = [...addedPreferred, ...(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
      if (terms.length === 0) return Status.skip();
      state.write(PRESCORE_KEY, new PreferredState(terms));
      return Status.success();
    },
    score(state, _pod, node) {
      const terms = state.read<PreferredState>(PRESCORE_KEY)?.terms ?? [];
      let sum = 0;
      for (const t of terms) if (t.weight !== 0 && node.node && termMatchesNode(t.preference, node.node)) sum += t.weight;
      return { score: sum, status: Status.success() };
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
      return Status.success();
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeLabel" },
      { resource: "Pod", action: "Update" },
    ],
  };
}

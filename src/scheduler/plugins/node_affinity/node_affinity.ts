// NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred node affinity scores them
// by the summed weights of the terms a node matches. Required terms that pin metadata.name let PreFilter narrow
// the candidate nodes at once.
import type { NodeSelectorRequirement, Pod } from "../../framework/api_types.js";
import { NODE_PRESENT, type NodeColumns } from "../../framework/node_columns.js";
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

type LabelCheck = (i: number) => boolean;

/** The filter's rejections, shared (statuses are not changed once made). */
const NOT_MATCHED = Status.unresolvable(ERR_REASON_POD);
const NOT_ENFORCED = Status.unresolvable(ERR_REASON_ENFORCED);

/** A label requirement over its label column (undefined for Gt/Lt or unknown operators, or no column). */
function requirementCheck(r: NodeSelectorRequirement, cols: NodeColumns): LabelCheck | undefined {
  const col = cols.labelColumn(r.key);
  if (!col) return undefined;
  const ids = (r.values ?? []).map((v) => cols.valueId(v));
  switch (r.operator) {
    case "In":
      return (i) => col[i] !== 0 && ids.includes(col[i]!);
    case "NotIn":
      return (i) => col[i] === 0 || !ids.includes(col[i]!);
    case "Exists":
      return (i) => col[i] !== 0;
    case "DoesNotExist":
      return (i) => col[i] === 0;
    default:
      return undefined;
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
      if (addedRequired && !nodeMatchesTerms(addedRequired, node.node)) return NOT_ENFORCED;
      return podMatchesNodeSelectorAndAffinity(pod, node.node) ? Status.success() : NOT_MATCHED;
    },
    // nodeSelector and required terms over label columns; terms on fields or with Gt/Lt go through filter().
    filterKernel(_state, pod, cols) {
      if (addedRequired) return undefined;
      const checks: LabelCheck[] = [];
      for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
        const col = cols.labelColumn(k);
        if (!col) return undefined;
        const id = cols.valueId(v);
        checks.push((i) => col[i] === id);
      }
      const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (required) {
        const terms: LabelCheck[] = [];
        for (const t of required.nodeSelectorTerms ?? []) {
          if (t.matchFields?.length) return undefined;
          const exprs: LabelCheck[] = [];
          for (const r of t.matchExpressions ?? []) {
            const c = requirementCheck(r, cols);
            if (!c) return undefined;
            exprs.push(c);
          }
          // A term without expressions matches no node.
          terms.push(exprs.length === 0 ? () => false : exprs.length === 1 ? exprs[0]! : (i) => exprs.every((e) => e(i)));
        }
        checks.push(terms.length === 1 ? terms[0]! : (i) => terms.some((t) => t(i)));
      }
      const flags = cols.flags;
      if (checks.length === 1) {
        const only = checks[0]!;
        return (i) => (flags[i]! & NODE_PRESENT) !== 0 && only(i);
      }
      return (i) => (flags[i]! & NODE_PRESENT) !== 0 && checks.every((c) => c(i));
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

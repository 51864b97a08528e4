// The message of a pod that fits nowhere, in Kubernetes' words and order: "0/N nodes are available:" then either
// the PreFilter rejection or a count per distinct node reason (sorted as strings, so "1 node(s) had ..." comes
// before "2 Insufficient cpu"), then what PostFilter (preemption) said.
import type { Pod } from "./api_types.js";
import type { Status } from "./status.js";
import type { NodeToStatus } from "./types.js";

export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** Plugins that rejected the pod on some node (they decide which cluster events retry it). */
  unschedulablePlugins: Set<string>;
  preFilterMsg?: string;
  postFilterMsg?: string;
}

export const NO_NODE_AVAILABLE_MSG = (n: number): string => `0/${n} nodes are available`;

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `${NO_NODE_AVAILABLE_MSG(numAllNodes)}:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length) msg += ` ${parts.join(", ")}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

export class FitError extends Error {
  override name = "FitError";
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super(fitErrorMessage(numAllNodes, diagnosis));
  }

  /** The message now (PostFilter may have extended the diagnosis since construction). */
  describe(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

/** Statuses of every node with the same status: what a PreFilter rejection means for the whole cluster. */
export function allNodesStatus(names: string[], s: Status): NodeToStatus {
  return new Map(names.map((n) => [n, s]));
}

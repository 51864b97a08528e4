// Choosing victims on one node: take away every lower-priority pod; if the preemptor then fits, give back as
// many of them as possible, highest priority first, keeping the rest as victims.
import type { Pod } from "../../framework/api_types.js";
import { podPriority } from "../../framework/api_types.js";
import { CycleState } from "../../framework/cycle_state.js";
import type { NodeInfo } from "../../framework/node_info.js";
import type { PodInfo } from "../../framework/pod_info.js";
import { Status } from "../../framework/status.js";
import type { Handle } from "../../framework/types.js";

export const NO_VICTIMS_MSG = "No preemption victims found for incoming pod";

function startTime(p: Pod): string {
  return p.status?.startTime ?? p.metadata?.creationTimestamp ?? "";
}

/** Whether the pod passes PreFilter and Filter on this node as it would look (the rest of the cluster unchanged). */
function fitsOn(handle: Handle, base: CycleState, pod: Pod, node: NodeInfo): Status {
  const state = new CycleState(base.snapshot.withNode(node));
  const pre = handle.runPreFilters(state, pod);
  if (!pre.isSuccess()) return pre;
  return handle.runFilters(state, pod, node);
}

export function selectVictimsOnNode(handle: Handle, at: { state: CycleState; pod: Pod; node: NodeInfo }): { victims: Pod[]; pdbViolations: number; status: Status } {
  const { state, pod, node } = at;
  const prio = podPriority(pod);
  const potential: PodInfo[] = node.pods.filter((p) => podPriority(p.pod) < prio);
  if (potential.length === 0) return { victims: [], pdbViolations: 0, status: Status.unresolvable(NO_VICTIMS_MSG) };
  const sim = node.clone();
  for (const p of potential) sim.removePod(p.uid);
  const fits = fitsOn(handle, state, pod, sim);
  if (!fits.isSuccess()) return { victims: [], pdbViolations: 0, status: fits };
  // Most important first: they are the ones we try hardest to keep.
  potential.sort((a, b) => podPriority(b.pod) - podPriority(a.pod) || (startTime(a.pod) < startTime(b.pod) ? -1 : startTime(a.pod) > startTime(b.pod) ? 1 : 0));
  // Pods whose eviction would break a PodDisruptionBudget are given back first, so they are victims only when
  // nothing else makes room.
  const { violating, safe } = splitByBudgets(potential, handle.disruptionBudgets());
  const victims: Pod[] = [];
  let pdbViolations = 0;
  const reprieve = (p: PodInfo, violates: boolean): void => {
    sim.addPod(p);
    if (fitsOn(handle, state, pod, sim).isSuccess()) return;
    sim.removePod(p.uid);
    victims.push(p.pod);
    if (violates) pdbViolations++;
  };
  for (const p of violating) reprieve(p, true);
  for (const p of safe) reprieve(p, false);
  // Victims in priority order, most important first, as Kubernetes reports them.
  victims.sort((a, b) => podPriority(b) - podPriority(a));
  return { victims, pdbViolations, status: Status.success() };
}

type Budget = ReturnType<Handle["disruptionBudgets"]>[number];

/** Splits candidates (in order) into those whose eviction would exceed a matching budget and the rest. */
function splitByBudgets(pods: PodInfo[], budgets: Budget[]): { violating: PodInfo[]; safe: PodInfo[] } {
  const allowed = budgets.map((b) => b.disruptionsAllowed);
  const violating: PodInfo[] = [];
  const safe: PodInfo[] = [];
  for (const p of pods) {
    let violates = false;
    budgets.forEach((b, i) => {
      if (b.namespace !== p.pod.metadata?.namespace || !b.selector.matches(p.pod.metadata?.labels ?? {})) return;
      // Each eviction uses up one allowed disruption of every budget covering the pod.
      allowed[i]!--;
      if (allowed[i]! < 0) violates = true;
    });
    (violates ? violating : safe).push(p);
  }
  return { violating, safe };
}

export interface Candidate {
  nodeName: string;
  victims: Pod[];
  /** Victims whose eviction breaks a PodDisruptionBudget. */
  pdbViolations?: number;
}

/**
 * The candidate whose victims matter least: fewest PodDisruptionBudget violations, then lowest top priority, then
 * lowest priority sum, then fewest pods.
 */
export function pickCandidate(cands: Candidate[]): Candidate | undefined {
  const top = (c: Candidate): number => Math.max(...c.victims.map(podPriority));
  const sum = (c: Candidate): number => c.victims.reduce((a, p) => a + podPriority(p) + 2 ** 31, 0);
  let best: Candidate | undefined;
  for (const c of cands) {
    if (!best) {
      best = c;
      continue;
    }
    const d = (c.pdbViolations ?? 0) - (best.pdbViolations ?? 0) || top(c) - top(best) || sum(c) - sum(best) || c.victims.length - best.victims.length;
    if (d < 0) best = c;
  }
  return best;
}

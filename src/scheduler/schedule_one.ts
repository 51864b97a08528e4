// One scheduling attempt, as Kubernetes' scheduleOne: the scheduling cycle (filter, score, pick a node, assume the
// pod there, Reserve, Permit) runs one pod at a time; the binding cycle (wait for Permit, PreBind, Bind) then runs
// in the background so the next pod can be considered at once, the cache already counting this one.
import type { Clock } from "../client/clock.js";
import type { Logger } from "../util/log.js";
import type { SchedulerCache } from "./cache/cache.js";
import { Snapshot } from "./cache/snapshot.js";
import { podKey, type Pod } from "./framework/api_types.js";
import { CycleState } from "./framework/cycle_state.js";
import { FitError, allNodesStatus, type Diagnosis } from "./framework/fit_error.js";
import type { Framework } from "./framework/framework.js";
import type { NodeInfo } from "./framework/node_info.js";
import { Status } from "./framework/status.js";
import type { QueuedPodInfo } from "./framework/types.js";
import type { SchedulerMetrics } from "./metrics.js";
import type { SchedulingQueue } from "./queue/scheduling_queue.js";

export const ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods";
/** Below this many nodes every node is checked; above it, only enough to find a good one. */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes to look for before scoring: Kubernetes' adaptive percentageOfNodesToScore. */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) {
    // 50% for small clusters, falling by 1% per 125 nodes, never below 5%.
    pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, Math.trunc(50 - numAllNodes / 125));
  }
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numAllNodes * pct) / 100));
}

export interface ScheduleResult {
  host: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** What the algorithm needs from the scheduler around it. */
export interface SchedulingContext {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  snapshot: Snapshot;
  metrics: SchedulerMetrics;
  clock: Clock;
  log: Logger;
  percentageOfNodesToScore?: number;
  random: () => number;
  /** Handles a failed attempt (requeue, status, event). */
  onFailure(fwk: Framework, q: QueuedPodInfo, status: Status, opts: { nominatedNodeName?: string; fitError?: FitError; started: number }): Promise<void>;
  /** A pod was bound. */
  onBound(fwk: Framework, q: QueuedPodInfo, host: string, started: number): void;
  /** Binding cycles still running. */
  bindings: Set<Promise<void>>;
}

export class Algorithm {
  private nextStartNodeIndex = 0;
  /**
   * findNodesThatFit's positions, reused from cycle to cycle: they only reach scoreNodes of the same synchronous
   * cycle, and a list of ~500 numbers grown per pod was most of what a cycle allocated.
   */
  private positionsScratch = new Int32Array(0);

  constructor(private readonly ctx: SchedulingContext) {}

  /** Finds a node for the pod, or throws FitError / Error. */
  schedulePod(fwk: Framework, state: CycleState, pod: Pod): ScheduleResult {
    this.ctx.cache.updateSnapshot(this.ctx.snapshot);
    const all = this.ctx.snapshot.list();
    if (all.length === 0) throw new Error(ERR_NO_NODES_AVAILABLE);
    const { feasible, positions, diagnosis } = this.findNodesThatFit(fwk, state, pod);
    if (feasible.length === 0) throw new FitError(pod, all.length, diagnosis);
    if (feasible.length === 1) return { host: feasible[0]!.name, evaluatedNodes: 1 + diagnosis.nodeToStatus.size, feasibleNodes: 1 };
    const pre = fwk.runPreScorePlugins(state, pod, feasible);
    if (!pre.isSuccess()) throw pre.err ?? new Error(`running PreScore plugin ${pre.plugin}: ${pre.message()}`);
    const { totals, status } = fwk.scoreNodes(state, pod, feasible, positions);
    if (!status.isSuccess()) throw status.err ?? new Error(`running Score plugin ${status.plugin}: ${status.message()}`);
    return { host: feasible[this.selectBest(totals)]!.name, evaluatedNodes: feasible.length + diagnosis.nodeToStatus.size, feasibleNodes: feasible.length };
  }

  /** The highest total; among equal totals each is picked with equal chance (reservoir sampling). */
  selectHost(scores: Array<{ name: string; total: number }>): string {
    return scores[this.selectBest(Float64Array.from(scores, (s) => s.total))]!.name;
  }

  /** selectHost over totals: the index picked. */
  private selectBest(totals: Float64Array): number {
    let best = 0;
    let bestTotal = totals[0]!;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const t = totals[i]!;
      if (t > bestTotal) {
        best = i;
        bestTotal = t;
        ties = 1;
      } else if (t === bestTotal) {
        ties++;
        if (this.ctx.random() * ties < 1) best = i;
      }
    }
    return best;
  }

  /**
   * The nodes that pass the filters, up to numFeasibleNodesToFind of them, starting where the last pod stopped;
   * positions are their places in the snapshot's list (for the score kernels), when every node was a candidate:
   * its first feasible.length entries (the array is the reused scratch, possibly longer).
   */
  private findNodesThatFit(fwk: Framework, state: CycleState, pod: Pod): { feasible: NodeInfo[]; positions?: Int32Array; diagnosis: Diagnosis } {
    const snapshot = this.ctx.snapshot;
    const all = snapshot.list();
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
    const { result, status } = fwk.runPreFilterPlugins(state, pod);
    if (!status.isSuccess()) {
      if (!status.isRejected()) throw status.err ?? new Error(`running PreFilter plugin ${status.plugin}: ${status.message()}`);
      diagnosis.nodeToStatus = allNodesStatus(all.map((n) => n.name), status);
      diagnosis.preFilterMsg = status.message();
      if (status.plugin) diagnosis.unschedulablePlugins.add(status.plugin);
      return { feasible: [], diagnosis };
    }
    // A pod that preempted before tries its nominated node first: the room there was made for it.
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = snapshot.get(nominated);
      if (ni && fwk.runFilterPluginsWithNominatedPods(state, pod, ni).isSuccess()) return { feasible: [ni], diagnosis };
    }
    let nodes = all;
    if (result?.nodeNames) {
      nodes = all.filter((n) => result.nodeNames!.has(n.name));
      for (const n of all) if (!result.nodeNames.has(n.name)) diagnosis.nodeToStatus.set(n.name, Status.unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"));
    }
    const want = numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? this.ctx.percentageOfNodesToScore, nodes.length);
    // Room for every node that can be taken, made once (not grown node by node); trimmed to the count found.
    const feasible = new Array<NodeInfo>(Math.min(want, nodes.length));
    let found = 0;
    // With every node a candidate, a node's index here is its position in the snapshot: the fast path applies.
    const plan = nodes === all ? fwk.planFilters(state, pod) : undefined;
    if (plan && this.positionsScratch.length < feasible.length) this.positionsScratch = new Int32Array(all.length);
    const positions = plan ? this.positionsScratch : undefined;
    const nominatedAnywhere = fwk.hasNominatedPods();
    // Nothing nominated and every plugin answered by kernels: a node they all pass is feasible without more calls.
    const kernels = plan && !nominatedAnywhere && plan.rest.length === 0 ? plan.kernels : undefined;
    const nk = kernels?.length ?? 0;
    let processed = 0;
    const len = nodes.length;
    const start = len ? this.nextStartNodeIndex % len : 0;
    for (let i = 0; i < len && found < want; i++) {
      let at = start + i;
      if (at >= len) at -= len;
      const n = nodes[at]!;
      processed++;
      if (kernels !== undefined) {
        let k = 0;
        while (k < nk && kernels[k]!(at)) k++;
        if (k === nk) {
          positions![found] = at;
          feasible[found++] = n;
          continue;
        }
      }
      const s = !plan
        ? fwk.runFilterPluginsWithNominatedPods(state, pod, n)
        : nominatedAnywhere
          ? fwk.runFilterPluginsWithNominatedPods(state, pod, n, plan, at)
          : fwk.runFilterPluginsWithPlan(plan, state, pod, n, at);
      if (s.isSuccess()) {
        if (positions) positions[found] = at;
        feasible[found++] = n;
      } else if (s.isRejected()) {
        diagnosis.nodeToStatus.set(n.name, s);
        if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
      } else throw s.err ?? new Error(`running Filter plugin ${s.plugin}: ${s.message()}`);
    }
    // The next pod starts where this one stopped, so every node gets its turn in large clusters.
    this.nextStartNodeIndex = len ? (start + processed) % len : 0;
    feasible.length = found;
    return { feasible, positions, diagnosis };
  }

  /** The scheduling cycle for one popped pod; starts its binding cycle in the background on success. */
  async scheduleOne(fwk: Framework, q: QueuedPodInfo): Promise<void> {
    const { ctx } = this;
    const pod = q.pod;
    const started = ctx.clock.now();
    const state = new CycleState(ctx.snapshot);
    let result: ScheduleResult;
    try {
      result = this.schedulePod(fwk, state, pod);
    } catch (err) {
      if (!(err instanceof FitError)) {
        await ctx.onFailure(fwk, q, Status.error(err as Error), { started });
        return;
      }
      let nominatedNodeName: string | undefined;
      if (fwk.hasPostFilterPlugins()) {
        const post = await fwk.runPostFilterPlugins(state, pod, err.diagnosis.nodeToStatus);
        ctx.metrics.preemptionAttempts++;
        if (post.status.isSuccess()) {
          nominatedNodeName = post.result?.nominatedNodeName;
          ctx.metrics.preemptionVictims += post.result?.victims ?? 0;
        }
        else if (post.status.message()) err.diagnosis.postFilterMsg = post.status.message();
      }
      const st = Status.unschedulable(err.describe());
      await ctx.onFailure(fwk, q, st, { nominatedNodeName, fitError: err, started });
      return;
    }
    // Assume: the pod counts on its node from now on, before the API knows.
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: result.host } };
    try {
      ctx.cache.assumePod(assumed, result.host, state.podInfo(pod));
    } catch (err) {
      await ctx.onFailure(fwk, q, Status.error(err as Error), { started });
      return;
    }
    const reserve = fwk.runReservePluginsReserve(state, assumed, result.host);
    if (!reserve.isSuccess()) {
      fwk.runReservePluginsUnreserve(state, assumed, result.host);
      ctx.cache.forgetPod(assumed);
      await ctx.onFailure(fwk, q, reserve, { started });
      return;
    }
    const permit = fwk.runPermitPlugins(state, assumed, result.host);
    if (!permit.isSuccess() && permit.code !== "Wait") {
      fwk.runReservePluginsUnreserve(state, assumed, result.host);
      ctx.cache.forgetPod(assumed);
      await ctx.onFailure(fwk, q, permit, { started });
      return;
    }
    ctx.queue.nominator.delete(pod);
    const binding = this.bindingCycle(fwk, state, q, assumed, result.host, started).finally(() => ctx.bindings.delete(binding));
    ctx.bindings.add(binding);
  }

  private async bindingCycle(fwk: Framework, state: CycleState, q: QueuedPodInfo, assumed: Pod, host: string, started: number): Promise<void> {
    const { ctx } = this;
    const fail = async (s: Status): Promise<void> => {
      fwk.runReservePluginsUnreserve(state, assumed, host);
      ctx.cache.forgetPod(assumed);
      // The room this pod held is free again: pods waiting for room may fit now.
      ctx.queue.moveAllToActiveOrBackoff({ resource: "AssignedPod", action: "Delete", label: "AssignedPodDelete" });
      await ctx.onFailure(fwk, q, s, { started });
    };
    try {
      const permit = await fwk.waitOnPermit(assumed);
      if (!permit.isSuccess()) return await fail(permit);
      const pre = await fwk.runPreBindPlugins(state, assumed, host);
      if (!pre.isSuccess()) return await fail(pre);
      const bound = await fwk.runBindPlugins(state, assumed, host);
      if (!bound.isSuccess()) return await fail(bound);
      ctx.cache.finishBinding(assumed);
      ctx.onBound(fwk, q, host, started);
    } catch (err) {
      ctx.log.error("binding cycle failed", { pod: podKey(assumed), err });
      await fail(Status.error(err as Error));
    }
  }
}

export { Snapshot };

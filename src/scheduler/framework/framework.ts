// One profile's plugins, built from a resolved configuration, and the runners for each extension point. The
// scheduling algorithm (schedule_one.ts) decides which nodes to ask; the framework asks the plugins.
import type { Clock } from "../../client/clock.js";
import type { Client } from "../../client/rest_client.js";
import type { Logger } from "../../util/log.js";
import type { Snapshot } from "../cache/snapshot.js";
import type { ExtensionPoint, ResolvedProfile } from "../config/types.js";
import type { Registry } from "../plugins/registry.js";
import type { Pod } from "./api_types.js";
import { podPriority } from "./api_types.js";
import type { CycleState } from "./cycle_state.js";
import type { NodeInfo } from "./node_info.js";
import { PodInfo } from "./pod_info.js";
import { Status } from "./status.js";
import type {
  BindPlugin,
  ClusterEvent,
  EnqueueExtensions,
  FilterKernel,
  FilterPlugin,
  Handle,
  NodeScore,
  NodeToStatus,
  PermitPlugin,
  Plugin,
  PostFilterPlugin,
  PostFilterResult,
  PreBindPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  QueueSortPlugin,
  ReservePlugin,
  ScorePlugin,
  VolumeLookup,
} from "./types.js";
import { MAX_NODE_SCORE } from "./types.js";
import { WaitingPods } from "./waiting_pods.js";

/** What the scheduler gives every profile's plugins. */
export interface FrameworkDeps {
  client?: Client;
  log: Logger;
  clock: Clock;
  namespaceLabels(ns: string): Record<string, string> | undefined;
  priorityClassValue(name: string): number | undefined;
  defaultSpreadSelectors: Handle["defaultSpreadSelectors"];
  nominatedPodsForNode(nodeName: string): readonly Pod[];
  /** Whether any pod is nominated to any node (false lets the filters skip the per-node lookup); assumed true if absent. */
  hasNominatedPods?(): boolean;
  disruptionBudgets?: Handle["disruptionBudgets"];
  snapshot(): Snapshot;
  recordEvent?(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void;
  volumes?: VolumeLookup;
}

/** A node's weighted total over every Score plugin. */
export interface NodePluginScores {
  name: string;
  total: number;
}

/**
 * One cycle's Filter plugins as the fast path runs them (see FilterPlugin.filterKernel): the kernels of the plugins
 * that have one, then the other plugins in their configured order; plugins that pass every node are left out.
 */
export interface FilterPlan {
  kernels: FilterKernel[];
  rest: FilterPlugin[];
  /** Every active plugin in order, with its kernel (or "all"), for nodes a kernel does not pass. */
  ordered: Array<{ pl: FilterPlugin; kernel?: FilterKernel | "all" }>;
}

const SUCCESS = Status.success();

export class Framework implements Handle {
  readonly profileName: string;
  readonly percentageOfNodesToScore?: number;
  readonly queueSort: QueueSortPlugin;
  private readonly preFilter: PreFilterPlugin[];
  private readonly filter: FilterPlugin[];
  private readonly postFilter: PostFilterPlugin[];
  private readonly preScore: PreScorePlugin[];
  private readonly score: ScorePlugin[];
  private readonly reserve: ReservePlugin[];
  private readonly permit: PermitPlugin[];
  private readonly preBind: PreBindPlugin[];
  private readonly bind: BindPlugin[];
  private readonly weights: Map<string, number>;
  private readonly instances = new Map<string, Plugin>();
  readonly waitingPods: WaitingPods;
  private readonly permitWaits = new Map<string, Promise<Status>>();
  readonly client?: Client;
  readonly log: Logger;

  constructor(
    profile: ResolvedProfile,
    registry: Registry,
    private readonly deps: FrameworkDeps,
  ) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.client = deps.client;
    this.log = deps.log.with({ profile: profile.schedulerName });
    this.waitingPods = new WaitingPods(deps.clock);
    this.weights = profile.scoreWeights;
    const get = <T extends Plugin>(point: ExtensionPoint): T[] =>
      profile.points[point].map((name) => {
        let p = this.instances.get(name);
        if (!p) {
          const entry = registry[name];
          if (!entry) throw new Error(`profile ${profile.schedulerName}: unknown plugin ${JSON.stringify(name)}`);
          p = entry.factory(profile.pluginArgs.get(name), this);
          this.instances.set(name, p);
        }
        const method = POINT_METHODS[point];
        if (typeof (p as unknown as Record<string, unknown>)[method] !== "function") throw new Error(`plugin ${name} does not implement ${point}`);
        return p as T;
      });
    this.queueSort = get<QueueSortPlugin>("queueSort")[0]!;
    this.preFilter = get("preFilter");
    this.filter = get("filter");
    this.postFilter = get("postFilter");
    this.preScore = get("preScore");
    this.score = get("score");
    this.reserve = get("reserve");
    this.permit = get("permit");
    this.preBind = get("preBind");
    this.bind = get("bind");
  }

  // --- Handle ---
  recordEvent(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void {
    this.deps.recordEvent?.(pod, type, reason, message);
  }
  namespaceLabels(ns: string): Record<string, string> | undefined {
    return this.deps.namespaceLabels(ns);
  }
  priorityClassValue(name: string): number | undefined {
    return this.deps.priorityClassValue(name);
  }
  defaultSpreadSelectors(pod: Pod): ReturnType<Handle["defaultSpreadSelectors"]> {
    return this.deps.defaultSpreadSelectors(pod);
  }
  nominatedPodsForNode(nodeName: string): readonly Pod[] {
    return this.deps.nominatedPodsForNode(nodeName);
  }
  disruptionBudgets(): ReturnType<Handle["disruptionBudgets"]> {
    return this.deps.disruptionBudgets?.() ?? [];
  }
  snapshot = (): Snapshot => this.deps.snapshot();
  get volumes(): VolumeLookup | undefined {
    return this.deps.volumes;
  }
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status {
    return this.runFilterPlugins(state, pod, node);
  }
  runPreFilters(state: CycleState, pod: Pod): Status {
    return this.runPreFilterPlugins(state, pod).status;
  }

  /** Plugin names, for metrics and tests. */
  pluginNames(): string[] {
    return [...this.instances.keys()];
  }

  /** Cluster events each plugin that can reject pods cares about (plugins without a list care about all). */
  eventsByPlugin(): Map<string, ClusterEvent[]> {
    const out = new Map<string, ClusterEvent[]>();
    for (const [name, p] of this.instances) {
      const ext = p as Partial<EnqueueExtensions>;
      out.set(name, typeof ext.eventsToRegister === "function" ? ext.eventsToRegister() : [{ resource: "*", action: "All" }]);
    }
    return out;
  }

  runPreFilterPlugins(state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status } {
    let nodeNames: Set<string> | undefined;
    for (const pl of this.preFilter) {
      const { result, status } = pl.preFilter(state, pod);
      if (status.isSkip()) {
        state.skipFilterPlugins.add(pl.name);
        continue;
      }
      if (!status.isSuccess()) return { status: status.withPlugin(pl.name) };
      if (result?.nodeNames) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => result.nodeNames!.has(n))) : new Set(result.nodeNames);
    }
    return { result: nodeNames ? { nodeNames } : undefined, status: Status.success() };
  }

  /** The Filter plugins not skipped in this cycle. */
  private activeFilters(state: CycleState): FilterPlugin[] {
    const skips = state.skipFilterPlugins.size;
    let a = state.activeFilters;
    if (!a || a.skips !== skips) a = state.activeFilters = { skips, list: skips ? this.filter.filter((pl) => !state.skipFilterPlugins.has(pl.name)) : this.filter };
    return a.list as FilterPlugin[];
  }

  /** The Score plugins not skipped in this cycle. */
  private activeScores(state: CycleState): ScorePlugin[] {
    const skips = state.skipScorePlugins.size;
    let a = state.activeScores;
    if (!a || a.skips !== skips) a = state.activeScores = { skips, list: skips ? this.score.filter((pl) => !state.skipScorePlugins.has(pl.name)) : this.score };
    return a.list as ScorePlugin[];
  }

  runFilterPlugins(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const filters = this.activeFilters(state);
    for (let i = 0; i < filters.length; i++) {
      const pl = filters[i]!;
      const s = pl.filter(state, pod, node);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  /**
   * The fast path for this cycle's Filter calls over state.snapshot's node columns (call after PreFilter), or
   * undefined when the snapshot has no columns (a what-if view).
   */
  planFilters(state: CycleState, pod: Pod): FilterPlan | undefined {
    const cols = state.snapshot.columns();
    if (!cols) return undefined;
    const kernels: FilterKernel[] = [];
    const rest: FilterPlugin[] = [];
    const ordered: FilterPlan["ordered"] = [];
    for (const pl of this.activeFilters(state)) {
      const k = pl.filterKernel?.(state, pod, cols);
      ordered.push({ pl, kernel: k });
      if (k === "all") continue;
      if (k) kernels.push(k);
      else rest.push(pl);
    }
    return { kernels, rest, ordered };
  }

  /**
   * runFilterPlugins for the node at position i of state.snapshot.list(), through a plan: when every kernel passes
   * the node, the plugins with a kernel would all answer Success, so the first failure is the first among the rest;
   * on a node a kernel does not pass, the plugins are asked in order, but for those whose kernel passes it (they
   * would answer Success). Same answer as runFilterPlugins.
   */
  runFilterPluginsWithPlan(plan: FilterPlan, state: CycleState, pod: Pod, node: NodeInfo, i: number): Status {
    const ks = plan.kernels;
    for (let k = 0; k < ks.length; k++) if (!ks[k]!(i)) return this.runFilterPluginsInOrder(plan, state, pod, node, i);
    const rest = plan.rest;
    for (let k = 0; k < rest.length; k++) {
      const pl = rest[k]!;
      const s = pl.filter(state, pod, node);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return SUCCESS;
  }

  private runFilterPluginsInOrder(plan: FilterPlan, state: CycleState, pod: Pod, node: NodeInfo, i: number): Status {
    const ordered = plan.ordered;
    for (let k = 0; k < ordered.length; k++) {
      const { pl, kernel } = ordered[k]!;
      if (kernel === "all" || (kernel !== undefined && kernel(i))) continue;
      const s = pl.filter(state, pod, node);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return SUCCESS;
  }

  /** Whether some pod is nominated to some node (when not, runFilterPluginsWithNominatedPods is runFilterPlugins). */
  hasNominatedPods(): boolean {
    return this.deps.hasNominatedPods?.() ?? true;
  }

  /**
   * Filters with the pods nominated to this node (by earlier preemptions) counted as if already there, when they
   * have at least the incoming pod's priority: a preemptor's freed room is not taken by a lesser pod. The node must
   * pass both with and without them (the nominated pods may never arrive). With a plan, node must be at position i
   * of state.snapshot.list().
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, node: NodeInfo, plan?: FilterPlan, i = -1): Status {
    const onNode = this.deps.nominatedPodsForNode(node.name);
    if (onNode.length === 0) return plan ? this.runFilterPluginsWithPlan(plan, state, pod, node, i) : this.runFilterPlugins(state, pod, node);
    const prio = podPriority(pod);
    const uid = pod.metadata?.uid;
    const nominated = onNode.filter((p) => p.metadata?.uid !== uid && podPriority(p) >= prio);
    if (nominated.length > 0) {
      const withNominated = node.clone();
      for (const p of nominated) withNominated.addPod(new PodInfo(p));
      const s = this.runFilterPlugins(state, pod, withNominated);
      if (!s.isSuccess()) return s;
    }
    return plan ? this.runFilterPluginsWithPlan(plan, state, pod, node, i) : this.runFilterPlugins(state, pod, node);
  }

  hasPostFilterPlugins(): boolean {
    return this.postFilter.length > 0;
  }

  async runPostFilterPlugins(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    let firstReject: Status | undefined;
    for (const pl of this.postFilter) {
      const { result, status } = await pl.postFilter(state, pod, statuses);
      if (status.isSuccess()) return { result, status };
      if (status.code === "UnschedulableAndUnresolvable") return { result, status: status.withPlugin(pl.name) };
      if (!status.isRejected()) return { status: status.withPlugin(pl.name) };
      firstReject ??= status.withPlugin(pl.name);
    }
    return { status: firstReject ?? Status.unschedulable() };
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
    for (const pl of this.preScore) {
      const s = pl.preScore(state, pod, nodes);
      if (s.isSkip()) {
        state.skipScorePlugins.add(pl.name);
        continue;
      }
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  /** Every score plugin on every node, normalized and weighted, summed per node. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): { scores: NodePluginScores[]; status: Status } {
    const { totals, status } = this.scoreNodes(state, pod, nodes, this.positionsOf(state, nodes));
    if (!status.isSuccess()) return { scores: [], status };
    return { scores: nodes.map((n, i) => ({ name: n.name, total: totals[i]! })), status };
  }

  /** Each node's position in state.snapshot.list(), or undefined when some node is not the one there. */
  private positionsOf(state: CycleState, nodes: NodeInfo[]): number[] | undefined {
    const list = state.snapshot.list();
    const out: number[] = [];
    for (const n of nodes) {
      const i = state.snapshot.positionOf(n.name);
      if (i === undefined || list[i] !== n) return undefined;
      out.push(i);
    }
    return out;
  }

  /**
   * runScorePlugins as weighted totals in the order of nodes. With positions (each node's position in
   * state.snapshot.list()), plugins with a scoreKernel answer from the snapshot's node columns.
   */
  scoreNodes(state: CycleState, pod: Pod, nodes: NodeInfo[], positions?: ArrayLike<number>): { totals: Float64Array; status: Status } {
    const n = nodes.length;
    const totals = new Float64Array(n);
    const cols = positions ? state.snapshot.columns() : undefined;
    // One NodeScore list reused across the plugins that normalize (each normalizeScore may rewrite it in place).
    let list: NodeScore[] | undefined;
    let scratch: Float64Array | undefined;
    for (const pl of this.activeScores(state)) {
      const kernel = cols ? pl.scoreKernel?.(state, pod, cols) : undefined;
      const w = this.weights.get(pl.name) ?? 1;
      if (typeof kernel === "number") {
        // Every node's final score.
        if (n > 0) checkScore(pl.name, kernel, nodes[0]!);
        for (let i = 0; i < n; i++) totals[i] += kernel * w;
        continue;
      }
      if (!pl.normalizeScore) {
        // Raw scores are final: checked and weighted as they come.
        if (kernel) {
          for (let i = 0; i < n; i++) {
            const s = kernel(positions![i]!);
            if (!(s >= 0 && s <= MAX_NODE_SCORE)) checkScore(pl.name, s, nodes[i]!);
            totals[i] += s * w;
          }
        } else {
          // Every node first (a failing call wins over an invalid score), then checked and weighted.
          const raw = (scratch ??= new Float64Array(n));
          for (let i = 0; i < n; i++) {
            const { score, status } = pl.score(state, pod, nodes[i]!);
            if (!status.isSuccess()) return { totals, status: status.withPlugin(pl.name) };
            raw[i] = score;
          }
          for (let i = 0; i < n; i++) {
            const score = raw[i]!;
            if (!(score >= 0 && score <= MAX_NODE_SCORE)) checkScore(pl.name, score, nodes[i]!);
            totals[i] += score * w;
          }
        }
        continue;
      }
      if (!list) {
        list = new Array<NodeScore>(n);
        for (let i = 0; i < n; i++) list[i] = { name: nodes[i]!.name, score: 0 };
      }
      if (kernel) for (let i = 0; i < n; i++) list[i]!.score = kernel(positions![i]!);
      else {
        for (let i = 0; i < n; i++) {
          const { score, status } = pl.score(state, pod, nodes[i]!);
          if (!status.isSuccess()) return { totals, status: status.withPlugin(pl.name) };
          list[i]!.score = score;
        }
      }
      const s = pl.normalizeScore(state, pod, list);
      if (!s.isSuccess()) return { totals, status: s.withPlugin(pl.name) };
      for (let i = 0; i < n; i++) {
        const ns = list[i]!;
        if (!(ns.score >= 0 && ns.score <= MAX_NODE_SCORE)) throw new Error(`plugin ${pl.name} returned an invalid score ${ns.score} for node ${ns.name}`);
        totals[i] += ns.score * w;
      }
    }
    return { totals, status: SUCCESS };
  }

  runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const pl of this.reserve) {
      const s = pl.reserve(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  /** In reverse order, every reserve plugin (they must tolerate an Unreserve without a Reserve). */
  runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (const pl of [...this.reserve].reverse()) {
      try {
        pl.unreserve(state, pod, nodeName);
      } catch (err) {
        this.log.error("unreserve failed", { plugin: pl.name, err });
      }
    }
  }

  /** Success, a rejection, or Wait (the pod is parked in waitingPods until allowed, rejected or timed out). */
  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    const waits = new Map<string, number>();
    for (const pl of this.permit) {
      const { status, timeoutMs } = pl.permit(state, pod, nodeName);
      if (status.code === "Wait") {
        waits.set(pl.name, Math.min(timeoutMs ?? MAX_PERMIT_TIMEOUT_MS, MAX_PERMIT_TIMEOUT_MS));
        continue;
      }
      if (!status.isSuccess()) return status.isRejected() ? status.withPlugin(pl.name) : Status.error(`running Permit plugin ${pl.name}: ${status.message()}`).withPlugin(pl.name);
    }
    if (waits.size > 0) {
      this.permitWaits.set(pod.metadata?.uid ?? "", this.waitingPods.add(pod, waits));
      return Status.wait();
    }
    return Status.success();
  }

  /** For a pod that got Wait: resolves when every waiting plugin allowed it, or with the rejection. */
  waitOnPermit(pod: Pod): Promise<Status> {
    const uid = pod.metadata?.uid ?? "";
    const p = this.permitWaits.get(uid) ?? Promise.resolve(Status.success());
    this.permitWaits.delete(uid);
    return p;
  }

  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.preBind) {
      const s = await pl.preBind(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.bind) {
      const s = await pl.bind(state, pod, nodeName);
      if (s.isSkip()) continue;
      return s.withPlugin(pl.name);
    }
    return Status.error(`no bind plugin bound pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
  }
}

/** Throws for a score outside 0..MAX_NODE_SCORE (a plugin bug). */
function checkScore(plugin: string, score: number, node: NodeInfo): void {
  if (score < 0 || score > MAX_NODE_SCORE) throw new Error(`plugin ${plugin} returned an invalid score ${score} for node ${node.name}`);
}

/** Kubernetes caps a Permit wait at 15 minutes. */
const MAX_PERMIT_TIMEOUT_MS = 15 * 60_000;

const POINT_METHODS: Record<ExtensionPoint, string> = {
  queueSort: "less",
  preFilter: "preFilter",
  filter: "filter",
  postFilter: "postFilter",
  preScore: "preScore",
  score: "score",
  reserve: "reserve",
  permit: "permit",
  preBind: "preBind",
  bind: "bind",
};

export function pointMethod(point: ExtensionPoint): string {
  return POINT_METHODS[point];
}

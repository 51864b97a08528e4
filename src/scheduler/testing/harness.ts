// Plugin tests on hand-built NodeInfos: a snapshot from nodes and bound pods, a Handle with fixed lookups, and
// a default-profile Framework to run whole extension points.
import { FakeClock } from "../../client/clock.js";
import { silentLogger } from "../../util/log.js";
import { SchedulerCache } from "../cache/cache.js";
import { Snapshot } from "../cache/snapshot.js";
import { resolveProfile } from "../config/defaults.js";
import type { ProfileConfig } from "../config/types.js";
import type { Node, Pod } from "../framework/api_types.js";
import { CycleState } from "../framework/cycle_state.js";
import { Framework } from "../framework/framework.js";
import type { NodeInfo } from "../framework/node_info.js";
import type { Handle } from "../framework/types.js";
import { IN_TREE_REGISTRY } from "../plugins/registry.js";

export interface HarnessOptions {
  namespaces?: Record<string, Record<string, string>>;
  priorityClasses?: Record<string, number>;
  spreadSelectors?: Handle["defaultSpreadSelectors"];
  disruptionBudgets?: ReturnType<Handle["disruptionBudgets"]>;
  profile?: ProfileConfig;
}

export class Harness {
  readonly cache = new SchedulerCache({ clock: new FakeClock() });
  readonly snapshot = new Snapshot();
  readonly framework: Framework;
  readonly handle: Handle;
  nominated = new Map<string, Pod[]>();

  constructor(nodes: Node[], pods: Pod[] = [], private readonly opts: HarnessOptions = {}) {
    for (const n of nodes) this.cache.addNode(n);
    for (const p of pods) this.cache.addPod(p);
    this.cache.updateSnapshot(this.snapshot);
    const profile = resolveProfile(opts.profile ?? {}, (n, p) => IN_TREE_REGISTRY[n]?.points.includes(p) ?? false);
    this.framework = new Framework(profile, IN_TREE_REGISTRY, {
      log: silentLogger,
      clock: new FakeClock(),
      namespaceLabels: (ns) => opts.namespaces?.[ns],
      priorityClassValue: (n) => opts.priorityClasses?.[n],
      defaultSpreadSelectors: opts.spreadSelectors ?? (() => []),
      nominatedPodsForNode: (n) => this.nominated.get(n) ?? [],
      disruptionBudgets: () => opts.disruptionBudgets ?? [],
      snapshot: () => this.snapshot,
    });
    this.handle = this.framework;
  }

  state(): CycleState {
    return new CycleState(this.snapshot);
  }

  node(name: string): NodeInfo {
    const n = this.snapshot.get(name);
    if (!n) throw new Error(`no node ${name} in the snapshot`);
    return n;
  }

  /** Runs the whole default PreFilter + Filter pipeline: node name -> first failure reason ("" when it fits). */
  filterAll(pod: Pod): Record<string, string> {
    const state = this.state();
    const pre = this.framework.runPreFilterPlugins(state, pod);
    const out: Record<string, string> = {};
    for (const n of this.snapshot.list()) {
      if (!pre.status.isSuccess()) out[n.name] = pre.status.message();
      else if (pre.result?.nodeNames && !pre.result.nodeNames.has(n.name)) out[n.name] = "excluded by PreFilter";
      else out[n.name] = this.framework.runFilterPlugins(state, pod, n).message();
    }
    return out;
  }

  /** Feasible nodes' weighted total scores from the default (or given) profile. */
  scoreAll(pod: Pod, nodeNames?: string[]): Record<string, number> {
    const state = this.state();
    this.framework.runPreFilterPlugins(state, pod);
    const nodes = this.snapshot.list().filter((n) => !nodeNames || nodeNames.includes(n.name));
    this.framework.runPreScorePlugins(state, pod, nodes);
    const { scores } = this.framework.runScorePlugins(state, pod, nodes);
    return Object.fromEntries(scores.map((s) => [s.name, s.total]));
  }
}

// The scheduling cycle alone (issue 5), in process, no API server: a SchedulerCache, a Snapshot and the default
// profile's Framework built as src/scheduler/scheduler.ts builds them, N nodes, then P pods each taken through what
// scheduleOne does up to its binding cycle: schedulePod (snapshot update, PreFilter, Filter, PreScore, Score,
// selectHost), the assume on the chosen host, Reserve and Permit; the assumed pod is then confirmed as the informer
// does when it sees the binding (cache.addPod of the bound pod) after `--lag` more pods (the binding's round trip).
// The baseline, on a fresh cache of the same nodes in the same run, does only the bookkeeping: the next node round
// robin, the snapshot update, the assume and the confirmation. Printed: CPU us per pod of both (process.cpuUsage,
// GC included) and their ratio, nodes evaluated per pod, and a digest of the hosts chosen in order (ties broken by
// a seeded random source), so a change to the cycle can be checked to choose the same nodes.
//   node --import tsx bench/scheduling_cycle.ts [--nodes=5000] [--pods=10000] [--workload=Basic|NodeAffinity|PodTopologySpread|PodAntiAffinity]
//     [--lag=64] [--seed=1] [--rounds=1]
import { cpus } from "node:os";
import { FakeClock } from "../src/client/clock.js";
import { defaultPodSpec } from "../src/api/defaults/pod_spec.js";
import { SchedulerCache } from "../src/scheduler/cache/cache.js";
import { Snapshot } from "../src/scheduler/cache/snapshot.js";
import type { Pod } from "../src/scheduler/framework/api_types.js";
import { CycleState } from "../src/scheduler/framework/cycle_state.js";
import { Framework } from "../src/scheduler/framework/framework.js";
import { SchedulerMetrics } from "../src/scheduler/metrics.js";
import { IN_TREE_REGISTRY } from "../src/scheduler/plugins/registry.js";
import { SchedulingQueue } from "../src/scheduler/queue/scheduling_queue.js";
import { Algorithm } from "../src/scheduler/schedule_one.js";
import { defaultConfig } from "../src/scheduler/scheduler.js";
import { makeNode, makePod, type NodeSpec, type PodSpecInput } from "../src/scheduler/testing/builders.js";
import { silentLogger } from "../src/util/log.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const NODES = Number(args.get("nodes") ?? 5000);
const WORKLOAD = (args.get("workload") ?? "Basic").toLowerCase();
const LAG = Number(args.get("lag") ?? 64);
const SEED = Number(args.get("seed") ?? 1);
const ROUNDS = Number(args.get("rounds") ?? 1);
const ZONES = 3;

interface Workload {
  name: string;
  node: (i: number) => NodeSpec;
  pod: (i: number) => PodSpecInput;
  /** Default pod count (the slow workloads default to fewer pods so the run stays short). */
  pods: number;
}

const zoneOf = (i: number): string => `zone${i % ZONES}`;
const small = { cpu: "100m", memory: "100Mi" };
const plainNode = (): NodeSpec => ({ cpu: "32", memory: "64Gi", pods: 110 });

// The shapes of bench/scheduler.ts's workloads.
const WORKLOADS: Workload[] = [
  { name: "SchedulingBasic", node: plainNode, pod: () => small, pods: 10000 },
  {
    name: "NodeAffinity",
    node: (i) => ({ ...plainNode(), labels: { zone: zoneOf(i) } }),
    pod: () => ({ ...small, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["zone0", "zone1"] }] }] } } } }),
    pods: 10000,
  },
  {
    name: "PodTopologySpread",
    node: (i) => ({ ...plainNode(), labels: { "topology.kubernetes.io/zone": zoneOf(i) } }),
    pod: () => ({ ...small, labels: { app: "spread" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }] }),
    pods: 2000,
  },
  {
    // At most one pod per node (each repels its whole group per hostname).
    name: "PodAntiAffinity",
    node: plainNode,
    pod: () => ({ ...small, labels: { color: "green" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: "green" } }, topologyKey: "kubernetes.io/hostname" }] } } }),
    pods: 1000,
  },
];

const workload = WORKLOADS.find((w) => w.name.toLowerCase().includes(WORKLOAD));
if (!workload) throw new Error(`unknown --workload=${WORKLOAD}: one of ${WORKLOADS.map((w) => w.name).join(", ")}`);
let PODS = Number(args.get("pods") ?? workload.pods);
if (workload.name === "PodAntiAffinity") PODS = Math.min(PODS, NODES);

/** A small seeded PRNG (mulberry32), so both runs of a comparison break score ties the same way. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The measured pods, built (and API-defaulted, as the API server would store them) before any timing. */
function buildPods(): Pod[] {
  const out: Pod[] = [];
  for (let i = 0; i < PODS; i++) {
    const p = makePod(`measured-${i}`, workload!.pod(i));
    defaultPodSpec(p.spec!);
    p.spec!.priority = 0;
    out.push(p);
  }
  return out;
}

interface Env {
  cache: SchedulerCache;
  snapshot: Snapshot;
  fwk: Framework;
  algo: Algorithm;
}

function buildEnv(random: () => number): Env {
  const clock = new FakeClock();
  const cache = new SchedulerCache({ clock });
  for (let i = 0; i < NODES; i++) cache.addNode(makeNode(`node-${i}`, workload!.node(i)));
  const snapshot = new Snapshot();
  const profile = defaultConfig().profiles[0]!;
  let queue: SchedulingQueue | undefined;
  const fwk = new Framework(profile, IN_TREE_REGISTRY, {
    log: silentLogger,
    clock,
    namespaceLabels: () => undefined,
    priorityClassValue: () => undefined,
    defaultSpreadSelectors: () => [],
    nominatedPodsForNode: (n) => queue?.nominator.podsForNode(n) ?? [],
    hasNominatedPods: () => !(queue?.nominator.empty() ?? true),
    disruptionBudgets: () => [],
    snapshot: () => snapshot,
  });
  queue = new SchedulingQueue({ clock, less: (a, b) => fwk.queueSort.less(a, b) });
  const algo = new Algorithm({
    cache,
    queue,
    snapshot,
    metrics: new SchedulerMetrics(),
    clock,
    log: silentLogger,
    random,
    bindings: new Set(),
    onFailure: async () => {},
    onBound: () => {},
  });
  cache.updateSnapshot(snapshot);
  return { cache, snapshot, fwk, algo };
}

/** FNV-1a over the chosen hosts in order. */
class Digest {
  private h = 0x811c9dc5;
  add(s: string): void {
    for (let i = 0; i < s.length; i++) this.h = Math.imul(this.h ^ s.charCodeAt(i), 0x01000193);
    this.h = Math.imul(this.h ^ 0x2c, 0x01000193);
  }
  hex(): string {
    return (this.h >>> 0).toString(16).padStart(8, "0");
  }
}

interface RunResult {
  usPerPod: number;
  wallMs: number;
  evaluated: number;
  unschedulable: number;
  digest: string;
}

/** Confirms assumed pods `LAG` pods after their assume, as the informer would once the binding is seen. */
class Confirmer {
  private readonly pending: Pod[] = [];
  constructor(private readonly cache: SchedulerCache) {}
  push(bound: Pod): void {
    this.pending.push(bound);
    if (this.pending.length > LAG) this.confirm(this.pending.shift()!);
  }
  drain(): void {
    for (const p of this.pending.splice(0)) this.confirm(p);
  }
  private confirm(bound: Pod): void {
    this.cache.finishBinding(bound);
    this.cache.addPod(bound);
  }
}

function runReal(pods: Pod[]): RunResult {
  const { cache, fwk, algo, snapshot } = buildEnv(seeded(SEED));
  const confirmer = new Confirmer(cache);
  const digest = new Digest();
  let evaluated = 0;
  let unschedulable = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const pod of pods) {
    const state = new CycleState(snapshot);
    let host: string;
    try {
      const r = algo.schedulePod(fwk, state, pod);
      host = r.host;
      evaluated += r.evaluatedNodes;
    } catch {
      unschedulable++;
      digest.add("-");
      continue;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    cache.assumePod(assumed, host);
    if (!fwk.runReservePluginsReserve(state, assumed, host).isSuccess()) throw new Error("reserve failed");
    if (!fwk.runPermitPlugins(state, assumed, host).isSuccess()) throw new Error("permit failed");
    digest.add(host);
    confirmer.push(assumed);
  }
  confirmer.drain();
  const c = process.cpuUsage(c0);
  return { usPerPod: (c.user + c.system) / pods.length, wallMs: performance.now() - t0, evaluated: evaluated / pods.length, unschedulable, digest: digest.hex() };
}

function runBaseline(pods: Pod[]): RunResult {
  const { cache, snapshot } = buildEnv(seeded(SEED));
  const confirmer = new Confirmer(cache);
  const digest = new Digest();
  let next = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const pod of pods) {
    cache.updateSnapshot(snapshot);
    const host = `node-${next++ % NODES}`;
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    cache.assumePod(assumed, host);
    digest.add(host);
    confirmer.push(assumed);
  }
  confirmer.drain();
  const c = process.cpuUsage(c0);
  return { usPerPod: (c.user + c.system) / pods.length, wallMs: performance.now() - t0, evaluated: 0, unschedulable: 0, digest: digest.hex() };
}

process.stdout.write(`k8ts scheduling cycle: ${workload.name}, ${NODES} nodes, ${PODS} pods, confirm lag ${LAG}, seed ${SEED}; ${cpus().length} cores, Node ${process.version}\n`);
process.stdout.write("| round | baseline us/pod | cycle us/pod | ratio | nodes evaluated/pod | unschedulable | cycle wall s | hosts digest |\n|---|---|---|---|---|---|---|---|\n");
for (let round = 1; round <= ROUNDS; round++) {
  const base = runBaseline(buildPods());
  const real = runReal(buildPods());
  process.stdout.write(
    `| ${round} | ${base.usPerPod.toFixed(1)} | ${real.usPerPod.toFixed(1)} | ${(real.usPerPod / base.usPerPod).toFixed(1)} | ${real.evaluated.toFixed(0)} | ${real.unschedulable} | ${(real.wallMs / 1000).toFixed(1)} | ${real.digest} |\n`,
  );
}

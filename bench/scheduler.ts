// Scheduler throughput (issue 5), scheduler_perf-style: each workload gets a fresh k8ts API server (SQLite store) in a
// child process (bench/apiserver_child.ts, so the scheduler does not share its event loop), the scheduler in this
// process (no leader election), Node objects created directly through the API with capacity and labels (no
// kubelets), then the measured pods created through the API; throughput = measured pods / seconds from the first
// measured create to the last of them bound (the scheduler's own "scheduled" counter, checked against the API).
// Each workload (but Preemption) is run a second time, on a fresh API server, with a "null scheduler" in place of
// the real one: it binds every pending pod it sees to the next node round robin, no filtering or scoring, with the
// same API calls per pod (the pods/binding POST, then the Scheduled Event through the same EventRecorder) and the
// same concurrency (every binding started at once, events not awaited). Its pods/s is what the API path alone
// allows on this machine; the real scheduler's figure is printed beside it as a ratio.
//   node --import tsx bench/scheduler.ts [--nodes=5000] [--pods=10000] [--only=Basic,NodeAffinity,...] [--null=no] [--real=no]
//     [--from=dist|src] [--build=no]
// The scheduler, the API server and the pod creator run the compiled product (dist/, built first; --build=no takes it
// as it is) as `k8ts` does; --from=src runs the TypeScript sources through tsx instead.
// --real=no runs only the null scheduler: the API path alone, for work on the API server's cost per pod.
// K8TS_BENCH_PROFILE=DIR writes a CPU profile of the API server child over each measured phase to DIR.
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../src/api/object.js";
import type { Client } from "../src/client/rest_client.js";
import type { Node, Pod } from "../src/scheduler/framework/api_types.js";
import type { NodeSpec, PodSpecInput } from "../src/scheduler/testing/builders.js";
import { firstLine, loadProduct, pool, processCpuSec, productBuild, stopChild } from "./support.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const NODES = Number(args.get("nodes") ?? 5000);
const PODS = Number(args.get("pods") ?? 10000);
const ONLY = args.get("only")?.split(",");
const WITH_NULL = args.get("null") !== "no";
const WITH_REAL = args.get("real") !== "no";
const BUILD = productBuild(args.get("from"), { build: args.get("build") !== "no" });

const { createClient } = await loadProduct<typeof import("../src/client/rest_client.js")>(BUILD, "client/rest_client");
const { resources } = await loadProduct<typeof import("../src/client/resources.js")>(BUILD, "client/resources");
const { priorityClassesRef } = await loadProduct<typeof import("../src/scheduler/informers.js")>(BUILD, "scheduler/informers");
const { Scheduler } = await loadProduct<typeof import("../src/scheduler/scheduler.js")>(BUILD, "scheduler/scheduler");
const { EventRecorder } = await loadProduct<typeof import("../src/client/event_recorder.js")>(BUILD, "client/event_recorder");
const { bindingPath } = await loadProduct<typeof import("../src/scheduler/plugins/default_binder/default_binder.js")>(BUILD, "scheduler/plugins/default_binder/default_binder");
const { SharedInformerFactory } = await loadProduct<typeof import("../src/client/informer_factory.js")>(BUILD, "client/informer_factory");
const { realClock } = await loadProduct<typeof import("../src/client/clock.js")>(BUILD, "client/clock");
const { silentLogger } = await loadProduct<typeof import("../src/util/log.js")>(BUILD, "util/log");
const { forCreate, makeNode, makePod } = await loadProduct<typeof import("../src/scheduler/testing/builders.js")>(BUILD, "scheduler/testing/builders");
// Requests in flight while creating objects: enough to keep the server busy without queueing thousands of sockets.
const CONCURRENCY = 64;
const ZONES = 3;

interface Workload {
  name: string;
  /** Kubernetes CI floor (pods/s) of the matching scheduler_perf test, where one exists. */
  floor?: number;
  nodes: number;
  node: (i: number) => NodeSpec;
  /** Pods created (and bound) before the measurement. */
  initPods?: number;
  initPod?: (i: number) => PodSpecInput;
  pods: number;
  pod: (i: number) => PodSpecInput;
  /** No null-scheduler floor (its pods would not need what the workload measures). */
  noNull?: boolean;
}

/** What run() needs of a scheduler: start it, know when its cache has the nodes, count pods bound. */
interface Binder {
  run(signal: AbortSignal): Promise<void>;
  synced(): boolean;
  scheduled(): number;
}

/**
 * The floor: binds each pending pod it sees to the next node round robin (no queue, filter or score), with the real
 * scheduler's API calls per pod: the binding POST (DefaultBinder's path and body) and, once bound, a Scheduled
 * Event through the scheduler's own EventRecorder. Bindings are not bounded and events not awaited, as in the real
 * scheduler.
 */
class NullScheduler implements Binder {
  private bound = 0;
  private ready = false;
  private next = 0;

  constructor(private readonly client: Client, private readonly nodes: number) {}

  synced(): boolean {
    return this.ready;
  }

  scheduled(): number {
    return this.bound;
  }

  async run(signal: AbortSignal): Promise<void> {
    const factory = new SharedInformerFactory({ client: this.client, clock: realClock, log: silentLogger });
    const pods = factory.forResource<Pod>(resources.pods);
    const recorder = new EventRecorder({ client: this.client, clock: realClock, log: silentLogger, component: "default-scheduler", instance: "null-scheduler", objectKind: { apiVersion: "v1", kind: "Pod" } });
    const inFlight = new Set<Promise<void>>();
    const bind = async (pod: Pod): Promise<void> => {
      const host = `node-${this.next++ % this.nodes}`;
      const body = { apiVersion: "v1", kind: "Binding", metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid }, target: { apiVersion: "v1", kind: "Node", name: host } };
      await this.client.request({ method: "POST", path: bindingPath(pod), body, discardResponse: true });
      this.bound++;
      recorder.event(pod, "Normal", "Scheduled", `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${host}`);
    };
    pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.spec?.nodeName) return;
        const p: Promise<void> = bind(pod).catch((err: unknown) => void process.stderr.write(`null scheduler: ${String(err)}\n`)).finally(() => inFlight.delete(p));
        inFlight.add(p);
      },
    });
    factory.start(signal);
    this.ready = await pods.waitForSync(signal);
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    await Promise.allSettled([...inFlight]);
    await recorder.flush();
    await factory.shutdown();
  }
}

const zoneOf = (i: number): string => `zone${i % ZONES}`;
const small = { cpu: "100m", memory: "100Mi" };

const WORKLOADS: Workload[] = [
  { name: "SchedulingBasic", floor: 680, nodes: NODES, node: () => ({ cpu: "32", memory: "64Gi", pods: 110 }), pods: PODS, pod: () => small },
  {
    name: "NodeAffinity",
    floor: 220,
    nodes: NODES,
    node: (i) => ({ cpu: "32", memory: "64Gi", pods: 110, labels: { zone: zoneOf(i) } }),
    pods: PODS,
    pod: () => ({ ...small, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["zone0", "zone1"] }] }] } } } }),
  },
  {
    // Like scheduler_perf's SchedulingPodAntiAffinity: every pod repels every other pod of its group per hostname,
    // so at most one pod per node: pods are capped at the node count.
    name: "PodAntiAffinity",
    floor: 60,
    nodes: NODES,
    node: () => ({ cpu: "32", memory: "64Gi", pods: 110 }),
    pods: Math.min(PODS, NODES, 1000),
    pod: () => ({ ...small, labels: { color: "green" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: "green" } }, topologyKey: "kubernetes.io/hostname" }] } } }),
  },
  {
    name: "PodTopologySpread",
    nodes: NODES,
    node: (i) => ({ cpu: "32", memory: "64Gi", pods: 110, labels: { "topology.kubernetes.io/zone": zoneOf(i) } }),
    pods: PODS,
    pod: () => ({ ...small, labels: { app: "spread" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }] }),
  },
  {
    // Like scheduler_perf's PreemptionBasic: nodes full of low-priority pods, then high-priority pods that each
    // need one victim evicted (a DELETE through the API) before they bind.
    name: "Preemption",
    nodes: Math.min(NODES, 500),
    node: () => ({ cpu: "4", memory: "16Gi", pods: 110 }),
    initPods: Math.min(NODES, 500) * 4,
    initPod: () => ({ cpu: "900m", memory: "100Mi", priority: 0 }),
    pods: Math.min(NODES, 500),
    pod: () => ({ cpu: "900m", memory: "100Mi", priorityClassName: "high" }),
    noNull: true,
  },
];

async function until(what: string, cond: () => boolean, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startApiServer(dataDir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, join(here, "apiserver_child.ts"), dataDir, BUILD], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await firstLine(child, "API server");
  return { url: (JSON.parse(line) as { url: string }).url, pid: child.pid!, stop: () => stopChild(child) };
}

async function createPods(client: Client, n: number, prefix: string, spec: (i: number) => PodSpecInput): Promise<void> {
  const pods = client.resource<Pod>(resources.pods);
  await pool(n, CONCURRENCY, (i) => {
    // makePod builds a new object each time: drop its uid in place (forCreate's structuredClone would only add
    // load-generator CPU to the scheduler's process).
    const pod = makePod(`${prefix}-${i}`, spec(i));
    delete (pod.metadata as { uid?: string }).uid;
    // No kubelet finishes a graceful deletion here: preemption victims must go at once.
    pod.spec!.terminationGracePeriodSeconds = 0;
    return pods.create("default", pod);
  });
}

interface Result {
  podsPerSec: number;
  seconds: number;
  setupSec: number;
  createSec: number;
  /** CPU ms per measured pod of this process (scheduler + pod creator) and of the API server, measured phase. */
  cpuMsPerPod: number;
  serverCpuMsPerPod: number;
}

async function run(w: Workload, dir: string, kind: "real" | "null"): Promise<Result> {
  const server = await startApiServer(join(dir, `${w.name}-${kind}`));
  const client = createClient({ server: server.url });
  const stop = new AbortController();
  let done: Promise<void> | undefined;
  try {
    const t0 = performance.now();
    const nodes = client.resource<Node>(resources.nodes);
    await pool(w.nodes, CONCURRENCY, async (i) => {
      const n = makeNode(`node-${i}`, w.node(i));
      const created = await nodes.create(undefined, forCreate(n));
      // Status may be dropped on create, as for a kubelet's registration: write it through the status subresource.
      if (!created.status?.allocatable) await nodes.updateStatus(undefined, { ...created, status: n.status });
    });
    await client.resource(priorityClassesRef).create(undefined, { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "high" }, value: 1000 } as KubeObject);
    let binder: Binder;
    if (kind === "real") {
      const scheduler = new Scheduler({ client, leaderElect: false });
      binder = { run: (s) => scheduler.run(s), synced: () => scheduler.cache?.nodeCount() === w.nodes, scheduled: () => scheduler.metrics.attemptCount("scheduled") };
    } else binder = new NullScheduler(client, w.nodes);
    done = binder.run(stop.signal);
    await until("scheduler cache synced", () => binder.synced(), 120_000);
    const scheduled = (): number => binder.scheduled();
    if (w.initPods) {
      await createPods(client, w.initPods, "init", w.initPod!);
      await until("init pods bound", () => scheduled() >= w.initPods!, 600_000);
    }
    const setupSec = (performance.now() - t0) / 1000;
    const before = scheduled();
    const t1 = performance.now();
    const cpu0 = process.cpuUsage();
    const server0 = processCpuSec(server.pid);
    if (process.env.K8TS_BENCH_PROFILE) process.kill(server.pid, "SIGUSR2");
    await createPods(client, w.pods, "measured", w.pod);
    const createSec = (performance.now() - t1) / 1000;
    await until("measured pods bound", () => scheduled() - before >= w.pods, 900_000);
    const seconds = (performance.now() - t1) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerPod = (cpu.user + cpu.system) / 1000 / w.pods;
    const serverCpuMsPerPod = ((processCpuSec(server.pid) - server0) * 1000) / w.pods;
    if (process.env.K8TS_BENCH_PROFILE) process.kill(server.pid, "SIGUSR2");
    const list = await client.resource<Pod>(resources.pods).list("default");
    const unbound = list.items.filter((p) => p.metadata?.name?.startsWith("measured-") && !p.spec?.nodeName).length;
    if (unbound) throw new Error(`${w.name}: ${unbound} measured pods have no node in the API`);
    return { podsPerSec: w.pods / seconds, seconds, setupSec, createSec, cpuMsPerPod, serverCpuMsPerPod };
  } finally {
    stop.abort();
    await done;
    client.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-sched-"));
  process.stdout.write(`k8ts scheduler benchmark: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, product from ${BUILD}/\n`);
  process.stdout.write(
    "CPU ms per pod = CPU time of the measured phase over measured pods, of this process (scheduler + pod creator) / of the API server; the null scheduler's beside it.\n" +
      `| workload | nodes | init pods | measured pods | setup s | creates done s | all bound s | pods/s | null scheduler pods/s | ratio | CPU ms/pod: scheduler proc / API server | null: proc / API server | Kubernetes CI floor |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`,
  );
  try {
    for (const w of WORKLOADS) {
      if (ONLY && !ONLY.some((o) => w.name.toLowerCase().includes(o.toLowerCase()))) continue;
      // The floor first, so both runs see the machine in about the same state.
      const f = WITH_NULL && !w.noNull ? await run(w, dir, "null") : undefined;
      if (!WITH_REAL && !f) continue;
      const r = WITH_REAL ? await run(w, dir, "real") : f!;
      const floor = f ? f.podsPerSec.toFixed(0) : "-";
      const ratio = f ? (r.podsPerSec / f.podsPerSec).toFixed(2) : "-";
      const cpu = (x: Result): string => `${x.cpuMsPerPod.toFixed(2)} / ${x.serverCpuMsPerPod.toFixed(2)}`;
      process.stdout.write(`| ${w.name} | ${w.nodes} | ${w.initPods ?? 0} | ${w.pods} | ${r.setupSec.toFixed(1)} | ${r.createSec.toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.podsPerSec.toFixed(0)} | ${floor} | ${ratio} | ${cpu(r)} | ${f ? cpu(f) : "-"} | ${w.floor ?? "-"} |\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

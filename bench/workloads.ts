// Workload controllers benchmark (issue 8): the API server (SQLite), the scheduler and the controller manager with the
// DaemonSet, Job and StatefulSet controllers in this process, and `k8ts sim --nodes N` (hollow nodes: full node
// agents over the simulated runtime, 110 pods each) as a child process. Three phases, each beside its floor, measured
// in the same run just before it: the same number of pods created straight through the API.
//   1. a DaemonSet rolled out to every node: from its create until status.numberAvailable = N;
//   2. a Job of C completions with parallelism P, each pod exiting 0 after 1 s (sim.k8ts.io/exit-after-c): from its
//      create until its Complete condition (the finished pods are then deleted);
//   3. S StatefulSets of R replicas (OrderedReady, no volumes): from the first create until every set has R ready.
//   node --import tsx bench/workloads.ts [--scale=1] [--nodes=1000] [--completions=10000] [--parallelism=500]
//                                        [--sets=100] [--replicas=10] [--only=daemonset,job,statefulset] [--budget-s=600]
// CPU is in cores (CPU time over wall time) for this process and for the sim process. The machine load (load average)
// is printed at the start and the end.
// --scale multiplies the nodes, completions, parallelism and sets (replicas stay): --scale=0.1 is 100 nodes, a
// Job of 1,000 with parallelism 50 and 10 StatefulSets of 10.
import { spawn } from "node:child_process";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DaemonSet, StatefulSet } from "kubernetes-types/apps/v1.js";
import type { Job } from "kubernetes-types/batch/v1.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../src/api/object.js";
import { startServer } from "../src/daemons/server.js";
import { createClient } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";
import { silentLogger } from "../src/util/log.js";
import { firstLine, pool, processCpuSec, sleep } from "./support.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const SCALE = Number(args.get("scale") ?? 1);
const scaled = (name: string, full: number): number => Number(args.get(name) ?? Math.max(1, Math.round(full * SCALE)));
const NODES = scaled("nodes", 1000);
const COMPLETIONS = scaled("completions", 10_000);
const PARALLELISM = scaled("parallelism", 500);
const SETS = scaled("sets", 100);
const REPLICAS = Number(args.get("replicas") ?? 10);
const ONLY = new Set((args.get("only") ?? "daemonset,job,statefulset").split(","));
// Create calls in flight, for the floor and the StatefulSet creates alike.
const PARALLEL = 20;
const POLL_MS = 1000;
const SETTLE_MS = 30_000;
// Each phase stops waiting after this long and reports how far it got.
const BUDGET_MS = Number(args.get("budget-s") ?? 600) * 1000;
const here = dirname(fileURLToPath(import.meta.url));

type PodObject = Pod & KubeObject;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const rate = (n: number, ms: number): string => `${(n / (ms / 1000)).toFixed(0)} pods/s`;
const log = (msg: string): boolean => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
/** This process's CPU time (user + system) in ms: server, scheduler and controllers; the hollow nodes run apart. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time (user + system) of another process in ms. */
const procCpuMs = (pid: number): number => processCpuSec(pid) * 1000;

/** Where a phase stopped when it did not finish within the budget. */
let stoppedAt: string | undefined;

/** Polls until done() answers true or the budget is spent (stoppedAt says how far it got); answers the ms since t0. */
async function waitFor(what: string, t0: number, probe: () => Promise<{ done: boolean; progress: string }>): Promise<number> {
  for (;;) {
    const { done, progress } = await probe();
    if (done) return performance.now() - t0;
    if (performance.now() - t0 > BUDGET_MS) {
      stoppedAt = `stopped after the ${BUDGET_MS / 1000} s budget at ${progress}`;
      return performance.now() - t0;
    }
    log(`${what}: ${progress}`);
    await sleep(POLL_MS);
  }
}

interface Row {
  phase: string;
  pods: number;
  floorMs: number;
  ms: number;
  cpu: number;
  simCpu: number;
  note: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-workloads-"));
  const server = await startServer({
    dataDir: join(dir, "server"),
    port: 0,
    bindAddress: "127.0.0.1",
    leaderElect: false,
    metrics: false,
    logger: silentLogger,
    controllerManager: { controllers: ["daemonset", "job", "statefulset"] },
  });
  // Deleting thousands of pods in one call can take minutes on a loaded machine.
  const client = createClient({ server: server.url, userAgent: "k8ts-bench", requestTimeoutMs: 600_000 });
  const mainTs = join(here, "..", "src", "cli", "main.ts");
  const code = `import(${JSON.stringify(mainTs)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
  const sim = spawn(process.execPath, [...process.execArgv, "--input-type=module", "-e", code, "sim", "--nodes", String(NODES), "--server", server.url, "--pods", "110", "--cpu", "64", "--memory", "256Gi"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let simErr = "";
  sim.stderr!.on("data", (d: Buffer) => (simErr = (simErr + d.toString()).slice(-4000)));
  sim.once("exit", (c) => c && process.stderr.write(`k8ts sim exited ${c}:\n${simErr}\n`));
  const rows: Row[] = [];
  const loadStart = loadavg()[0]!;
  const pods = client.resource<PodObject>(resources.pods);
  try {
    for (const ns of ["floor", "ds", "job", "sts"]) await client.resource(resources.namespaces).create(undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await firstLine(sim, "k8ts sim");
    const tNodes = performance.now();
    await waitFor("nodes", tNodes, async () => {
      const ready = (await client.resource<Node & KubeObject>(resources.nodes).list(undefined)).items.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
      return { done: ready === NODES, progress: `${ready}/${NODES} Ready` };
    });
    log(`${NODES} hollow nodes Ready in ${secs(performance.now() - tNodes)}`);
    // Every node posts its first statuses and leases right after registering: let that settle before measuring.
    await sleep(SETTLE_MS);

    // The floor: n pods created straight through the API (bound to a node no agent runs, so nothing else acts on
    // them), PARALLEL calls in flight; deleted again before the phase.
    const floor = async (n: number): Promise<number> => {
      const ms = await pool(n, PARALLEL, (i) => pods.create("floor", { apiVersion: "v1", kind: "Pod", metadata: { name: `p${i}` }, spec: { nodeName: "floor-node", containers: [{ name: "c", image: "img:a" }] } } as PodObject));
      log(`floor: ${n} pods in ${secs(ms)}`);
      await pods.deleteCollection("floor", { gracePeriodSeconds: 0 });
      return ms;
    };
    const phase = async (name: string, n: number, note: string, run: () => Promise<number>): Promise<void> => {
      const floorMs = await floor(n);
      const cpu0 = cpuMs();
      const sim0 = procCpuMs(sim.pid!);
      stoppedAt = undefined;
      const ms = await run();
      rows.push({ phase: name, pods: n, floorMs, ms, cpu: (cpuMs() - cpu0) / ms, simCpu: (procCpuMs(sim.pid!) - sim0) / ms, note: stoppedAt ? `**not finished: ${stoppedAt}**; ${note}` : note });
      log(`${name}: ${secs(ms)}, ${(ms / floorMs).toFixed(1)}x the floor`);
    };

    if (ONLY.has("daemonset")) {
      const daemonsets = client.resource<DaemonSet & KubeObject>(resources.daemonsets);
      await phase(`DaemonSet on ${NODES} nodes, all Available`, NODES, "pods placed by the scheduler (node affinity per node)", async () => {
        const t0 = performance.now();
        await daemonsets.create("ds", {
          apiVersion: "apps/v1",
          kind: "DaemonSet",
          metadata: { name: "agent" },
          spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "img:agent" }] } } },
        } as DaemonSet & KubeObject);
        return waitFor("daemonset", t0, async () => {
          const s = (await daemonsets.get("ds", "agent")).status;
          return { done: s?.desiredNumberScheduled === NODES && s.numberAvailable === NODES, progress: `desired ${s?.desiredNumberScheduled ?? 0} current ${s?.currentNumberScheduled ?? 0} available ${s?.numberAvailable ?? 0}` };
        });
      });
    }

    if (ONLY.has("job")) {
      const jobs = client.resource<Job & KubeObject>(resources.jobs);
      const ideal = Math.ceil(COMPLETIONS / PARALLELISM);
      await phase(`Job of ${COMPLETIONS} completions, parallelism ${PARALLELISM}, Complete`, COMPLETIONS, `pods run 1 s each: ${ideal} s if pods started and finished instantly`, async () => {
        const t0 = performance.now();
        await jobs.create("job", {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "batch" },
          spec: {
            completions: COMPLETIONS,
            parallelism: PARALLELISM,
            template: { metadata: { annotations: { "sim.k8ts.io/exit-after-c": "1s" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "img:job" }] } },
          },
        } as Job & KubeObject);
        const ms = await waitFor("job", t0, async () => {
          const s = (await jobs.get("job", "batch")).status;
          const complete = s?.conditions?.some((c) => c.type === "Complete" && c.status === "True") ?? false;
          return { done: complete, progress: `active ${s?.active ?? 0} succeeded ${s?.succeeded ?? 0} failed ${s?.failed ?? 0}` };
        });
        const s = (await jobs.get("job", "batch")).status;
        if (!stoppedAt && s?.succeeded !== COMPLETIONS) throw new Error(`job: ${s?.succeeded} succeeded, expected ${COMPLETIONS}`);
        return ms;
      });
      await pods.deleteCollection("job", { gracePeriodSeconds: 0 });
    }

    if (ONLY.has("statefulset")) {
      const sets = client.resource<StatefulSet & KubeObject>(resources.statefulsets);
      await phase(`${SETS} StatefulSets x ${REPLICAS} replicas, all Ready`, SETS * REPLICAS, `OrderedReady: each set starts its ${REPLICAS} pods one after another`, async () => {
        const t0 = performance.now();
        await pool(SETS, PARALLEL, (i) =>
          sets.create("sts", {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: `s${i}` },
            spec: { serviceName: `s${i}`, replicas: REPLICAS, selector: { matchLabels: { app: `s${i}` } }, template: { metadata: { labels: { app: `s${i}` } }, spec: { containers: [{ name: "c", image: "img:sts" }] } } },
          } as StatefulSet & KubeObject),
        );
        return waitFor("statefulsets", t0, async () => {
          const items = (await sets.list("sts")).items;
          const ready = items.reduce((n, s) => n + (s.status?.readyReplicas ?? 0), 0);
          return { done: items.length === SETS && items.every((s) => s.status?.readyReplicas === REPLICAS), progress: `${ready}/${SETS * REPLICAS} pods ready` };
        });
      });
    }

    process.stdout.write(
      `workloads: ${NODES} hollow nodes (k8ts sim, a child process); API server, scheduler and controllers in this process (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})${SCALE !== 1 ? `, --scale=${SCALE}` : ""}; load average ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end\n`,
    );
    process.stdout.write(`\n| phase | pods | floor (created through the API, ${PARALLEL} in flight) | measured | ratio | CPU: this process / sim | note |\n|---|---|---|---|---|---|---|\n`);
    for (const r of rows) {
      process.stdout.write(`| ${r.phase} | ${r.pods} | ${secs(r.floorMs)} (${rate(r.pods, r.floorMs)}) | ${secs(r.ms)} (${rate(r.pods, r.ms)}) | ${(r.ms / r.floorMs).toFixed(1)}x | ${r.cpu.toFixed(2)} / ${r.simCpu.toFixed(2)} | ${r.note} |\n`);
    }
  } finally {
    if (sim.exitCode === null) {
      const exited = new Promise((r) => sim.once("exit", r));
      sim.kill("SIGTERM");
      await exited;
    }
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

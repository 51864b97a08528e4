// Hollow-node scale (issue 5): `k8ts sim --nodes N` as its own process against the real API server (SQLite, in a
// child process: bench/apiserver_child.ts); this process only drives and measures. Phases: nodes register (Node +
// Lease + status), then P pods bound directly (spec.nodeName, round robin) run on the hollow nodes. The sim
// process's RSS (/proc/PID/status VmRSS) is read once every node is Ready and once every pod is Running;
// memory per node = the growth over a `k8ts sim --nodes 1` process divided by N.
//   node --import tsx bench/sim_scale.ts [--nodes=5000] [--pods=100000] [--budget-s=300]
import { spawn, type ChildProcess } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../src/api/object.js";
import { createClient } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const NODES = Number(args.get("nodes") ?? 5000);
const PODS = Number(args.get("pods") ?? 100000);
// Each phase stops waiting after this long and the benchmark reports what it reached.
const BUDGET_MS = Number(args.get("budget-s") ?? 300) * 1000;
const CONCURRENCY = 64;
const here = dirname(fileURLToPath(import.meta.url));

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`${what} exited ${c}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Waits until count() >= target or the budget passes; answers the count and seconds taken. */
async function reach(what: string, target: number, count: () => number | Promise<number>): Promise<{ n: number; sec: number }> {
  const t0 = performance.now();
  for (;;) {
    const n = await count();
    const sec = (performance.now() - t0) / 1000;
    if (n >= target || sec * 1000 > BUDGET_MS) {
      process.stdout.write(`${what}: ${n}/${target} in ${sec.toFixed(1)} s\n`);
      return { n, sec };
    }
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-sim-"));
  const server = spawn(process.execPath, [...process.execArgv, join(here, "apiserver_child.ts"), join(dir, "server")], { stdio: ["ignore", "pipe", "inherit"] });
  let sim: ChildProcess | undefined;
  try {
    const url = (JSON.parse(await firstLine(server, "API server")) as { url: string }).url;
    const client = createClient({ server: url });
    process.stdout.write(`k8ts hollow-node scale: ${NODES} nodes, ${PODS} pods, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
    const main = join(here, "..", "src", "cli", "main.ts");
    const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
    const startSim = (count: number, prefix: string): ChildProcess =>
      spawn(process.execPath, [...process.execArgv, "--input-type=module", "-e", code, "sim", "--nodes", String(count), "--name-prefix", prefix, "--server", url, "--pods", "110", "--cpu", "32", "--memory", "128Gi"], { stdio: ["ignore", "pipe", "pipe"] });
    // The baseline: the same process with one node (its runtime, modules, client and informer), since `k8ts sim`
    // builds all of its agents before it prints its first line.
    const one = startSim(1, "baseline-node-");
    one.stderr!.resume();
    await firstLine(one, "k8ts sim --nodes 1");
    await sleep(3000);
    const emptyMiB = rssMiB(one.pid!);
    await stopChild(one);
    sim = startSim(NODES, "hollow-node-");
    // Its logs are kept only to explain an early exit (the agents warn about every failed request under load).
    let simErr = "";
    sim.stderr!.on("data", (d: Buffer) => (simErr = (simErr + d.toString()).slice(-4000)));
    sim.once("exit", (c) => c && process.stderr.write(`k8ts sim exited ${c}:\n${simErr}\n`));
    await firstLine(sim, "k8ts sim");

    const nodes = client.resource<Node & KubeObject>(resources.nodes);
    const ready = (n: Node): boolean => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    const reg = await reach("nodes Ready", NODES, async () => (await nodes.list(undefined)).items.filter((n) => ready(n) && n.metadata?.name?.startsWith("hollow-node-")).length);
    await sleep(2000);
    const nodesMiB = rssMiB(sim.pid!);

    // One watch counts pods reaching Running.
    const running = new Set<string>();
    const watch = client.resource<Pod & KubeObject>(resources.pods).watch("default", {}, {
      onEvent: (ev) => {
        const p = ev.object as Pod;
        if (p.status?.phase === "Running") running.add(p.metadata!.name!);
      },
    });
    const pods = client.resource<Pod & KubeObject>(resources.pods);
    const t0 = performance.now();
    let next = 0;
    let created = 0;
    const creating = Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < PODS && performance.now() - t0 < BUDGET_MS) {
        const i = next++;
        await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: `p-${i}` }, spec: { nodeName: `hollow-node-${i % reg.n}`, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "nginx:1.27" }] } } as Pod & KubeObject);
        created++;
      }
    }));
    const run = await reach("pods Running", PODS, () => running.size);
    await creating;
    const createSec = (performance.now() - t0) / 1000;
    await sleep(2000);
    const podsMiB = rssMiB(sim.pid!);
    watch.stop();

    const perNode = (mib: number): string => ((mib - emptyMiB) / Math.max(1, reg.n)).toFixed(2);
    process.stdout.write(`\n| figure | value |\n|---|---|\n`);
    process.stdout.write(`| nodes Ready | ${reg.n} of ${NODES} in ${reg.sec.toFixed(1)} s |\n`);
    process.stdout.write(`| pods created | ${created} in ${createSec.toFixed(1)} s (${(created / createSec).toFixed(0)}/s) |\n`);
    process.stdout.write(`| pods Running | ${run.n} of ${PODS} in ${run.sec.toFixed(1)} s (${(run.n / run.sec).toFixed(0)}/s) |\n`);
    process.stdout.write(`| sim RSS: 1 node / nodes Ready / pods Running | ${emptyMiB.toFixed(0)} / ${nodesMiB.toFixed(0)} / ${podsMiB.toFixed(0)} MiB |\n`);
    process.stdout.write(`| RSS per hollow node (no pods / with pods) | ${perNode(nodesMiB)} / ${perNode(podsMiB)} MiB |\n`);
    client.close();
  } finally {
    if (sim) await stopChild(sim);
    await stopChild(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

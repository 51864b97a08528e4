// Hollow-node scale (issue 5): `k8ts sim --nodes N` as its own process against the real API server (SQLite, in a
// child process: bench/apiserver_child.ts); this process only drives and measures. Phases: nodes register (Node +
// Lease + status), then P pods bound directly (spec.nodeName, round robin) run on the hollow nodes. The sim
// process's RSS (/proc/PID/status VmRSS) is read once every node is Ready and once every pod is Running;
// memory per node = the growth over a `k8ts sim --nodes 1` process divided by N. Running pods are counted two ways:
// by one pod watch (re-opened from its last resourceVersion if the server ends it) and by a periodic paged LIST
// (fieldSelector status.phase=Running, metadata only), so a watch that lags or is dropped shows as a difference.
// Every --report-s the benchmark prints both counts and what the API server was asked since the last report (its
// apiserver_request_total, by verb/resource/subresource). --prof-dir=DIR writes CPU profiles of the API server and
// the sim process there.
//   node --import tsx bench/sim_scale.ts [--nodes=5000] [--pods=100000] [--budget-s=300] [--report-s=60] [--prof-dir=DIR]
import { spawn, type ChildProcess } from "node:child_process";
import { firstLine, sleep, stopChild } from "./support.js";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../src/api/object.js";
import type { WatchHandle } from "../src/client/types.js";
import { createClient } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const NODES = Number(args.get("nodes") ?? 5000);
const PODS = Number(args.get("pods") ?? 100000);
// Each phase stops waiting after this long and the benchmark reports what it reached.
const BUDGET_MS = Number(args.get("budget-s") ?? 300) * 1000;
const CONCURRENCY = 64;
const here = dirname(fileURLToPath(import.meta.url));

// Each report LISTs every Running pod (a full scan on the API server): not too often at 100,000 pods.
const REPORT_MS = Number(args.get("report-s") ?? 60) * 1000;
const PROF_DIR = args.get("prof-dir");
const profArgs = (): string[] => (PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`] : []);

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** GET of a path on the API server: status code and body. */
function get(url: string, path: string, accept = "application/json"): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { Accept: accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Pods in phase Running as the API lists them now: a paged LIST of metadata only. */
async function listRunning(url: string): Promise<number> {
  let n = 0;
  let cont = "";
  do {
    const q = new URLSearchParams({ fieldSelector: "status.phase=Running", limit: "5000", ...(cont ? { continue: cont } : {}) });
    const r = await get(url, `/api/v1/namespaces/default/pods?${q}`, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
    if (r.code !== 200) throw new Error(`list running pods: ${r.code} ${r.body.slice(0, 200)}`);
    const list = JSON.parse(r.body) as { items: unknown[]; metadata?: { continue?: string } };
    n += list.items.length;
    cont = list.metadata?.continue ?? "";
  } while (cont);
  return n;
}

/** apiserver_request_total summed by "VERB resource[/subresource]". */
async function requestCounts(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const r = await get(url, "/metrics", "text/plain");
  for (const line of r.body.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const label = (k: string): string => new RegExp(`${k}="([^"]*)"`).exec(line)?.[1] ?? "";
    const key = `${label("verb")} ${label("resource")}${label("subresource") ? `/${label("subresource")}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

/** The busiest request kinds between two counts, per second: "PUT leases 498/s, ...". */
function rates(before: Map<string, number>, after: Map<string, number>, sec: number): string {
  return [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / sec] as const)
    .filter(([, r]) => r >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, r]) => `${k} ${r.toFixed(0)}/s`)
    .join(", ");
}

/** Waits until count() >= target or the budget passes; answers the count and seconds taken. */
async function reach(what: string, target: number, count: () => number | Promise<number>, everyMs = 1000): Promise<{ n: number; sec: number }> {
  const t0 = performance.now();
  for (;;) {
    const n = await count();
    const sec = (performance.now() - t0) / 1000;
    if (n >= target || sec * 1000 > BUDGET_MS) {
      process.stdout.write(`${what}: ${n}/${target} in ${sec.toFixed(1)} s\n`);
      return { n, sec };
    }
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-sim-"));
  const server = spawn(process.execPath, [...process.execArgv, ...profArgs(), join(here, "apiserver_child.ts"), join(dir, "server")], { stdio: ["ignore", "pipe", "inherit"] });
  let sim: ChildProcess | undefined;
  try {
    const url = (JSON.parse(await firstLine(server, "API server")) as { url: string }).url;
    const client = createClient({ server: url });
    process.stdout.write(`k8ts hollow-node scale: ${NODES} nodes, ${PODS} pods, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
    const main = join(here, "..", "src", "cli", "main.ts");
    const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
    const startSim = (count: number, prefix: string, prof = false): ChildProcess =>
      spawn(process.execPath, [...process.execArgv, ...(prof ? profArgs() : []), "--input-type=module", "-e", code, "sim", "--nodes", String(count), "--name-prefix", prefix, "--server", url, "--pods", "110", "--cpu", "32", "--memory", "128Gi"], { stdio: ["ignore", "pipe", "pipe"] });
    // The baseline: the same process with one node (its runtime, modules, client and informer), since `k8ts sim`
    // builds all of its agents before it prints its first line.
    const one = startSim(1, "baseline-node-");
    one.stderr!.resume();
    await firstLine(one, "k8ts sim --nodes 1");
    await sleep(3000);
    const emptyMiB = rssMiB(one.pid!);
    await stopChild(one);
    sim = startSim(NODES, "hollow-node-", true);
    // Its logs are kept only to explain an early exit (the agents warn about every failed request under load).
    // Warnings are counted by message (and the latest error kept), for the reports.
    let simErr = "";
    let partial = "";
    const warnings = new Map<string, number>();
    sim.stderr!.on("data", (d: Buffer) => {
      const text = partial + d.toString();
      simErr = text.slice(-4000);
      const lines = text.split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"msg":"hollow node requests"')) simRequests = line.replace(/^.*"component":"sim",?/, "").slice(0, 300);
        // Warnings, and the pod informer's relists (its watch dropped as too slow, then a LIST of every pod).
        const m = /"level":"(warn|error)","msg":"([^"]*)"/.exec(line) ?? /"level":"(info)","msg":"([^"]*relist[^"]*)"/.exec(line);
        if (!m) continue;
        const key = `${m[1]}: ${m[2]}`;
        warnings.set(key, (warnings.get(key) ?? 0) + 1);
        lastWarning = line.slice(0, 400);
      }
    });
    let lastWarning = "";
    let simRequests = "";
    sim.once("exit", (c) => c && process.stderr.write(`k8ts sim exited ${c}:\n${simErr}\n`));
    await firstLine(sim, "k8ts sim");

    const nodes = client.resource<Node & KubeObject>(resources.nodes);
    const ready = (n: Node): boolean => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    const reg = await reach("nodes Ready", NODES, async () => (await nodes.list(undefined)).items.filter((n) => ready(n) && n.metadata?.name?.startsWith("hollow-node-")).length, 5000);
    await sleep(2000);
    const nodesMiB = rssMiB(sim.pid!);

    // One watch counts pods reaching Running; if the server ends it (timeout, or dropped as too slow) it is opened
    // again from the last resourceVersion seen, and the re-opens are counted.
    const running = new Set<string>();
    const pods = client.resource<Pod & KubeObject>(resources.pods);
    let lastRv = "";
    let rewatches = 0;
    let stopped = false;
    let watch: WatchHandle;
    const openWatch = (): void => {
      watch = pods.watch("default", lastRv ? { resourceVersion: lastRv } : {}, {
        onEvent: (ev) => {
          const p = ev.object as Pod;
          if (ev.type === "ERROR") return void process.stdout.write(`pod watch ERROR: ${JSON.stringify(ev.object).slice(0, 200)}\n`);
          lastRv = p.metadata?.resourceVersion ?? lastRv;
          if (p.status?.phase === "Running") running.add(p.metadata!.name!);
        },
        onClose: () => {
          if (stopped) return;
          rewatches++;
          // A 410 (fell behind the cache) re-opens from now: the LIST count covers what was missed.
          setTimeout(openWatch, 1000);
        },
        onError: (err) => {
          process.stdout.write(`pod watch failed: ${err.message}\n`);
          if (/410|too old|Gone|fell more/.test(err.message)) lastRv = "";
        },
      });
    };
    openWatch();
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
    // Every report: both Running counts and what the API server was asked since the last one.
    let listed = 0;
    let lastReport = performance.now();
    let lastCounts = await requestCounts(url);
    const report = async (): Promise<void> => {
      listed = await listRunning(url);
      const counts = await requestCounts(url);
      const now = performance.now();
      process.stdout.write(
        `[${((now - t0) / 1000).toFixed(0)} s] created ${created}, Running by watch ${running.size} (re-opened ${rewatches}x), by LIST ${listed}; ` +
          `sim RSS ${rssMiB(sim!.pid!).toFixed(0)} MiB; API: ${rates(lastCounts, counts, (now - lastReport) / 1000)}\n`,
      );
      if (simRequests) process.stdout.write(`  sim client: ${simRequests}\n`);
      if (warnings.size) process.stdout.write(`  sim warnings so far: ${[...warnings].map(([k, v]) => `${k} x${v}`).join("; ")}\n  last: ${lastWarning}\n`);
      lastCounts = counts;
      lastReport = now;
    };
    const run = await reach("pods Running (LIST)", PODS, async () => {
      if (performance.now() - lastReport >= REPORT_MS) await report();
      return Math.max(listed, running.size >= PODS ? await listRunning(url) : 0);
    });
    await creating;
    await report();
    const createSec = (performance.now() - t0) / 1000;
    await sleep(2000);
    const podsMiB = rssMiB(sim.pid!);
    stopped = true;
    watch!.stop();

    const perNode = (mib: number): string => ((mib - emptyMiB) / Math.max(1, reg.n)).toFixed(2);
    process.stdout.write(`\n| figure | value |\n|---|---|\n`);
    process.stdout.write(`| nodes Ready | ${reg.n} of ${NODES} in ${reg.sec.toFixed(1)} s |\n`);
    process.stdout.write(`| pods created | ${created} in ${createSec.toFixed(1)} s (${(created / createSec).toFixed(0)}/s) |\n`);
    process.stdout.write(`| pods Running (LIST) | ${run.n} of ${PODS} in ${run.sec.toFixed(1)} s (${(run.n / run.sec).toFixed(0)}/s) |\n`);
    process.stdout.write(`| pods Running (watch) | ${running.size} (watch re-opened ${rewatches}x) |\n`);
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

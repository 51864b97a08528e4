// Autoscaling (issue 9), two measurements:
//
// 1. Reaction time on hollow nodes: k8ts server in this process (metrics server scraping every S, HPA sync period P)
//    with hollow nodes serving their stats endpoints on loopback; a Deployment whose pods expose a custom metric
//    (sim.k8ts.io/metrics, read by each agent for pods annotated prometheus.io/scrape) behind an HPA on that Pods
//    metric (target 10 per pod, min 2, max 10, scale-down stabilization window W). The load changes by annotating
//    every running pod; reaction = from the last annotation written to the Deployment's spec.replicas changing.
//    Target (issue 9): within one sync period plus the stabilization window (0 for scale up, W for scale down);
//    printed as reaction / (P + window). The metrics pipeline adds up to S on top.
//
// 2. Metrics collection cost for NODES nodes and NODES x PER_NODE pods: a MetricsServer in this process against the
//    real API server (child process, bench/apiserver_child.ts, holding the Node and Pod objects) scrapes fake
//    agents (child process, bench/autoscaling_nodes_child.ts: one container and two custom samples per pod) over
//    HTTP. Per scrape cycle: wall time and this process's CPU (user + system), beside a plain LIST of the same pods
//    through the REST client in the same run (the baseline).
//
//   node --import tsx bench/autoscaling.ts [--rounds=3] [--sync-ms=3000] [--scrape-ms=1000] [--window-ms=6000]
//                                          [--nodes=1000] [--per-node=30] [--cycles=5]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../src/api/object.js";
import { createClient, type Client } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";
import { startHollowServer } from "../src/daemons/hollow_testing.js";
import { MetricsServer } from "../src/metrics/metrics_server.js";
import { HttpSummarySource } from "../src/metrics/summary_source.js";
import { firstLine, sleep, stopChild } from "./support.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const ROUNDS = Number(args.get("rounds") ?? 3);
const SYNC_MS = Number(args.get("sync-ms") ?? 3000);
const SCRAPE_MS = Number(args.get("scrape-ms") ?? 1000);
const WINDOW_MS = Number(args.get("window-ms") ?? 6000);
const NODES = Number(args.get("nodes") ?? 1000);
const PER_NODE = Number(args.get("per-node") ?? 30);
const CYCLES = Number(args.get("cycles") ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, maxMs = 300_000, stepMs = 50): Promise<T> {
  const end = Date.now() + maxMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return `mean ${mean.toFixed(2)}, min ${s[0]?.toFixed(2)}, max ${s[s.length - 1]?.toFixed(2)}`;
};

async function reaction(): Promise<void> {
  const h = await startHollowServer({
    prefix: "k8ts-bench-hpa-",
    scrapeIntervalMs: SCRAPE_MS,
    hpaSyncPeriodMs: SYNC_MS,
    nodes: 4,
    capacity: { cpu: "16", memory: "32Gi", pods: "50" },
  });
  const { client } = h;
  try {
    const pods = client.resource<Pod & KubeObject>(resources.pods);
    const deployments = client.resource<KubeObject & { spec?: { replicas?: number } }>(resources.deployments);
    const metric = (v: number): string => `requests_per_second ${v}\n`;
    await deployments.create("default", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" }, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "sim.k8ts.io/metrics": metric(10) } },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "nginx:1.27" }] },
        },
      },
    } as KubeObject);
    await client.request({
      method: "POST",
      path: "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
      body: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [{ type: "Pods", pods: { metric: { name: "requests_per_second" }, target: { type: "AverageValue", averageValue: "10" } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: WINDOW_MS / 1000 } },
        },
      },
    });
    const replicas = async (): Promise<number> => (await deployments.get("default", "web")).spec?.replicas ?? 0;
    const live = async (): Promise<Array<Pod & KubeObject>> => (await pods.list("default", { labelSelector: "app=web" })).items.filter((p) => !p.metadata?.deletionTimestamp);
    const setLoad = async (v: number): Promise<void> => {
      await Promise.all((await live()).map((p) => pods.patch("default", p.metadata!.name!, "merge", { metadata: { annotations: { "sim.k8ts.io/metrics": metric(v) } } }).catch(() => undefined)));
    };
    // Steady at 2 with the metric seen by the HPA.
    await until("HPA reading the metric", async () => {
      const h = await client.request<{ status?: { currentMetrics?: unknown[] } }>({ method: "GET", path: "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web" });
      return (h.status?.currentMetrics?.length ?? 0) > 0;
    });
    const ups: number[] = [];
    const downs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await until("2 running pods", async () => (await replicas()) === 2 && (await live()).filter((p) => p.status?.phase === "Running").length === 2, 300_000, 200);
      await sleep(SYNC_MS + SCRAPE_MS);
      // Up: 50 per pod against 10.
      await setLoad(50);
      let t0 = performance.now();
      const upTo = await until("a scale up", async () => {
        const n = await replicas();
        return n > 2 && n;
      });
      ups.push((performance.now() - t0) / 1000);
      await until("10 replicas", async () => (await replicas()) === 10, 300_000, 200);
      await until("10 running pods", async () => (await live()).filter((p) => p.status?.phase === "Running").length === 10, 300_000, 200);
      // Down: 2 per pod.
      await setLoad(2);
      t0 = performance.now();
      const downTo = await until("a scale down", async () => {
        const n = await replicas();
        return n < 10 && n;
      });
      downs.push((performance.now() - t0) / 1000);
      process.stdout.write(`round ${r + 1}: up 2 -> ${upTo} in ${ups[r]!.toFixed(2)} s, down 10 -> ${downTo} in ${downs[r]!.toFixed(2)} s\n`);
      await setLoad(10);
    }
    const P = SYNC_MS / 1000;
    const W = WINDOW_MS / 1000;
    process.stdout.write(`\n| reaction (sync ${P} s, scrape ${SCRAPE_MS / 1000} s, down window ${W} s) | seconds | / (sync + window) |\n|---|---|---|\n`);
    process.stdout.write(`| load up -> new replica count (window 0) | ${stats(ups)} | ${stats(ups.map((x) => x / P))} |\n`);
    process.stdout.write(`| load down -> new replica count (window ${W} s) | ${stats(downs)} | ${stats(downs.map((x) => x / (P + W)))} |\n\n`);
  } finally {
    await h.stop();
  }
}

async function createAll(client: Client, total: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < total) await make(next++);
    }),
  );
  void client;
}

async function collection(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-metrics-"));
  const api = spawn(process.execPath, [...process.execArgv, join(here, "apiserver_child.ts"), join(dir, "server")], { stdio: ["ignore", "pipe", "inherit"] });
  const agents = spawn(process.execPath, [...process.execArgv, join(here, "autoscaling_nodes_child.ts"), String(NODES), String(PER_NODE)], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = (JSON.parse(await firstLine(api, "API server")) as { url: string }).url;
    const agentsUrl = (JSON.parse(await firstLine(agents, "fake agents")) as { url: string }).url;
    const client = createClient({ server: url });
    const total = NODES * PER_NODE;
    let t0 = performance.now();
    await createAll(client, NODES, (i) =>
      client.resource(resources.nodes).create(undefined, {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: `hollow-node-${i}`, labels: { "k8ts.io/hollow": "true" } },
        status: { addresses: [{ type: "InternalIP", address: `10.64.${i >> 8}.${i & 255}` }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
      } as KubeObject),
    );
    await createAll(client, total, (i) =>
      client.resource(resources.pods).create("default", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p-${i}`, labels: { app: `a${i % 10}` } },
        spec: { nodeName: `hollow-node-${Math.floor(i / PER_NODE)}`, containers: [{ name: "c", image: "nginx:1.27" }] },
      } as KubeObject),
    );
    process.stdout.write(`created ${NODES} nodes and ${total} pods in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const source = new HttpSummarySource({ nodeUrl: (n) => `${agentsUrl}/n/${n.name}/` });
    const ms = new MetricsServer({ client, source, scrapeIntervalMs: 3_600_000 });
    const ac = new AbortController();
    const running = ms.run(ac.signal);
    t0 = performance.now();
    await until("the first round", async () => ms.ready, 600_000, 20);
    process.stdout.write(`informers synced and first round in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const walls: number[] = [];
    const cpusMs: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await ms.scrape();
      walls.push(performance.now() - w0);
      const d = process.cpuUsage(c0);
      cpusMs.push((d.user + d.system) / 1000);
    }
    const podsWithMetrics = ms.listPodMetrics({ namespace: "default" }).length;
    const withCustom = ms.custom.size;
    const rate = ms.custom.pod("default", "p-0")?.metrics.get("http_requests")?.[0]?.value;
    const listWalls: number[] = [];
    const listCpus: number[] = [];
    let listed = 0;
    for (let c = 0; c < CYCLES; c++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      listed = ((await client.resource(resources.pods).list("default")) as { items: unknown[] }).items.length;
      listWalls.push(performance.now() - w0);
      const d = process.cpuUsage(c0);
      listCpus.push((d.user + d.system) / 1000);
    }
    ac.abort();
    await running;
    source.close();
    client.close();
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    process.stdout.write(`pods with resource metrics ${podsWithMetrics}, with custom metrics ${withCustom}, http_requests rate of p-0 ${rate}/s; list returned ${listed} pods\n`);
    process.stdout.write(`\n| per cycle (${NODES} nodes, ${total} pods, ${CYCLES} cycles) | wall ms | CPU ms (this process) |\n|---|---|---|\n`);
    process.stdout.write(`| scrape round (HTTP + JSON + resource and custom stores) | ${stats(walls)} | ${stats(cpusMs)} |\n`);
    process.stdout.write(`| baseline: LIST of the same ${total} pods (REST client) | ${stats(listWalls)} | ${stats(listCpus)} |\n`);
    process.stdout.write(`| ratio scrape / list (means) | ${(mean(walls) / mean(listWalls)).toFixed(2)} | ${(mean(cpusMs) / mean(listCpus)).toFixed(2)} |\n`);
  } finally {
    await stopChild(agents);
    await stopChild(api);
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`k8ts autoscaling bench: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
const only = args.get("only");
if (only !== "collection") await reaction();
if (only !== "reaction") await collection();

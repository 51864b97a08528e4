// Controllers benchmark (issue 4): the API server, scheduler and controller manager (Deployment and ReplicaSet
// controllers) in this process, with hollow nodes (simulated kubelets that run pods to Running/Ready). Measures the
// time until N Deployments of R replicas are all Available, then the time of a rolling update of all of them (new
// image); beside it, in the same run, the floor: the same N*R pods created straight through the API.
//   node --import tsx bench/controllers.ts [--deployments=1000] [--replicas=10] [--nodes=100] [--parallel=20] [--sample=1] [--workers=5] [--budget-s=N]
// --sample=1 logs, every second, where the pods are (unbound, bound but not Running, Running but not Ready, Ready,
// terminating), how deep the work queues are and how long their items waited; it costs a pod list per second.
// Each phase ends with the API requests it took, by verb and resource (from the server's /metrics).
import { cpus, totalmem, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../src/daemons/server.js";
import { createClient } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";
import { HollowNodes } from "../src/kubelet/hollow_nodes.js";
import type { PodObject } from "../src/controller/replicaset/pod_utils.js";
import type { DeploymentObject } from "../src/controller/deployment/util.js";
import { silentLogger } from "../src/util/log.js";
import { pool } from "./support.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const DEPLOYMENTS = Number(args.get("deployments") ?? 1000);
const REPLICAS = Number(args.get("replicas") ?? 10);
// 110 pods per node is the kubelet's default --max-pods; the node count covers every pod of a rollout's surge.
const NODES = Number(args.get("nodes") ?? Math.max(1, Math.ceil((DEPLOYMENTS * REPLICAS * 1.3) / 110)));
const PARALLEL = Number(args.get("parallel") ?? 20);
const SAMPLE = args.get("sample") === "1";
/** A phase still unfinished after this many seconds is reported with how far it got (default: no limit). */
const BUDGET_MS = args.has("budget-s") ? Number(args.get("budget-s")) * 1000 : Infinity;
/** Workers per controller (default: the controllers' own, 5 as in Kubernetes). */
const WORKERS = args.has("workers") ? Number(args.get("workers")) : undefined;
// Progress is sampled, not awaited event by event: one list per period stays cheap beside the work measured.
const POLL_MS = 1000;
const NS = "bench";
const FLOOR_NS = "bench-floor";

function deployment(i: number, image: string): DeploymentObject {
  const labels = { app: `d${i}` };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `d${i}`, namespace: NS },
    spec: { replicas: REPLICAS, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } } },
  } as DeploymentObject;
}

const done = (d: DeploymentObject): boolean =>
  (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
  d.status?.updatedReplicas === REPLICAS &&
  d.status?.availableReplicas === REPLICAS &&
  d.status?.replicas === REPLICAS;

/** The server's /metrics as series ("name{labels}") to values. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const seriesLabel = (series: string, name: string): string => new RegExp(`[{,]${name}="([^"]*)"`).exec(series)?.[1] ?? "";

/** The value of one series, summed over series of that name whose labels include every given one. */
function metric(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [k, v] of m) {
    if (!(k === name || k.startsWith(`${name}{`))) continue;
    if (Object.entries(labels).every(([l, val]) => seriesLabel(k, l) === val)) sum += v;
  }
  return sum;
}

/** API requests between two scrapes by "VERB resource[/subresource]" (and the code when not 2xx), most first (watches and lists left out). */
function requestsBetween(a: Map<string, number>, b: Map<string, number>): Array<[string, number]> {
  const by = new Map<string, number>();
  for (const [k, v] of b) {
    if (!k.startsWith("apiserver_request_total{")) continue;
    const verb = seriesLabel(k, "verb");
    if (verb === "WATCH" || verb === "LIST") continue;
    const sub = seriesLabel(k, "subresource");
    const code = seriesLabel(k, "code");
    const what = `${verb} ${seriesLabel(k, "resource")}${sub ? `/${sub}` : ""}${code.startsWith("2") ? "" : ` ${code}`}`;
    const d = v - (a.get(k) ?? 0);
    if (d > 0) by.set(what, (by.get(what) ?? 0) + d);
  }
  return [...by].sort((x, y) => y[1] - x[1]);
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** This process's CPU time (user + system) in ms: everything measured runs in it, on one JavaScript thread. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU time over wall time since a start: near 1 (or above, with GC and I/O threads) means one core saturated. */
const busy = (cpu0: number, ms: number, pods: number): string => {
  const cpu = cpuMs() - cpu0;
  return `CPU ${(cpu / ms).toFixed(2)} cores, ${(cpu / pods).toFixed(1)} ms CPU/pod`;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-controllers-"));
  const server = await startServer({
    dataDir: join(dir, "server"),
    port: 0,
    bindAddress: "127.0.0.1",
    leaderElect: false,
    metrics: false,
    logger: silentLogger,
    controllerManager: { controllers: ["deployment", "replicaset"], workers: WORKERS },
  });
  const client = createClient({ server: server.url, userAgent: "k8ts-bench" });
  const nodesClient = createClient({ server: server.url, userAgent: "k8ts-sim" });
  const sim = new HollowNodes({ client: nodesClient, count: NODES, capacity: { cpu: "64", memory: "256Gi", pods: "110" } });
  const ac = new AbortController();
  const simDone = sim.run(ac.signal);
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  const pods = client.resource<PodObject>(resources.pods);
  const total = DEPLOYMENTS * REPLICAS;
  const log = (msg: string): boolean => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

  let last = { m: new Map<string, number>(), cpu: cpuMs(), t: performance.now() };
  /** One line on where the pods are and how the queues fare since the last sample. */
  const sample = async (): Promise<string> => {
    const m = await scrape(server.url);
    const cpu = cpuMs();
    const t = performance.now();
    const c = { unbound: 0, bound: 0, notReady: 0, ready: 0, terminating: 0 };
    for (const p of (await pods.list(NS)).items) {
      const conds = (p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions;
      if (p.metadata?.deletionTimestamp) c.terminating++;
      else if (!p.spec?.nodeName) c.unbound++;
      else if (p.status?.phase !== "Running") c.bound++;
      else if (!conds?.some((x) => x.type === "Ready" && x.status === "True")) c.notReady++;
      else c.ready++;
    }
    const q = (name: string): string => {
      const d = (k: string): number => metric(m, k, { name }) - metric(last.m, k, { name });
      const n = d("workqueue_queue_duration_seconds_count");
      const wait = n ? ((d("workqueue_queue_duration_seconds_sum") / n) * 1000).toFixed(0) : "-";
      const wn = d("workqueue_work_duration_seconds_count");
      const work = wn ? ((d("workqueue_work_duration_seconds_sum") / wn) * 1000).toFixed(0) : "-";
      return `${name} depth ${metric(m, "workqueue_depth", { name })} syncs ${n} wait ${wait} ms work ${work} ms retries ${d("workqueue_retries_total")}`;
    };
    const writes = requestsBetween(last.m, m).filter(([k]) => !k.startsWith("GET"));
    const line =
      `pods unbound ${c.unbound} bound ${c.bound} running-not-ready ${c.notReady} ready ${c.ready} terminating ${c.terminating}; ` +
      `scheduler pending ${metric(m, "scheduler_pending_pods")}; ${q("deployment")}; ${q("replicasets")}; ` +
      `writes/s ${(writes.reduce((n, [, v]) => n + v, 0) / ((t - last.t) / 1000)).toFixed(0)}; CPU ${((cpu - last.cpu) / (t - last.t)).toFixed(2)}`;
    last = { m, cpu, t };
    return line;
  };

  /** Where the last phase stopped, when it ran out of its budget. */
  let stoppedAt: string | undefined;
  const waitAll = async (what: string): Promise<number> => {
    const t0 = performance.now();
    for (;;) {
      const items = (await deploys.list(NS)).items;
      const n = items.filter(done).length;
      if (n === DEPLOYMENTS) return performance.now() - t0;
      if (performance.now() - t0 > BUDGET_MS) {
        stoppedAt = `stopped after the ${BUDGET_MS / 1000} s budget with ${n}/${DEPLOYMENTS} deployments done`;
        return performance.now() - t0;
      }
      log(`${what}: ${n}/${DEPLOYMENTS} deployments done${SAMPLE ? `; ${await sample()}` : ""}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  /** Events in the benchmark's namespace by "component reason", counted since the previous call. */
  let seenEvents = new Map<string, number>();
  const eventReport = async (): Promise<string> => {
    const now = new Map<string, number>();
    for (const e of (await client.resource<{ reason?: string; count?: number; source?: { component?: string }; metadata?: object }>(resources.events).list(NS)).items) {
      const k = `${e.source?.component ?? "?"} ${e.reason ?? "?"}`;
      now.set(k, (now.get(k) ?? 0) + 1);
    }
    const diff = [...now].map(([k, v]) => [k, v - (seenEvents.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0);
    seenEvents = now;
    return diff
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v} (${(v / total).toFixed(2)}/pod)`)
      .join(", ");
  };
  /** The phase's API requests (not watches or lists) with their count per pod. */
  const requestReport = (a: Map<string, number>, b: Map<string, number>): string =>
    requestsBetween(a, b)
      .map(([k, v]) => `${k} ${v} (${(v / total).toFixed(2)}/pod)`)
      .join(", ");

  try {
    for (const ns of [NS, FLOOR_NS]) await client.resource(resources.namespaces).create(undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (;;) {
      const ready = (await client.resource(resources.nodes).list(undefined)).items.filter((n) => (n as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      if (ready.length === NODES) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`${NODES} hollow nodes ready`);

    // The floor: the same number of pods created straight through the API (bound to a node no agent runs, so
    // nothing else acts on them), with the same client parallelism the benchmark uses for Deployments.
    const cpuFloor = cpuMs();
    const floorMs = await pool(total, PARALLEL, (i) =>
      pods.create(FLOOR_NS, { apiVersion: "v1", kind: "Pod", metadata: { name: `p${i}` }, spec: { nodeName: "floor-node", containers: [{ name: "app", image: "img:a" }] } } as PodObject),
    );
    const floorCpu = busy(cpuFloor, floorMs, total);
    log(`floor: ${total} pods in ${secs(floorMs)}`);
    // On a loaded machine deleting thousands of pods can outlast the client's timeout: then wait for them to go.
    await pods.deleteCollection(FLOOR_NS, { gracePeriodSeconds: 0 }).catch((err: unknown) => log(`floor cleanup: ${String(err)}; waiting for the pods to go`));
    while ((await pods.list(FLOOR_NS)).items.length) await new Promise((r) => setTimeout(r, POLL_MS));

    const m0 = await scrape(server.url);
    last = { m: m0, cpu: cpuMs(), t: performance.now() };
    const cpuCreate = cpuMs();
    const t0 = performance.now();
    const createMs = await pool(DEPLOYMENTS, PARALLEL, (i) => deploys.create(NS, deployment(i, "img:a")));
    await waitAll("create");
    const availableMs = performance.now() - t0;
    const createCpu = busy(cpuCreate, availableMs, total);
    log(`available: ${secs(availableMs)}`);
    const m1 = await scrape(server.url);
    log(`requests to Available: ${requestReport(m0, m1)}`);
    log(`events to Available: ${await eventReport()}`);

    const podsPerS = (ms: number): string => `${(total / (ms / 1000)).toFixed(0)} pods/s`;
    const out = [
      `controllers: ${DEPLOYMENTS} Deployments x ${REPLICAS} replicas = ${total} pods, ${NODES} hollow nodes, ${WORKERS ?? "default"} workers per controller, in one process (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})`,
      `  floor: ${total} pods created through the API (${PARALLEL} in flight): ${secs(floorMs)} (${podsPerS(floorMs)}, ${floorCpu})`,
      `  create ${DEPLOYMENTS} Deployments (${PARALLEL} in flight): ${secs(createMs)}; all Available: ${secs(availableMs)} (${podsPerS(availableMs)}, ${createCpu}), ${(availableMs / floorMs).toFixed(2)}x the floor${stoppedAt ? ` (${stoppedAt})` : ""}`,
    ];
    // A rollout from a half-created state would measure something else: it runs only after all were Available.
    if (!stoppedAt) {
      const cpuRollout = cpuMs();
      const t1 = performance.now();
      await pool(DEPLOYMENTS, PARALLEL, (i) => deploys.patch(NS, `d${i}`, "strategic", { spec: { template: { spec: { containers: [{ name: "app", image: "img:b" }] } } } }));
      await waitAll("rollout");
      const rolloutMs = performance.now() - t1;
      const rolloutCpu = busy(cpuRollout, rolloutMs, total);
      log(`rolled out: ${secs(rolloutMs)}`);
      log(`requests of the rolling update: ${requestReport(m1, await scrape(server.url))}`);
      log(`events of the rolling update: ${await eventReport()}`);
      out.push(`  rolling update of all (image a -> b, ${total} new pods, ${total} deleted): ${secs(rolloutMs)} (${podsPerS(rolloutMs)}, ${rolloutCpu}), ${(rolloutMs / floorMs).toFixed(2)}x the floor${stoppedAt ? ` (${stoppedAt})` : ""}`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    ac.abort();
    await simDone;
    nodesClient.close();
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

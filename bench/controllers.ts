// Controllers benchmark (issue 4): the API server, scheduler and controller manager (Deployment and ReplicaSet
// controllers) in this process, with hollow nodes (simulated kubelets that run pods to Running/Ready). Measures the
// time until N Deployments of R replicas are all Available, then the time of a rolling update of all of them (new
// image); beside it, in the same run, the floor: the same N*R pods created straight through the API.
//   node --import tsx bench/controllers.ts [--deployments=1000] [--replicas=10] [--nodes=100] [--parallel=20]
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

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** This process's CPU time (user + system) in ms: everything measured runs in it, on one JavaScript thread. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU time over wall time since a start: near 1 (or above, with GC and I/O threads) means one core saturated. */
const busy = (cpu0: number, ms: number): string => `CPU ${((cpuMs() - cpu0) / ms).toFixed(2)} cores`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-controllers-"));
  const server = await startServer({
    dataDir: join(dir, "server"),
    port: 0,
    bindAddress: "127.0.0.1",
    leaderElect: false,
    metrics: false,
    logger: silentLogger,
    controllerManager: { controllers: ["deployment", "replicaset"] },
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

  const waitAll = async (what: string): Promise<number> => {
    const t0 = performance.now();
    for (;;) {
      const items = (await deploys.list(NS)).items;
      const n = items.filter(done).length;
      if (n === DEPLOYMENTS) return performance.now() - t0;
      log(`${what}: ${n}/${DEPLOYMENTS} deployments done`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };

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
    const floorCpu = busy(cpuFloor, floorMs);
    log(`floor: ${total} pods in ${secs(floorMs)}`);
    await pods.deleteCollection(FLOOR_NS, { gracePeriodSeconds: 0 });

    const cpuCreate = cpuMs();
    const t0 = performance.now();
    const createMs = await pool(DEPLOYMENTS, PARALLEL, (i) => deploys.create(NS, deployment(i, "img:a")));
    await waitAll("create");
    const availableMs = performance.now() - t0;
    const createCpu = busy(cpuCreate, availableMs);
    log(`available: ${secs(availableMs)}`);

    const cpuRollout = cpuMs();
    const t1 = performance.now();
    await pool(DEPLOYMENTS, PARALLEL, (i) => deploys.patch(NS, `d${i}`, "strategic", { spec: { template: { spec: { containers: [{ name: "app", image: "img:b" }] } } } }));
    await waitAll("rollout");
    const rolloutMs = performance.now() - t1;
    const rolloutCpu = busy(cpuRollout, rolloutMs);
    log(`rolled out: ${secs(rolloutMs)}`);

    const podsPerS = (ms: number): string => `${(total / (ms / 1000)).toFixed(0)} pods/s`;
    process.stdout.write(
      `controllers: ${DEPLOYMENTS} Deployments x ${REPLICAS} replicas = ${total} pods, ${NODES} hollow nodes, in one process (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})\n` +
        `  floor: ${total} pods created through the API (${PARALLEL} in flight): ${secs(floorMs)} (${podsPerS(floorMs)}, ${floorCpu})\n` +
        `  create ${DEPLOYMENTS} Deployments (${PARALLEL} in flight): ${secs(createMs)}; all Available: ${secs(availableMs)} (${podsPerS(availableMs)}, ${createCpu}), ${(availableMs / floorMs).toFixed(2)}x the floor\n` +
        `  rolling update of all (image a -> b, ${total} new pods, ${total} deleted): ${secs(rolloutMs)} (${podsPerS(rolloutMs)}, ${rolloutCpu}), ${(rolloutMs / floorMs).toFixed(2)}x the floor\n`,
    );
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

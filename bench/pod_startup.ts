// Pod startup benchmark (issue 6): latency from the API create call to the pod seen Running by a watch, for pods
// on one real node (containerd inside a network namespace this benchmark creates, the node agent with the CRI
// runtime, the k8ts API server in this process), one pod at a time and 10 at a time; beside the raw CRI floor measured
// in the same run: RunPodSandbox + CreateContainer + StartContainer of the same image straight to containerd.
//   node --import tsx bench/pod_startup.ts [--pods=30] [--parallel=10]
import { cpus, totalmem } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pod } from "kubernetes-types/core/v1.js";
import { startServer } from "../src/daemons/server.js";
import { fromKubeconfig } from "../src/client/kubeconfig.js";
import { resources } from "../src/client/resources.js";
import type { KubeObject } from "../src/api/object.js";
import { Kubelet } from "../src/kubelet/kubelet.js";
import { startTestNode } from "../src/kubelet/runtime/cri/testing.js";
import { wireContainerConfig, wireSandboxConfig } from "../src/kubelet/runtime/cri/cri_convert.js";
import type { PodSandboxConfig } from "../src/kubelet/runtime/types.js";
import { silentLogger } from "../src/util/log.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const PODS = Number(args.get("pods") ?? 30);
const PARALLEL = Number(args.get("parallel") ?? 10);
const NODE = "bench-node";
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

type PodObject = Pod & KubeObject;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Runs n jobs with at most `width` in flight; answers each job's latency in ms and the wall time. */
async function pool(n: number, width: number, job: (i: number) => Promise<number>): Promise<{ lat: number[]; wallMs: number }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) lat.push(await job(next++));
    }),
  );
  return { lat, wallMs: performance.now() - t0 };
}

const fmt = (r: { lat: number[]; wallMs: number }): string => `p50 ${quantile(r.lat, 0.5).toFixed(0)} ms, p99 ${quantile(r.lat, 0.99).toFixed(0)} ms, wall ${(r.wallMs / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-pods-"));
  const server = await startServer({ dataDir: join(dir, "server"), port: 0, bindAddress: "127.0.0.1", controllers: false, scheduler: false, logger: silentLogger });
  const node = await startTestNode("bench", { podCIDR: "10.88.12.0/24" });
  const client = fromKubeconfig(join(dir, "server", "kubeconfig.yaml"));
  const pods = client.resource<PodObject>(resources.pods);
  const runtime = node.newRuntime();
  const kubelet = new Kubelet({ client, nodeName: NODE, runtime, node: { address: "10.88.12.1" }, log: silentLogger, recordEvents: false, workers: PARALLEL });
  const ac = new AbortController();
  const agentDone = kubelet.run(ac.signal);

  // One watch sees every pod; a create waits for its pod's first Running event.
  const waiters = new Map<string, () => void>();
  const watch = pods.watch("default", {}, {
    onEvent: (ev) => {
      const p = ev.object as PodObject;
      if (p.status?.phase === "Running") waiters.get(p.metadata?.name ?? "")?.();
    },
  });

  let seq = 0;
  const startPod = async (): Promise<number> => {
    const name = `p${++seq}`;
    const running = new Promise<void>((resolve) => waiters.set(name, resolve));
    const t0 = performance.now();
    await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, containers: [{ name: "app", image: "busybox", command: COMMAND }] } } as PodObject);
    await running;
    waiters.delete(name);
    return performance.now() - t0;
  };
  const clearPods = async (): Promise<void> => {
    await pods.deleteCollection("default", {});
    for (let i = 0; i < 600 && ((await pods.list("default")).items.length > 0 || (await node.runtime.listPodSandbox()).length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  };

  // The raw floor: the same image and command straight over CRI, no API server, no agent.
  let rawSeq = 0;
  const rawPod = async (): Promise<number> => {
    const n = ++rawSeq;
    const uid = `0bench00-0000-4000-8000-${String(n).padStart(12, "0")}`;
    const cfg: PodSandboxConfig = {
      metadata: { name: `raw-${n}`, namespace: "default", uid, attempt: 0 },
      hostname: `raw-${n}`,
      labels: { "io.kubernetes.pod.uid": uid },
      annotations: {},
      linux: { cgroupParent: `/kubepods/pod${uid}` },
    };
    const c = node.runtime.client;
    const t0 = performance.now();
    const sb = await c.call<{ pod_sandbox_id: string }>("RuntimeService", "RunPodSandbox", { config: wireSandboxConfig(cfg) });
    const ctr = await c.call<{ container_id: string }>("RuntimeService", "CreateContainer", {
      pod_sandbox_id: sb.pod_sandbox_id,
      config: wireContainerConfig({ metadata: { name: "app", attempt: 0 }, image: "busybox", command: COMMAND, labels: {}, annotations: {} }, cfg),
      sandbox_config: wireSandboxConfig(cfg),
    });
    await c.call("RuntimeService", "StartContainer", { container_id: ctr.container_id });
    return performance.now() - t0;
  };
  const clearRaw = async (): Promise<void> => {
    for (const sb of await node.runtime.listPodSandbox()) await node.runtime.removePodSandbox(sb.id);
  };

  try {
    // Warm-up: one pod each way, so first-use costs (snapshot unpack, CNI bridge creation) stay out of the figures.
    await rawPod();
    await clearRaw();
    await startPod();
    await clearPods();

    const raw1 = await pool(PODS, 1, rawPod);
    await clearRaw();
    const api1 = await pool(PODS, 1, startPod);
    await clearPods();
    const rawN = await pool(PODS, PARALLEL, rawPod);
    await clearRaw();
    const apiN = await pool(PODS, PARALLEL, startPod);
    await clearPods();

    process.stdout.write(`pod startup, ${PODS} pods on one node, image present (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})\n`);
    process.stdout.write(`  one at a time   k8ts: ${fmt(api1)} | raw CRI: ${fmt(raw1)} | ratio p50 ${(quantile(api1.lat, 0.5) / quantile(raw1.lat, 0.5)).toFixed(2)}x, p99 ${(quantile(api1.lat, 0.99) / quantile(raw1.lat, 0.99)).toFixed(2)}x\n`);
    process.stdout.write(`  ${PARALLEL} in parallel  k8ts: ${fmt(apiN)} | raw CRI: ${fmt(rawN)} | ratio p50 ${(quantile(apiN.lat, 0.5) / quantile(rawN.lat, 0.5)).toFixed(2)}x, p99 ${(quantile(apiN.lat, 0.99) / quantile(rawN.lat, 0.99)).toFixed(2)}x, wall ${(apiN.wallMs / rawN.wallMs).toFixed(2)}x\n`);
  } finally {
    watch.stop();
    ac.abort();
    await agentDone;
    runtime.close();
    await node.destroy();
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

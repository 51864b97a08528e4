// Cluster network benchmark (issue 7), on a real local cluster (`k8ts cluster up --runtime containerd`):
//  1. time for `cluster up --nodes N` until every node is Ready and cluster DNS answers at 10.96.0.10 (from a node
//     namespace), fresh each round (target < 10 s for 3 nodes; kind needs 12.5-17 s for one node with Docker);
//  2. HTTP request latency p50/p99 through a ClusterIP beside the same requests straight to the pod IP, interleaved in
//     the same run (ratio; target <= 1.2x): busybox httpd on node-1, the client a node process in node-0's network
//     namespace, one new TCP connection per request (kube-proxy's DNAT applies per connection);
//  3. DNS queries per second against 10.96.0.10 from node-0's namespace, beside the same load sent straight to the DNS
//     pods' IPs (spread over the same sockets), alternating.
// Every address is inside namespaces the cluster creates. Needs root and the containerd prerequisites.
//   node --import tsx bench/network.ts [--nodes=3] [--rounds=3] [--requests=1000] [--dns-seconds=5] [--concurrency=64] [--sockets=64] [--k8ts=tsx|dist]
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../src/api/object.js";
import { createClient } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";
import { CLUSTER_DNS_IP } from "../src/cluster/addons.js";
import { LocalClusters } from "../src/cluster/cluster.js";
import { busyboxPod, containerdSkipReason, until, type PodObject } from "../src/cluster/e2e_support.js";
import { serverUrl } from "../src/cluster/node_ops.js";
import { StateStore } from "../src/cluster/state_store.js";
import { REPO_ROOT, tsxK8ts } from "../src/cluster/testing.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const NODES = Number(args.get("nodes") ?? 3);
const ROUNDS = Number(args.get("rounds") ?? 3);
const REQUESTS = Number(args.get("requests") ?? 1000);
const DNS_SECONDS = Number(args.get("dns-seconds") ?? 5);
const CONCURRENCY = Number(args.get("concurrency") ?? 64);
const SOCKETS = Number(args.get("sockets") ?? 64);
const K8TS = args.get("k8ts") ?? "tsx";
const CHILD = fileURLToPath(new URL("./network_child.ts", import.meta.url));
const TARGET_UP_S = 10;

type Endpoints = KubeObject & { subsets?: Array<{ addresses?: Array<{ ip: string }> }> };

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs the client in a node's network namespace; answers its JSON line. */
function child<T>(netns: string, childArgs: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn("nsenter", [`--net=/var/run/netns/${netns}`, "--", process.execPath, "--import", "tsx", CHILD, ...childArgs], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as T) : reject(new Error(`client exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const skip = containerdSkipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const k8ts = K8TS === "dist" ? [process.execPath, join(REPO_ROOT, "bin", "k8ts.js")] : tsxK8ts();
  if (K8TS === "dist" && !existsSync(join(REPO_ROOT, "dist", "cli", "main.js"))) throw new Error("--k8ts=dist needs npm run build first");
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")} (shared with other work)`);
  console.log(`k8ts run as: ${K8TS === "dist" ? "node bin/k8ts.js (dist)" : "node --import tsx src/cli/main.ts (source)"}`);
  const root = await mkdtemp(join(tmpdir(), "k8ts-bench-net-"));
  const name = `bn${process.pid % 100000}`;
  const t0 = { v: 0 };
  // When each up saw every node Ready and the pod network converged: up without the wait for DNS pods.
  const converged: number[] = [];
  const clusters = new LocalClusters({
    store: new StateStore(root),
    k8ts,
    cwd: REPO_ROOT,
    mergeKubeconfig: null,
    progress: (l) => {
      if (l === "pod network converged") converged.push((performance.now() - t0.v) / 1000);
      console.log(`  [${((performance.now() - t0.v) / 1000).toFixed(1)} s] ${l}`);
    },
  });
  try {
    // 1. cluster up, fresh each round (down in between; images stay cached, as after a first up).
    const ups: number[] = [];
    let rec = undefined as Awaited<ReturnType<LocalClusters["up"]>> | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      if (rec) await clusters.down(name);
      console.log(`round ${r + 1}: cluster up --nodes ${NODES}`);
      t0.v = performance.now();
      rec = await clusters.up({ name, nodes: NODES, runtime: "containerd" });
      ups.push((performance.now() - t0.v) / 1000);
      console.log(`round ${r + 1}: ${ups[r]!.toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`);
    }
    rec = rec!;
    const client = createClient({ server: serverUrl(rec) });
    try {
      const pods = client.resource<PodObject>(resources.pods);
      const src = rec.nodes[0]!;
      const dstNode = rec.nodes[Math.min(1, rec.nodes.length - 1)]!.name;

      // 2. ClusterIP vs pod IP.
      await pods.create("default", busyboxPod("web", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www", { node: dstNode, labels: { app: "web" } }));
      await client.resource(resources.services).create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] } } as KubeObject);
      const podIP = await until("web pod running", async () => {
        const p = await pods.get("default", "web");
        return p.status?.phase === "Running" && p.status.podIP ? p.status.podIP : undefined;
      });
      const svc = await client.resource<KubeObject & { spec?: { clusterIP?: string } }>(resources.services).get("default", "web");
      await until("web endpoints", async () => ((await client.resource<Endpoints>(resources.endpoints).get("default", "web")).subsets?.[0]?.addresses?.length ? true : undefined));
      console.log(`latency: ${REQUESTS} GETs each from ${src.name}'s namespace to web on ${dstNode}: pod ${podIP}:8080 and ClusterIP ${svc.spec!.clusterIP}:80, interleaved`);
      const lat = await child<{ direct: number[]; service: number[]; errors: number }>(src.netns, ["latency", `${podIP}:8080`, `${svc.spec!.clusterIP}:80`, String(REQUESTS)]);

      // 3. DNS q/s through the Service and straight to the pods' IPs.
      // Every DNS pod ready first, so the Service and the direct runs reach the same set of pods.
      const replicas = (await client.resource<KubeObject & { spec?: { replicas?: number } }>(resources.deployments).get("kube-system", "coredns")).spec?.replicas ?? 1;
      const dnsIPs = await until("every DNS pod ready", async () => {
        const ep = await client.resource<Endpoints>(resources.endpoints).get("kube-system", "kube-dns");
        const ips = [...new Set((ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)))];
        return ips.length >= replicas ? ips : undefined;
      });
      const dnsPod = dnsIPs.join(",");
      type DnsRun = { answered: number; failed: number; seconds: number; qps: number; p50: number; p99: number };
      const runs: Array<[string, DnsRun]> = [];
      // A discarded warm-up (the pods' JIT, the first conntrack entries), then service/pod pairs in ABBA order so
      // a drift of the machine's load falls on both sides.
      await child<DnsRun>(src.netns, ["dns", CLUSTER_DNS_IP, "2", String(CONCURRENCY), String(SOCKETS)]);
      const order: Array<["service" | "pod", string]> = [["service", CLUSTER_DNS_IP], ["pod", dnsPod], ["pod", dnsPod], ["service", CLUSTER_DNS_IP], ["service", CLUSTER_DNS_IP], ["pod", dnsPod]];
      for (const [label, server] of order) {
        const r = await child<DnsRun>(src.netns, ["dns", server, String(DNS_SECONDS), String(CONCURRENCY), String(SOCKETS)]);
        console.log(`dns ${label} ${server}: ${r.qps.toFixed(0)} q/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.failed} failed`);
        runs.push([label, r]);
      }
      const dnsPods = (await pods.list("kube-system")).items.filter((p) => p.metadata?.labels?.["k8s-app"] === "kube-dns").map((p) => `${p.status?.podIP} on ${p.spec?.nodeName}`);

      console.log("\nresults");
      console.log(`cluster up --nodes ${NODES} (Ready + DNS answering): ${ups.map((s) => s.toFixed(2)).join(", ")} s; median ${median(ups).toFixed(2)} s = ${(median(ups) / TARGET_UP_S).toFixed(2)}x the ${TARGET_UP_S} s target`);
      const dnsWait = ups.map((u, i) => u - (converged[i] ?? u));
      console.log(`  of which after nodes Ready + network converged (DNS pods starting, Ready, endpoints, kube-proxy): ${dnsWait.map((s) => s.toFixed(2)).join(", ")} s; up / converged: ${median(ups.map((u, i) => u / (converged[i] ?? u))).toFixed(2)}x`);
      const row = (xs: number[]): string => `p50 ${quantile(xs, 0.5).toFixed(3)} ms, p99 ${quantile(xs, 0.99).toFixed(3)} ms`;
      console.log(`HTTP via pod IP:    ${row(lat.direct)} (${lat.direct.length} requests)`);
      console.log(`HTTP via ClusterIP: ${row(lat.service)} (${lat.service.length} requests, ${lat.errors} errors in all)`);
      console.log(`ClusterIP / pod IP: p50 ${(quantile(lat.service, 0.5) / quantile(lat.direct, 0.5)).toFixed(2)}x, p99 ${(quantile(lat.service, 0.99) / quantile(lat.direct, 0.99)).toFixed(2)}x (target <= 1.2x)`);
      const of = (label: string): DnsRun[] => runs.filter(([l]) => l === label).map(([, r]) => r);
      const svcRuns = of("service");
      const podRuns = of("pod");
      const pairRatios = svcRuns.map((r, i) => r.qps / podRuns[i]!.qps);
      console.log(`DNS (${CONCURRENCY} in flight over ${SOCKETS} UDP sockets, ${DNS_SECONDS} s runs, DNS pods: ${dnsPods.join(", ")}):`);
      console.log(`  via ${CLUSTER_DNS_IP}: ${svcRuns.map((r) => r.qps.toFixed(0)).join(", ")} q/s (p50 ${median(svcRuns.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(svcRuns.map((r) => r.p99)).toFixed(2)} ms)`);
      console.log(`  via the pod IPs ${dnsPod}: ${podRuns.map((r) => r.qps.toFixed(0)).join(", ")} q/s (p50 ${median(podRuns.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(podRuns.map((r) => r.p99)).toFixed(2)} ms)`);
      console.log(`  Service / pod q/s, run by run: ${pairRatios.map((x) => x.toFixed(2)).join(", ")}; median ${median(pairRatios).toFixed(2)}`);
    } finally {
      client.close();
    }
  } finally {
    if (existsSync(join(root, name))) await clusters.down(name).catch((err: unknown) => console.error("down:", err));
    await rm(root, { recursive: true, force: true });
  }
}

await main();

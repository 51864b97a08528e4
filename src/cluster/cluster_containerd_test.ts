// `k8ts cluster up --runtime containerd`: two real nodes, each a network namespace with its own containerd. Busybox
// pods on different nodes reach each other by pod IP across the VXLAN, a ClusterIP Service reaches them through
// kube-proxy, its name resolves through cluster DNS from a pod, and down leaves no namespace, link, process, mount,
// pod cgroup or file behind. The checks run inside pods (restartPolicy Never: Succeeded means the check passed).
// Needs root, containerd, runc, the CNI plugins and the image tools; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { LocalClusters } from "./cluster.js";
import { serverUrl } from "./node_ops.js";
import { clusterPids } from "./processes.js";
import { StateStore } from "./state_store.js";
import { REPO_ROOT, tsxK8ts } from "./testing.js";

type PodObject = Pod & KubeObject;

const NEEDED = ["/usr/bin/containerd", "/usr/sbin/runc", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap", "/usr/bin/ctr", "/usr/sbin/iptables-restore", "/usr/bin/nsenter"];
function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root";
  const missing = NEEDED.filter((b) => !existsSync(b));
  if (missing.length) return `containerd runtime prerequisites missing: ${missing.join(", ")} (scripts/install_deps.sh)`;
  if (!existsSync(join(REPO_ROOT, "src/kubelet/containerd/node_runtime.ts"))) return "the containerd runtime has not landed (src/kubelet/containerd)";
  return false;
}
const skip = skipReason();

function busybox(name: string, node: string, command: string, opts: { labels?: Record<string, string>; restart?: "Always" | "Never" } = {}): PodObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: opts.labels },
    spec: {
      nodeName: node,
      restartPolicy: opts.restart ?? "Always",
      containers: [{ name: "c", image: IMAGE_TAGS.busybox, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", command] }],
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a check pod to completion; resolves with its phase (Succeeded or Failed). */
async function check(client: Client, pod: PodObject): Promise<string> {
  const pods = client.resource<PodObject>(resources.pods);
  const started = Date.now();
  await pods.create("default", pod);
  const phase = await until(`pod ${pod.metadata?.name} to finish`, async () => {
    const p = await pods.get("default", pod.metadata!.name!);
    return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p.status.phase : undefined;
  });
  log(`${pod.metadata?.name}: ${phase} in ${Date.now() - started} ms`);
  return phase;
}

const t0 = Date.now();
function log(line: string): void {
  process.stderr.write(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);
}

test("cluster with containerd nodes: pod to pod across the VXLAN, ClusterIP via kube-proxy, DNS from a pod, clean down", { skip, timeout: 600_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), "k8ts-clusters-"));
  const name = `ct${process.pid % 100000}`;
  const clusters = new LocalClusters({ store: new StateStore(root), k8ts: tsxK8ts(), cwd: REPO_ROOT, mergeKubeconfig: null, timeoutMs: 240_000 });
  t.after(async () => {
    if (existsSync(join(root, name))) await clusters.down(name).catch((err: unknown) => console.error("cleanup:", err));
    await rm(root, { recursive: true, force: true });
  });
  const rec = await clusters.up({ name, nodes: 2, runtime: "containerd" });
  log("cluster up");
  const client = createClient({ server: serverUrl(rec) });
  t.after(() => client.close());
  const pods = client.resource<PodObject>(resources.pods);
  const httpd = (n: number): PodObject => busybox(`web-${n}`, `node-${n}`, `mkdir -p /www && echo hello-from-web-${n} > /www/index.html && httpd -f -p 8080 -h /www`, { labels: { app: "web" } });
  await pods.create("default", httpd(0));
  await pods.create("default", httpd(1));
  await client.resource(resources.services).create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] } } as KubeObject);
  const ips = await until("both web pods running with IPs", async () => {
    const list = await Promise.all([0, 1].map((n) => pods.get("default", `web-${n}`)));
    return list.every((p) => p.status?.phase === "Running" && p.status.podIP) ? list.map((p) => p.status!.podIP!) : undefined;
  });
  log(`web pods running: ${ips.join(", ")}`);
  assert.notEqual(ips[0]!.split(".")[2], ips[1]!.split(".")[2], `pods on different node subnets: ${ips.join(", ")}`);

  // Pod to pod across nodes, both directions, by pod IP (busybox-static's wget -T segfaults: timeout 3 instead).
  assert.equal(await check(client, busybox("probe-ip-0", "node-0", `timeout 3 wget -qO- http://${ips[1]}:8080/ | grep -q hello-from-web-1`, { restart: "Never" })), "Succeeded");
  assert.equal(await check(client, busybox("probe-ip-1", "node-1", `timeout 3 wget -qO- http://${ips[0]}:8080/ | grep -q hello-from-web-0`, { restart: "Never" })), "Succeeded");
  // The ClusterIP reaches both endpoints (kube-proxy picks at random: 20 requests miss one with p = 2^-19).
  const svc = await client.resource<KubeObject & { spec?: { clusterIP?: string } }>(resources.services).get("default", "web");
  const spread = `for i in $(seq 20); do timeout 3 wget -qO- http://${svc.spec!.clusterIP}/ || exit 1; done > /tmp/out; grep -q web-0 /tmp/out && grep -q web-1 /tmp/out`;
  // Endpoints follow the pods within moments; a failed first attempt is retried with a new pod.
  let phase = "";
  for (let i = 0; i < 5 && phase !== "Succeeded"; i++) phase = await check(client, busybox(`probe-svc-${i}`, "node-0", spread, { restart: "Never" }));
  assert.equal(phase, "Succeeded", "ClusterIP reached both pods");
  // The Service name through cluster DNS (the pod's resolv.conf points at 10.96.0.10, search paths included).
  assert.equal(await check(client, busybox("probe-dns", "node-1", `nslookup web.default.svc.cluster.local | grep -q ${svc.spec!.clusterIP} && timeout 3 wget -qO- http://web/ | grep -q hello-from`, { restart: "Never" })), "Succeeded");

  const dir = clusters.store.dir(name);
  const uids = (await pods.list("default")).items.map((p) => p.metadata!.uid!);
  assert.ok(uids.length >= 6);
  await clusters.down(name);
  log("cluster down");
  assert.deepEqual(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").filter((l) => l.startsWith(`k8ts-${name}-`)), []);
  assert.doesNotMatch(execFileSync("ip", ["link", "show"], { encoding: "utf8" }), new RegExp(`k8ts-${name}|k8ts${rec.subnetIndex}n`));
  assert.deepEqual(clusterPids(dir), []);
  assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(dir), "no mounts under the cluster directory");
  assert.ok(!existsSync(dir));
  // Other tests on this machine may be running pods right now: only this cluster's pods count.
  const hierarchies = readdirSync("/sys/fs/cgroup").map((h) => join("/sys/fs/cgroup", h));
  assert.deepEqual(uids.flatMap((u) => hierarchies.map((h) => join(h, "kubepods", `pod${u}`))).filter((p) => existsSync(p)), []);
});

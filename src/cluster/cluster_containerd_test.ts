// `k8ts cluster up --runtime containerd`: two real nodes, each a network namespace with its own containerd. Busybox
// pods on different nodes reach each other by pod IP across the VXLAN, a ClusterIP Service reaches them through
// kube-proxy, its name resolves through cluster DNS from a pod, the cluster comes back with its objects after every
// process of it is killed (up again with the same name), and down leaves no namespace, link, process, mount,
// pod cgroup or file behind. The checks run inside pods (restartPolicy Never: Succeeded means the check passed).
// Needs root, containerd, runc, the CNI plugins and the image tools; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until, type PodObject } from "./e2e_support.js";
import { clusterPids, killClusterProcesses } from "./processes.js";

const skip = containerdSkipReason();

test("cluster with containerd nodes: pod to pod across the VXLAN, ClusterIP via kube-proxy, DNS from a pod, back after every process is killed, clean down", { skip, timeout: 600_000 }, async (t) => {
  const { name, rec, clusters, client, check, down } = await startTestCluster(t, { prefix: "ct", nodes: 2 });
  const pods = client.resource<PodObject>(resources.pods);
  const httpd = (n: number): PodObject => busyboxPod(`web-${n}`, `mkdir -p /www && echo hello-from-web-${n} > /www/index.html && httpd -f -p 8080 -h /www`, { node: `node-${n}`, labels: { app: "web" } });
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
  assert.equal(await check(busyboxPod("probe-ip-0", `timeout 3 wget -qO- http://${ips[1]}:8080/ | grep -q hello-from-web-1`, { node: "node-0", restart: "Never" })), "Succeeded");
  assert.equal(await check(busyboxPod("probe-ip-1", `timeout 3 wget -qO- http://${ips[0]}:8080/ | grep -q hello-from-web-0`, { node: "node-1", restart: "Never" })), "Succeeded");
  // The ClusterIP reaches both endpoints (kube-proxy picks at random: 20 requests miss one with p = 2^-19).
  const svc = await client.resource<KubeObject & { spec?: { clusterIP?: string } }>(resources.services).get("default", "web");
  const spread = `for i in $(seq 20); do timeout 3 wget -qO- http://${svc.spec!.clusterIP}/ || exit 1; done > /tmp/out; grep -q web-0 /tmp/out && grep -q web-1 /tmp/out`;
  // Endpoints follow the pods within moments; a failed first attempt is retried with a new pod.
  let phase = "";
  for (let i = 0; i < 5 && phase !== "Succeeded"; i++) phase = await check(busyboxPod(`probe-svc-${i}`, spread, { node: "node-0", restart: "Never" }));
  assert.equal(phase, "Succeeded", "ClusterIP reached both pods");
  // The Service name through cluster DNS (the pod's resolv.conf points at 10.96.0.10, search paths included).
  assert.equal(await check(busyboxPod("probe-dns", `nslookup web.default.svc.cluster.local | grep -q ${svc.spec!.clusterIP} && timeout 3 wget -qO- http://web/ | grep -q hello-from`, { node: "node-1", restart: "Never" })), "Succeeded");

  // Cluster DNS runs as pods: the kube-dns Service's endpoints are the coredns pods' IPs.
  const dnsPods = (await pods.list("kube-system")).items.filter((p) => p.metadata?.labels?.["k8s-app"] === "kube-dns");
  assert.ok(dnsPods.length >= 1, "coredns pods exist");
  const dnsEps = await client.resource<KubeObject & { subsets?: Array<{ addresses?: Array<{ ip: string }> }> }>(resources.endpoints).get("kube-system", "kube-dns");
  const dnsIps = (dnsEps.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
  assert.ok(dnsIps.length >= 1 && dnsIps.every((ip) => dnsPods.some((p) => p.status?.podIP === ip)), `kube-dns endpoints ${dnsIps.join(",")} are coredns pods`);
  assert.equal((await clusters.status(name)).dns.running, true);

  // A machine-level restart of the processes: kill every process of the cluster (server, agents, containerds, the
  // registry), run up again with the same name; the objects are back and DNS and Services work again from a pod.
  const dir = clusters.store.dir(name);
  killClusterProcesses(dir);
  await until("every process of the cluster gone", async () => (clusterPids(dir).length === 0 ? true : undefined), 60_000);
  const restartedAt = Date.now();
  await clusters.up({ name });
  log(`cluster up again after the kill in ${Date.now() - restartedAt} ms`);
  assert.deepEqual((await pods.list("default")).items.filter((p) => p.metadata?.name?.startsWith("web-")).map((p) => p.metadata?.name).sort(), ["web-0", "web-1"]);
  assert.equal((await client.resource<KubeObject & { spec?: { clusterIP?: string } }>(resources.services).get("default", "web")).spec?.clusterIP, svc.spec!.clusterIP);
  await until("both web pods running again", async () => {
    const list = await Promise.all([0, 1].map((n) => pods.get("default", `web-${n}`)));
    return list.every((p) => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? true : undefined;
  });
  phase = "";
  for (let i = 0; i < 5 && phase !== "Succeeded"; i++) phase = await check(busyboxPod(`probe-after-restart-${i}`, `nslookup web.default.svc.cluster.local | grep -q ${svc.spec!.clusterIP} && timeout 3 wget -qO- http://web/ | grep -q hello-from`, { node: "node-0", restart: "Never" }));
  assert.equal(phase, "Succeeded", "DNS and the ClusterIP work after the restart");

  const uids = (await pods.list("default")).items.map((p) => p.metadata!.uid!);
  assert.ok(uids.length >= 6);
  uids.push(...(await pods.list("kube-system")).items.map((p) => p.metadata!.uid!));
  await down();
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

// `k8ts cluster` with hollow nodes (--runtime simulated): real namespaces, veths, VXLAN devices, processes and
// datastore, simulated pods. Up with 3 nodes, add and remove a node, kill every process and come back with the same
// objects, and down leaving nothing behind. Needs root and iproute2; skipped otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { leaseOf } from "../network/annotations.js";
import { LocalClusters } from "./cluster.js";
import { serverUrl } from "./node_ops.js";
import { clusterPids, killClusterProcesses } from "./processes.js";
import { StateStore } from "./state_store.js";
import { REPO_ROOT, tsxK8ts } from "./testing.js";

type NodeObject = Node & KubeObject;

const skip = process.getuid?.() !== 0 ? "needs root" : !existsSync("/usr/sbin/ip") ? "iproute2 not installed" : false;

function netnsList(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").map((l) => l.split(" ")[0]!).filter(Boolean);
}

function links(): string[] {
  return (JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as Array<{ ifname: string }>).map((l) => l.ifname);
}

test("cluster with simulated nodes: up, add-node, remove-node, restart after a kill, down", { skip, timeout: 600_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), "k8ts-clusters-"));
  const merged = join(root, "merged-kubeconfig");
  const name = `st${process.pid % 100000}`;
  const lines: string[] = [];
  const clusters = new LocalClusters({ store: new StateStore(root), k8ts: tsxK8ts(), cwd: REPO_ROOT, mergeKubeconfig: merged, progress: (l) => lines.push(l), timeoutMs: 240_000 });
  t.after(async () => {
    // Whatever happened above, nothing may stay behind.
    if (existsSync(join(root, name))) await clusters.down(name).catch((err: unknown) => console.error("cleanup:", err));
    await rm(root, { recursive: true, force: true });
  });

  let rec = await clusters.up({ name, nodes: 3, runtime: "simulated" });
  assert.ok(lines.some((l) => l.includes("is up")), lines.join("\n"));
  const client = createClient({ server: serverUrl(rec) });
  t.after(() => client.close());
  const nodes = client.resource<NodeObject>(resources.nodes);
  const list = (await nodes.list(undefined)).items;
  assert.deepEqual(list.map((n) => n.metadata?.name).sort(), ["node-0", "node-1", "node-2"]);
  const cidrs = list.map((n) => n.spec?.podCIDR);
  assert.equal(new Set(cidrs).size, 3, `distinct pod CIDRs: ${cidrs.join(", ")}`);
  for (const n of list) {
    assert.ok(n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"), `${n.metadata?.name} Ready`);
    const lease = leaseOf(n);
    assert.ok(lease, `${n.metadata?.name} has VXLAN annotations`);
    assert.equal(lease.publicIP, n.status?.addresses?.find((a) => a.type === "InternalIP")?.address);
  }
  // Each node routes the other two nodes' pod subnets over flannel.1.
  const routes0 = execFileSync("ip", ["-n", rec.nodes[0]!.netns, "route", "show", "dev", "flannel.1"], { encoding: "utf8" });
  for (const n of list.filter((n) => n.metadata?.name !== "node-0")) assert.match(routes0, new RegExp(n.spec!.podCIDR!.replace(/\./g, "\\.")));
  assert.match(readFileSync(merged, "utf8"), new RegExp(`current-context: k8ts-${name}`));
  await client.resource(resources.configmaps).create("default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep-me" }, data: { a: "1" } } as KubeObject);

  // add-node, then remove-node: the other nodes' routes follow.
  const added = await clusters.addNode(name);
  assert.equal(added.name, "node-3");
  const n3 = await nodes.get(undefined, "node-3");
  assert.ok(leaseOf(n3));
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const end = Date.now() + 60_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const routesOf0 = (): string => execFileSync("ip", ["-n", rec.nodes[0]!.netns, "route", "show", "dev", "flannel.1"], { encoding: "utf8" });
  await until("node-0 routes to node-3's pods", () => routesOf0().includes(n3.spec!.podCIDR!.split("/")[0]!));
  await clusters.removeNode(name, "node-3");
  assert.ok(!netnsList().includes(added.netns));
  assert.ok(!links().includes(added.hostVeth));
  await assert.rejects(nodes.get(undefined, "node-3"), /not found/);
  await until("node-0 routes to node-3's pods gone", () => !routesOf0().includes(n3.spec!.podCIDR!.split("/")[0]!));

  // Kill every process of the cluster (server, DNS, agents), then bring it back with the same command.
  const dir = clusters.store.dir(name);
  killClusterProcesses(dir);
  await until("every process gone", () => clusterPids(dir).length === 0);
  rec = await clusters.up({ name });
  const again = createClient({ server: serverUrl(rec) });
  t.after(() => again.close());
  const cm = await again.resource<KubeObject & { data?: Record<string, string> }>(resources.configmaps).get("default", "keep-me");
  assert.deepEqual(cm.data, { a: "1" });
  const after = (await again.resource<NodeObject>(resources.nodes).list(undefined)).items;
  assert.deepEqual(after.map((n) => [n.metadata?.name, n.spec?.podCIDR]).sort(), list.map((n) => [n.metadata?.name, n.spec?.podCIDR]).sort());

  // down: no namespace, link, process, directory or kubeconfig entry of the cluster is left.
  const status = await clusters.status(name);
  assert.ok(status.server.running && status.nodes.every((n) => n.agentRunning && n.ready));
  await clusters.down(name);
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`k8ts-${name}-`)), []);
  assert.deepEqual(links().filter((l) => l === rec.bridge || l.startsWith(`k8ts${rec.subnetIndex}n`)), []);
  assert.deepEqual(clusterPids(dir), []);
  assert.ok(!existsSync(dir));
  assert.doesNotMatch(readFileSync(merged, "utf8"), new RegExp(`k8ts-${name}`));
});

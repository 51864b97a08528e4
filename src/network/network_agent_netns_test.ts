// Two network agents in two network namespaces joined by a veth (the underlay), against a real API server with the
// node IPAM controller: each publishes its VTEP, each gets a route/neighbour/FDB entry for the other, the flannel.1
// addresses reach each other across the VXLAN, and a deleted node's entries go away. Needs root, ip, bridge,
// iptables and busybox (ping); skipped otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startServer } from "../daemons/server.js";
import { silentLogger } from "../util/log.js";
import { BACKEND_DATA, leaseOf, PUBLIC_IP } from "./annotations.js";
import { execRunner } from "./exec.js";
import { masqueradeRules } from "./masquerade.js";
import { NetworkAgent } from "./network_agent.js";
import { podnetConflist } from "./cni_config.js";

type NodeObject = Node & KubeObject;

const missing = process.getuid?.() !== 0 ? "needs root" : ["/usr/sbin/ip", "/usr/sbin/bridge", "/usr/sbin/iptables-restore", "/usr/bin/busybox"].find((b) => !existsSync(b));
const skip = missing ? (missing === "needs root" ? missing : `${missing} not installed`) : false;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("cni conflist and masquerade rules", () => {
  const conf = JSON.parse(podnetConflist({ podCIDR: "10.244.3.0/24", ipamDataDir: "/x/ipam" })) as { plugins: Array<{ type: string; ipam?: { ranges: unknown } }> };
  assert.deepEqual(conf.plugins.map((p) => p.type), ["bridge", "portmap", "loopback"]);
  assert.deepEqual(conf.plugins[0]!.ipam!.ranges, [[{ subnet: "10.244.3.0/24", gateway: "10.244.3.1" }]]);
  assert.match(masqueradeRules("10.244.0.0/16"), /-s 10\.244\.0\.0\/16 -d 10\.244\.0\.0\/16 .*-j RETURN/);
  assert.equal(leaseOf({ metadata: { name: "n", annotations: { [PUBLIC_IP]: "10.0.0.1", [BACKEND_DATA]: "{\"VNI\":1,\"VtepMAC\":\"AA:bb:cc:dd:ee:ff\"}" } }, spec: { podCIDR: "10.244.1.0/24" } })?.vtepMAC, "aa:bb:cc:dd:ee:ff");
  assert.equal(leaseOf({ metadata: { name: "n", annotations: { [PUBLIC_IP]: "10.0.0.1", [BACKEND_DATA]: "garbage" } }, spec: { podCIDR: "10.244.1.0/24" } }), undefined);
});

test("network agents in two namespaces: VTEPs published, peers programmed, VXLAN carries traffic, departed node removed", { skip }, async (t) => {
  const tag = `k8nt${process.pid % 100000}`;
  const [nsA, nsB] = [`${tag}-a`, `${tag}-b`];
  const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8" });
  t.after(() => {
    for (const ns of [nsA, nsB]) {
      try {
        ip("netns", "del", ns);
      } catch {
        // never created
      }
    }
  });
  ip("netns", "add", nsA);
  ip("netns", "add", nsB);
  // The veth pair is created inside A directly, so nothing ever appears in the host namespace.
  ip("-n", nsA, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nsB);
  ip("-n", nsA, "addr", "add", "10.199.0.1/24", "dev", "eth0");
  ip("-n", nsB, "addr", "add", "10.199.0.2/24", "dev", "eth0");
  for (const ns of [nsA, nsB]) {
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "lo", "up");
  }
  const dir = await mkdtemp(join(tmpdir(), "k8ts-netagent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false, metrics: false, leaderElect: false, controllerManager: { controllers: ["nodeipam"] } });
  t.after(() => server.stop());
  const client = createClient({ server: server.url });
  t.after(() => client.close());
  const nodes = client.resource<NodeObject>(resources.nodes);
  for (const name of ["node-a", "node-b"]) await nodes.create(undefined, { apiVersion: "v1", kind: "Node", metadata: { name } });
  const ac = new AbortController();
  const agents = [
    new NetworkAgent({ client, nodeName: "node-a", publicIP: "10.199.0.1", netns: nsA, cniConfDir: join(dir, "a", "net.d") }),
    new NetworkAgent({ client, nodeName: "node-b", publicIP: "10.199.0.2", netns: nsB }),
  ];
  const runs = agents.map((a) => a.run(ac.signal));
  t.after(async () => {
    ac.abort();
    await Promise.allSettled(runs);
  });
  const leases = await until("both VTEPs published", async () => {
    const list = (await nodes.list(undefined)).items.map(leaseOf);
    return list.length === 2 && list.every(Boolean) ? list.map((l) => l!) : undefined;
  });
  const [a, b] = [leases.find((l) => l.name === "node-a")!, leases.find((l) => l.name === "node-b")!];
  assert.notEqual(a.podCIDR, b.podCIDR);
  assert.equal(a.publicIP, "10.199.0.1");
  assert.ok(existsSync(join(dir, "a", "net.d", "10-podnet.conflist")));
  const vtepB = b.podCIDR.split("/")[0]!;
  const vtepA = a.podCIDR.split("/")[0]!;
  const details = JSON.parse(ip("-n", nsA, "-j", "-d", "link", "show", "flannel.1")) as Array<{ mtu: number; address: string; linkinfo: { info_data: { id: number; port: number; learning: boolean } } }>;
  assert.equal(details[0]!.mtu, 1450);
  assert.equal(details[0]!.address, a.vtepMAC);
  assert.deepEqual([details[0]!.linkinfo.info_data.id, details[0]!.linkinfo.info_data.port, details[0]!.linkinfo.info_data.learning], [1, 8472, false]);
  await until("route to B's pods in A", async () => (ip("-n", nsA, "route", "show", b.podCIDR).includes(`via ${vtepB} dev flannel.1`) ? true : undefined));
  assert.match(ip("-n", nsA, "neigh", "show", "dev", "flannel.1"), new RegExp(`${vtepB.replace(/\./g, "\\.")} lladdr ${b.vtepMAC} PERMANENT`));
  assert.match(ip("-n", nsA, "route", "show", a.podCIDR) + execFileSync("bridge", ["-n", nsA, "fdb", "show", "dev", "flannel.1"], { encoding: "utf8" }), new RegExp(`${b.vtepMAC} dst 10\\.199\\.0\\.2`));
  assert.equal(execFileSync("nsenter", [`--net=/var/run/netns/${nsB}`, "sysctl", "-n", "net.ipv4.ip_forward"], { encoding: "utf8" }).trim(), "1");
  // Across the VXLAN: A's flannel.1 address to B's and back.
  const runner = execRunner({ netns: nsA });
  await until("ping across the VXLAN", async () => ((await runner.run(["busybox", "ping", "-c", "1", "-W", "2", "-I", vtepA, vtepB])).code === 0 ? true : undefined));
  // A device deleted by hand comes back on the next sync (any Node change queues one).
  ip("-n", nsA, "link", "del", "flannel.1");
  await nodes.patch(undefined, "node-a", "merge", { metadata: { labels: { poke: "1" } } });
  await until("flannel.1 recreated in A", async () => (ip("-n", nsA, "route", "show", b.podCIDR).includes("flannel.1") ? true : undefined));
  await nodes.delete(undefined, "node-b");
  // Route, neighbour and FDB entry go in separate commands: wait for all three, then check each.
  const fdbA = (): string => execFileSync("bridge", ["-n", nsA, "fdb", "show", "dev", "flannel.1"], { encoding: "utf8" });
  await until("B's entries gone from A", async () =>
    ip("-n", nsA, "route", "show", "dev", "flannel.1").trim() === "" && !ip("-n", nsA, "neigh", "show", "dev", "flannel.1").includes(vtepB) && !fdbA().includes(b.vtepMAC) ? true : undefined,
  );
  assert.equal(ip("-n", nsA, "route", "show", "dev", "flannel.1").trim(), "");
  assert.doesNotMatch(fdbA(), new RegExp(b.vtepMAC));
});

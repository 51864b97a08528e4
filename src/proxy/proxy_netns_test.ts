// Real packets: a node namespace programmed by the proxier (iptables and nftables modes) in front of two pod
// namespaces running busybox httpd. Needs root, iproute2, iptables, nft and busybox; skipped otherwise.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { resources } from "../client/resources.js";
import { createClient } from "../client/rest_client.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { execRunner } from "./command_runner.js";
import { createBackend } from "./backends.js";
import { HTTP_PORT, NetnsNode, UDP_PORT } from "./netns_fixture.js";
import { Proxier } from "./proxier.js";
import { service, slice } from "./testing.js";
import type { ProxyMode, ProxyState } from "./types.js";

function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  for (const bin of ["ip", "nsenter", "iptables-restore", "nft", "busybox", "timeout"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      return `needs ${bin}`;
    }
  }
  return undefined;
}

const skip = missingPrerequisite();
const CLUSTER_IP = "10.96.7.7";
const NODE_PORT = 30080;
const UDP_CLUSTER_IP = "10.96.7.8";
const REQUESTS = 30;

async function until(what: string, cond: () => boolean): Promise<void> {
  // Generous: the wait ends as soon as the condition holds; the bound only turns a hang into a clear failure.
  const end = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`never saw ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tallyText = (m: Map<string, number>): string => JSON.stringify(Object.fromEntries(m));

async function exercise(mode: ProxyMode): Promise<void> {
  const net = new NetnsNode(`kpx${process.pid % 10000}${mode === "iptables" ? "i" : "n"}`);
  const server = await startFakeApiServer();
  const client = createClient({ server: server.url });
  const ac = new AbortController();
  let done: Promise<void> | undefined;
  try {
    await net.setup();
    const runner = execRunner({ netns: net.node });
    const opts = { runner, clusterCIDR: "10.244.0.0/16" };
    const backend = createBackend(mode, opts);
    let applied: ProxyState | undefined;
    const proxier = new Proxier({ client, nodeName: "node", backend, runner, minSyncIntervalMs: 100, onSync: (r) => void (!r.error && (applied = r.state)) });
    done = proxier.run(ac.signal);

    const [p1, p2] = net.pods as [(typeof net.pods)[0], (typeof net.pods)[0]];
    server.store.create(resources.services, "default", service("web", { type: "NodePort", clusterIP: CLUSTER_IP, ports: [{ name: "http", port: 80, targetPort: "web", nodePort: NODE_PORT }] }));
    const ports = [{ name: "http", port: HTTP_PORT }];
    server.store.create(resources.endpointslices, "default", slice("web", ports, [{ ip: p1.ip, node: "node" }, { ip: p2.ip, node: "node" }]));
    await until("both endpoints applied", () => applied?.ports[0]?.endpoints.length === 2);

    const url = `http://${CLUSTER_IP}/`;
    const fromNode = await net.tally(net.node, url, REQUESTS);
    assert.ok((fromNode.get("pod1") ?? 0) > 0 && (fromNode.get("pod2") ?? 0) > 0, `node -> cluster IP reached both pods: ${tallyText(fromNode)}`);
    assert.equal((fromNode.get("pod1") ?? 0) + (fromNode.get("pod2") ?? 0), REQUESTS, tallyText(fromNode));

    // Hairpin: pod1 through the cluster IP sometimes lands on itself.
    const fromPod = await net.tally(p1.netns, url, REQUESTS);
    assert.ok((fromPod.get("pod1") ?? 0) > 0 && (fromPod.get("pod2") ?? 0) > 0, `pod1 -> cluster IP reached both pods: ${tallyText(fromPod)}`);
    assert.equal((fromPod.get("pod1") ?? 0) + (fromPod.get("pod2") ?? 0), REQUESTS, tallyText(fromPod));

    const nodePort = await net.tally(net.client, `http://${net.nodeIP}:${NODE_PORT}/`, REQUESTS);
    assert.ok((nodePort.get("pod1") ?? 0) > 0 && (nodePort.get("pod2") ?? 0) > 0, `client -> node port reached both pods: ${tallyText(nodePort)}`);

    // Removing an endpoint stops traffic to it.
    server.store.update(resources.endpointslices, "default", "web-abc12", slice("web", ports, [{ ip: p2.ip, node: "node" }]));
    await until("one endpoint applied", () => applied?.ports[0]?.endpoints.length === 1);
    const after = await net.tally(net.node, url, 10);
    assert.deepEqual(tallyText(after), tallyText(new Map([["pod2", 10]])));

    // UDP: a client keeps its conntrack entry to one endpoint; removing that endpoint flushes the entry, so the
    // same client's next datagram goes to the endpoint that is left.
    server.store.create(resources.services, "default", service("dns", { clusterIP: UDP_CLUSTER_IP, ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: UDP_PORT }] }));
    const udpPorts = [{ name: "dns", port: UDP_PORT, protocol: "UDP" }];
    server.store.create(resources.endpointslices, "default", slice("dns", udpPorts, [{ ip: p1.ip }, { ip: p2.ip }], { name: "dns-1" }));
    const dnsPort = (): ProxyState["ports"][number] | undefined => applied?.ports.find((p) => p.service === "dns");
    await until("UDP endpoints applied", () => dnsPort()?.endpoints.length === 2);
    const first = await net.askUdp(net.node, UDP_CLUSTER_IP, 53, 41000);
    assert.ok(first === "pod1" || first === "pod2", `UDP answer ${JSON.stringify(first)}`);
    assert.equal(await net.askUdp(net.node, UDP_CLUSTER_IP, 53, 41000), first, "same flow, same endpoint");
    const other = first === "pod1" ? p2 : p1;
    server.store.update(resources.endpointslices, "default", "dns-1", slice("dns", udpPorts, [{ ip: other.ip }], { name: "dns-1" }));
    await until("UDP endpoint removal applied", () => dnsPort()?.endpoints.length === 1);
    assert.equal(await net.askUdp(net.node, UDP_CLUSTER_IP, 53, 41000), other.name, "stale UDP flow flushed");

    // ClientIP affinity: one client keeps its backend.
    server.store.update(resources.endpointslices, "default", "web-abc12", slice("web", ports, [{ ip: p1.ip, node: "node" }, { ip: p2.ip, node: "node" }]));
    const svc = server.store.get(resources.services, "default", "web");
    server.store.update(resources.services, "default", "web", { ...svc, spec: { ...(svc.spec as object), sessionAffinity: "ClientIP" } });
    await until("affinity applied", () => {
      const web = applied?.ports.find((p) => p.service === "web");
      return web?.affinitySeconds !== undefined && web.endpoints.length === 2;
    });
    const sticky = await net.tally(p2.netns, url, 10);
    assert.equal(sticky.size, 1, `one backend under affinity: ${tallyText(sticky)}`);
    assert.ok(!sticky.has(""), tallyText(sticky));

    // externalTrafficPolicy Local: node-port traffic only to this node's endpoint; cluster IP still balances.
    const affine = server.store.get(resources.services, "default", "web");
    server.store.update(resources.services, "default", "web", { ...affine, spec: { ...(affine.spec as object), sessionAffinity: "None", externalTrafficPolicy: "Local" } });
    server.store.update(resources.endpointslices, "default", "web-abc12", slice("web", ports, [{ ip: p1.ip, node: "node" }, { ip: p2.ip, node: "elsewhere" }]));
    await until("Local policy applied", () => {
      const web = applied?.ports.find((p) => p.service === "web");
      return web?.externalLocal === true && web.affinitySeconds === undefined && web.endpoints.some((e) => !e.local);
    });
    const local = await net.tally(net.client, `http://${net.nodeIP}:${NODE_PORT}/`, 10);
    assert.equal(tallyText(local), tallyText(new Map([["pod1", 10]])), "node port under Local policy");
    const cluster = await net.tally(net.node, url, REQUESTS);
    assert.ok((cluster.get("pod1") ?? 0) > 0 && (cluster.get("pod2") ?? 0) > 0, `cluster IP still reaches both: ${tallyText(cluster)}`);

    // Local policy with no endpoint on this node: traffic from outside is dropped (no answer, not refused), while
    // pods and the node itself still reach the node port, balanced cluster-wide, as in Kubernetes.
    server.store.update(resources.endpointslices, "default", "web-abc12", slice("web", ports, [{ ip: p1.ip, node: "elsewhere" }, { ip: p2.ip, node: "elsewhere" }]));
    await until("no local endpoint applied", () => applied?.ports.find((p) => p.service === "web")?.endpoints.every((e) => !e.local) === true);
    const nodePortUrl = `http://${net.nodeIP}:${NODE_PORT}/`;
    assert.equal(await net.failure(net.client, nodePortUrl), "timed out", "outside traffic dropped");
    const fromPodNp = await net.tally(p1.netns, nodePortUrl, REQUESTS);
    assert.ok((fromPodNp.get("pod1") ?? 0) > 0 && (fromPodNp.get("pod2") ?? 0) > 0, `pod1 -> node port reached both pods: ${tallyText(fromPodNp)}`);
    const fromNodeNp = await net.tally(net.node, nodePortUrl, 10);
    assert.equal((fromNodeNp.get("pod1") ?? 0) + (fromNodeNp.get("pod2") ?? 0), 10, `node -> its node port: ${tallyText(fromNodeNp)}`);

    // No endpoints: refused at once (not a hang), and nothing answers.
    server.store.delete(resources.endpointslices, "default", "web-abc12");
    await until("no endpoints applied", () => applied?.ports.find((p) => p.service === "web")?.endpoints.length === 0);
    assert.match(await net.failure(net.node, url), /refused/);
    assert.match(await net.failure(p1.netns, url), /refused/);

    // Cleanup leaves nothing of ours behind.
    ac.abort();
    await done;
    done = undefined;
    await backend.cleanup();
    const leftover =
      mode === "iptables"
        ? execFileSync("nsenter", [`--net=/var/run/netns/${net.node}`, "--", "iptables-save"], { encoding: "utf8" })
        : execFileSync("nsenter", [`--net=/var/run/netns/${net.node}`, "--", "nft", "list", "ruleset"], { encoding: "utf8" });
    assert.doesNotMatch(leftover, mode === "iptables" ? /KUBE-/ : /k8ts-proxy/);
  } finally {
    ac.abort();
    await done;
    client.close();
    await server.close();
    await net.dispose();
  }
}

describe("kube-proxy in network namespaces", { skip }, () => {
  it("iptables mode: cluster IP from the node and (hairpin) from a pod, node port, endpoint removal, UDP flush, affinity, Local policy", () => exercise("iptables"));
  it("nftables mode: cluster IP from the node and (hairpin) from a pod, node port, endpoint removal, UDP flush, affinity, Local policy", () => exercise("nftables"));
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { resources } from "../client/resources.js";
import { startAgentHarness, type AgentHarness } from "./testing.js";

describe("node registration, status and lease", () => {
  let h: AgentHarness;
  afterEach(async () => h?.close());

  const node = (): Node => h.server.store.get(resources.nodes, "", "node-1") as Node;
  const lease = (): Lease => h.server.store.get(resources.leases, "kube-node-lease", "node-1") as Lease;

  it("registers the Node with capacity, allocatable, labels, addresses, node info and Ready conditions", async () => {
    h = await startAgentHarness({
      node: {
        address: "10.0.0.7",
        capacity: { cpu: "8", memory: "32Gi", pods: "250", "ephemeral-storage": "200Gi" },
        reserved: { cpu: "500m", memory: "1Gi" },
        instanceType: "sim.large",
        labels: { "topology.kubernetes.io/zone": "zone-a" },
        kubeletPort: 10260,
      },
    });
    h.start();
    await h.until("node registered", () => {
      try {
        return node().status?.conditions?.length === 4;
      } catch {
        return false;
      }
    });
    const n = node();
    assert.deepEqual(n.status!.capacity, { cpu: "8", memory: "32Gi", pods: "250", "ephemeral-storage": "200Gi" });
    assert.deepEqual(n.status!.allocatable, { cpu: "7500m", memory: "31Gi", pods: "250", "ephemeral-storage": "200Gi" });
    assert.equal(n.metadata!.labels!["kubernetes.io/hostname"], "node-1");
    assert.equal(n.metadata!.labels!["kubernetes.io/os"], "linux");
    assert.equal(n.metadata!.labels!["kubernetes.io/arch"], "amd64");
    assert.equal(n.metadata!.labels!["node.kubernetes.io/instance-type"], "sim.large");
    assert.equal(n.metadata!.labels!["topology.kubernetes.io/zone"], "zone-a");
    assert.deepEqual(n.status!.addresses, [
      { type: "InternalIP", address: "10.0.0.7" },
      { type: "Hostname", address: "node-1" },
    ]);
    assert.equal(n.status!.daemonEndpoints!.kubeletEndpoint!.Port, 10260);
    assert.equal(n.status!.nodeInfo!.kubeletVersion, "v1.31.0-k8ts");
    assert.equal(n.status!.nodeInfo!.containerRuntimeVersion, "simulated://0.1.0");
    const byType = Object.fromEntries(n.status!.conditions!.map((c) => [c.type, c]));
    assert.equal(byType.Ready!.status, "True");
    assert.equal(byType.Ready!.reason, "KubeletReady");
    for (const t of ["MemoryPressure", "DiskPressure", "PIDPressure"]) assert.equal(byType[t]!.status, "False", t);
    assert.ok(byType.Ready!.lastHeartbeatTime);
  });

  it("adopts a Node that already exists", async () => {
    h = await startAgentHarness();
    h.server.store.create(resources.nodes, "", { metadata: { name: "node-1", labels: { keep: "me" } }, spec: { podCIDR: "10.244.9.0/24" } });
    h.start();
    await h.until("status reported", () => node().status?.conditions?.some((c) => c.type === "Ready") ?? false);
    assert.equal(node().metadata!.labels!.keep, "me");
    assert.equal(node().metadata!.labels!["kubernetes.io/hostname"], "node-1");
    // The node's pod CIDR reaches the runtime: sandboxes get addresses from it.
    await h.createPod({ metadata: { name: "p", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "c", image: "busybox:1.36" }] } });
    await h.until("pod IP", () => Boolean(h.pod("p")?.status?.podIP));
    assert.match(h.pod("p")!.status!.podIP!, /^10\.244\.9\.\d+$/);
  });

  it("registers again when its Node is deleted", async () => {
    h = await startAgentHarness();
    h.start();
    await h.until("registered", () => {
      try {
        return Boolean(node().status?.conditions?.length);
      } catch {
        return false;
      }
    });
    const uid = node().metadata!.uid;
    h.server.store.delete(resources.nodes, "", "node-1");
    await h.until("back", () => {
      try {
        return node().metadata!.uid !== uid && Boolean(node().status?.conditions?.length);
      } catch {
        return false;
      }
    }, { maxMs: 30_000 });
  });

  it("renews its Lease in kube-node-lease every 10 s, owned by the Node", async () => {
    h = await startAgentHarness();
    h.start();
    await h.until("lease created", () => {
      try {
        return Boolean(lease().spec?.renewTime);
      } catch {
        return false;
      }
    });
    const first = lease();
    assert.equal(first.spec!.holderIdentity, "node-1");
    assert.equal(first.spec!.leaseDurationSeconds, 40);
    assert.deepEqual(first.metadata!.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [["Node", "node-1", node().metadata!.uid]]);
    const t1 = Date.parse(first.spec!.renewTime!);
    h.clock.advance(10_000);
    await h.settle();
    await h.until("renewed", () => Date.parse(lease().spec!.renewTime!) > t1, { stepMs: 100, maxMs: 1000 });
    assert.equal(Date.parse(lease().spec!.renewTime!) - t1, 10_000);
    assert.match(lease().spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // A lease deleted behind the agent's back is created again.
    h.server.store.delete(resources.leases, "kube-node-lease", "node-1");
    h.clock.advance(10_000);
    await h.until("recreated", () => {
      try {
        return Boolean(lease());
      } catch {
        return false;
      }
    }, { stepMs: 100, maxMs: 1000 });
  });

  it("reports unchanged status only every report interval, with fresh heartbeats", async () => {
    h = await startAgentHarness({ statusReportIntervalMs: 60_000 });
    h.start();
    await h.until("registered", () => {
      try {
        return Boolean(node().status?.conditions?.length);
      } catch {
        return false;
      }
    });
    const hb = (): number => Date.parse(node().status!.conditions!.find((c) => c.type === "Ready")!.lastHeartbeatTime!);
    const t0 = hb();
    h.clock.advance(30_000);
    await h.settle();
    assert.equal(hb(), t0, "no report before the interval when nothing changed");
    await h.until("heartbeat", () => hb() > t0, { stepMs: 10_000, maxMs: 60_000 });
    assert.equal(hb() - t0, 60_000);
    const ready = node().status!.conditions!.find((c) => c.type === "Ready")!;
    assert.equal(Date.parse(ready.lastTransitionTime!), t0, "transition time stays while status does not change");
  });
});

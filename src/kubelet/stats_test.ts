import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { resourceMetrics } from "./stats.js";
import { startAgentHarness, type AgentHarness } from "./testing.js";

describe("stats", () => {
  let h: AgentHarness;
  afterEach(async () => h?.close());

  it("reports the scripted usage of running containers per pod and for the node", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod({
      metadata: { name: "busy", namespace: "default", annotations: { "sim.k8ts.io/cpu-a": "250m", "sim.k8ts.io/memory-a": "64Mi", "sim.k8ts.io/cpu-b": "50m", "sim.k8ts.io/memory-b": "16Mi" } },
      spec: { nodeName: "node-1", containers: [{ name: "a", image: "busybox:1.36" }, { name: "b", image: "busybox:1.36" }] },
    });
    await h.until("running", () => h.pod("busy")?.status?.phase === "Running");
    h.clock.advance(10_000);
    const s = await h.kubelet.statsSummary();
    assert.equal(s.node.nodeName, "node-1");
    assert.equal(s.pods.length, 1);
    const p = s.pods[0]!;
    assert.deepEqual(p.podRef, { name: "busy", namespace: "default", uid: h.pod("busy")!.metadata!.uid });
    assert.deepEqual(p.containers.map((c) => [c.name, c.cpu.usageNanoCores, c.memory.workingSetBytes]), [
      ["a", 250_000_000, 64 * 1024 * 1024],
      ["b", 50_000_000, 16 * 1024 * 1024],
    ]);
    assert.equal(p.cpu.usageNanoCores, 300_000_000);
    assert.equal(s.node.memory.workingSetBytes, 80 * 1024 * 1024);
    assert.ok(p.containers[0]!.cpu.usageCoreNanoSeconds >= 2_500_000_000, "10 s at 250m");
    const text = resourceMetrics(s, h.clock.now());
    assert.match(text, /^container_memory_working_set_bytes\{container="a",namespace="default",pod="busy"\} 67108864 \d+$/m);
    assert.match(text, /^pod_memory_working_set_bytes\{namespace="default",pod="busy"\} 83886080 \d+$/m);
    assert.match(text, /^# TYPE node_cpu_usage_seconds_total counter$/m);
  });
});

describe("kubelet server", () => {
  it("serves /healthz, /pods, /stats/summary and /metrics/resource on loopback", async () => {
    const { startKubeletServer } = await import("./kubelet_server.js");
    const h = await startAgentHarness();
    h.start();
    const srv = await startKubeletServer(h.kubelet, { host: "127.0.0.1", port: 0 });
    try {
      await h.createPod({ metadata: { name: "p", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "c", image: "busybox:1.36" }] } });
      await h.until("running", () => h.pod("p")?.status?.phase === "Running");
      assert.equal(await (await fetch(`${srv.url}/healthz`)).text(), "ok");
      const pods = (await (await fetch(`${srv.url}/pods`)).json()) as { items: Array<{ metadata: { name: string } }> };
      assert.deepEqual(pods.items.map((p) => p.metadata.name), ["p"]);
      const summary = (await (await fetch(`${srv.url}/stats/summary`)).json()) as { pods: unknown[] };
      assert.equal(summary.pods.length, 1);
      assert.match(await (await fetch(`${srv.url}/metrics/resource`)).text(), /container_cpu_usage_seconds_total\{container="c"/);
      assert.equal((await fetch(`${srv.url}/nope`)).status, 404);
    } finally {
      await srv.close();
      await h.close();
    }
  });
});

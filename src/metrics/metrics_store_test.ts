import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MetricsStore } from "./metrics_store.js";
import type { StatsSummary } from "./types.js";

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();

function summary(at: number, pods: Array<{ name: string; cpu: { nano?: number; cum?: number }; mem: number }>): StatsSummary {
  return {
    node: { nodeName: "n1", cpu: { time: iso(at), usageNanoCores: 5e8, usageCoreNanoSeconds: 1e12 }, memory: { time: iso(at), workingSetBytes: 1 << 30 } },
    pods: pods.map((p) => ({
      podRef: { name: p.name, namespace: "default", uid: `uid-${p.name}` },
      containers: [{ name: "c", cpu: { time: iso(at), usageNanoCores: p.cpu.nano, usageCoreNanoSeconds: p.cpu.cum }, memory: { workingSetBytes: p.mem } }],
    })),
  };
}

describe("metrics store", () => {
  it("takes reported nano-cores at once and the memory working set", () => {
    const s = new MetricsStore();
    s.ingest("n1", summary(T0, [{ name: "a", cpu: { nano: 250e6 }, mem: 64 << 20 }]), { now: T0, defaultWindowMs: 15_000 });
    assert.deepEqual(s.pod("default", "a")?.containers, [{ name: "c", usage: { cpuNanoCores: 250e6, memoryBytes: 64 << 20 } }]);
    assert.equal(s.pod("default", "a")?.windowMs, 15_000);
    assert.deepEqual(s.node("n1")?.usage, { cpuNanoCores: 5e8, memoryBytes: 1 << 30 });
  });

  it("computes a rate from cumulative usage after the second reading", () => {
    const s = new MetricsStore();
    s.ingest("n1", summary(T0, [{ name: "a", cpu: { cum: 1e9 }, mem: 1 }]), { now: T0, defaultWindowMs: 15_000 });
    assert.equal(s.pod("default", "a"), undefined, "one reading has no rate");
    // 3 core-seconds over 10 s: 300m.
    s.ingest("n1", summary(T0 + 10_000, [{ name: "a", cpu: { cum: 4e9 }, mem: 1 }]), { now: T0 + 10_000, defaultWindowMs: 15_000 });
    assert.equal(s.pod("default", "a")?.containers[0]?.usage.cpuNanoCores, 300e6);
    assert.equal(s.pod("default", "a")?.windowMs, 10_000);
    // A counter going back (restart) gives no rate this round.
    s.ingest("n1", summary(T0 + 20_000, [{ name: "a", cpu: { cum: 1e8 }, mem: 1 }]), { now: T0 + 20_000, defaultWindowMs: 15_000 });
    assert.equal(s.pod("default", "a"), undefined);
  });

  it("forgets pods that left the node and nodes that failed", () => {
    const s = new MetricsStore();
    s.ingest("n1", summary(T0, [{ name: "a", cpu: { nano: 1 }, mem: 1 }, { name: "b", cpu: { nano: 1 }, mem: 1 }]), { now: T0, defaultWindowMs: 1 });
    s.ingest("n1", summary(T0 + 1, [{ name: "b", cpu: { nano: 1 }, mem: 1 }]), { now: T0 + 1, defaultWindowMs: 1 });
    assert.deepEqual(s.allPods().map((p) => p.name), ["b"]);
    s.dropNode("n1");
    assert.deepEqual(s.allPods(), []);
    assert.equal(s.node("n1"), undefined);
  });
});

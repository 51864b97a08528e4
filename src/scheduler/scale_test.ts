// Scale smoke test: 1,000 pods onto 100 fake nodes through the fake API server. Asserts every pod is bound, the
// spread is balanced and no node is over capacity; prints the throughput (never asserted: timing is not a test).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import type { Pod } from "./framework/api_types.js";
import { amountOf } from "./framework/resource.js";
import { Scheduler } from "./scheduler.js";
import { forCreate, makeNode, makePod } from "./testing/builders.js";
import { startFakeCluster, type FakeCluster } from "./testing/fake_cluster.js";
import { waitFor } from "./testing/wait.js";

const NODES = 100;
const PODS = 1000;
let cluster: FakeCluster;

before(async () => {
  cluster = await startFakeCluster();
});
after(async () => {
  await cluster.close();
});

it(`schedules ${PODS} pods onto ${NODES} nodes, balanced and within capacity`, async (t) => {
  const store = cluster.server.store;
  const nodesRef = store.find("", "nodes")!;
  const podsRef = store.find("", "pods")!;
  for (let i = 0; i < NODES; i++) store.create(nodesRef, "", forCreate(makeNode(`node-${String(i).padStart(3, "0")}`, { cpu: "4", memory: "8Gi", pods: 110 })));
  const scheduler = new Scheduler({ client: cluster.client, leaderElect: false, random: mulberry32(42) });
  const stop = new AbortController();
  const done = scheduler.run(stop.signal);
  try {
    await waitFor("scheduler caches synced", () => scheduler.cache?.nodeCount() === NODES);
    const started = performance.now();
    for (let i = 0; i < PODS; i++) store.create(podsRef, "default", forCreate(makePod(`pod-${i}`, { cpu: "300m", memory: "512Mi" })));
    // Watch the scheduler's own counter (cheap) rather than listing 1,000 pods every few milliseconds.
    await waitFor("every pod scheduled", () => scheduler.metrics.attemptCount("scheduled") >= PODS, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const pods = store.list(podsRef, "default") as Array<StoredObject & Pod>;
    assert.equal(pods.length, PODS);
    assert.ok(pods.every((p) => p.spec?.nodeName), "every pod has its node in the API");
    t.diagnostic(`scheduled ${PODS} pods on ${NODES} nodes in ${seconds.toFixed(2)} s: ${(PODS / seconds).toFixed(0)} pods/s`);
    const perNode = new Map<string, { count: number; cpu: number; memory: number }>();
    for (const p of pods) {
      const n = perNode.get(p.spec!.nodeName!) ?? { count: 0, cpu: 0, memory: 0 };
      n.count++;
      n.cpu += amountOf("cpu", p.spec!.containers[0]!.resources!.requests!.cpu);
      n.memory += amountOf("memory", p.spec!.containers[0]!.resources!.requests!.memory);
      perNode.set(p.spec!.nodeName!, n);
    }
    assert.equal(perNode.size, NODES, "every node got pods");
    const counts = [...perNode.values()].map((n) => n.count);
    t.diagnostic(`pods per node: min ${Math.min(...counts)}, max ${Math.max(...counts)}`);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `balanced spread, got ${Math.min(...counts)}..${Math.max(...counts)}`);
    for (const [name, n] of perNode) {
      assert.ok(n.cpu <= 4000, `${name} over cpu capacity: ${n.cpu}m`);
      assert.ok(n.memory <= 8 * 1024 ** 3, `${name} over memory capacity`);
      assert.ok(n.count <= 110, `${name} over pod capacity`);
    }
    assert.equal(cluster.bindings(), PODS, "one binding per pod: no conflicts, no retries");
    assert.equal(scheduler.metrics.attemptCount("scheduled"), PODS);
  } finally {
    stop.abort();
    await done;
  }
});

/** A small seeded generator so tie-breaking is repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

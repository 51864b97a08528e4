import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../../client/clock.js";
import { makeNode, makePod } from "../testing/builders.js";
import { SchedulerCache, normalizeImageName } from "./cache.js";
import { Snapshot } from "./snapshot.js";

describe("SchedulerCache", () => {
  it("counts an assumed pod on its node until the binding is observed", () => {
    const clock = new FakeClock();
    const cache = new SchedulerCache({ clock, assumedTtlMs: 30_000 });
    cache.addNode(makeNode("n", { cpu: "2" }));
    const pod = makePod("p", { cpu: "1" });
    cache.assumePod({ ...pod, spec: { ...pod.spec!, nodeName: "n" } }, "n");
    assert.equal(cache.nodeInfo("n")!.requested.get("cpu"), 1000);
    assert.ok(cache.isAssumed(pod));
    cache.finishBinding(pod);
    cache.addPod({ ...pod, spec: { ...pod.spec!, nodeName: "n" } });
    assert.equal(cache.isAssumed(pod), false, "observed binding confirms the pod");
    assert.equal(cache.nodeInfo("n")!.requested.get("cpu"), 1000);
    clock.advance(60_000);
    assert.deepEqual(cache.cleanupExpiredAssumedPods(), []);
  });

  it("confirms an assumed pod bound where it was assumed without touching its node; one bound elsewhere moves", () => {
    const cache = new SchedulerCache({ clock: new FakeClock() });
    cache.addNode(makeNode("a", { cpu: "2" }));
    cache.addNode(makeNode("b", { cpu: "2" }));
    const pod = makePod("p", { cpu: "1" });
    const q = makePod("q", { cpu: "1" });
    cache.assumePod({ ...pod, spec: { ...pod.spec!, nodeName: "a" } }, "a");
    cache.assumePod({ ...q, spec: { ...q.spec!, nodeName: "a" } }, "a");
    const gen = cache.nodeInfo("a")!.generation;
    cache.addPod({ ...pod, spec: { ...pod.spec!, nodeName: "a" } });
    assert.equal(cache.isAssumed(pod), false);
    assert.equal(cache.nodeInfo("a")!.generation, gen, "the node's NodeInfo is unchanged");
    // Bound by someone else to another node than assumed: counted there instead.
    cache.addPod({ ...q, spec: { ...q.spec!, nodeName: "b" } });
    assert.equal(cache.isAssumed(q), false);
    assert.equal(cache.nodeInfo("a")!.requested.get("cpu"), 1000);
    assert.equal(cache.nodeInfo("b")!.requested.get("cpu"), 1000);
    assert.equal(cache.podCount(), 2);
  });

  it("forgets an assumed pod whose binding was never observed after the TTL", () => {
    const clock = new FakeClock();
    const cache = new SchedulerCache({ clock, assumedTtlMs: 30_000 });
    cache.addNode(makeNode("n"));
    const pod = makePod("p", { cpu: "1" });
    cache.assumePod(pod, "n");
    clock.advance(60_000);
    assert.deepEqual(cache.cleanupExpiredAssumedPods(), [], "no expiry while binding is in flight");
    cache.finishBinding(pod);
    clock.advance(29_999);
    assert.equal(cache.cleanupExpiredAssumedPods().length, 0);
    clock.advance(1);
    assert.equal(cache.cleanupExpiredAssumedPods().length, 1);
    assert.equal(cache.nodeInfo("n")!.pods.length, 0);
  });

  it("forgetPod drops an assumption at once; removePod frees resources", () => {
    const cache = new SchedulerCache({ clock: new FakeClock() });
    cache.addNode(makeNode("n"));
    const a = makePod("a", { cpu: "1" });
    cache.assumePod(a, "n");
    cache.forgetPod(a);
    assert.equal(cache.nodeInfo("n")!.requested.get("cpu"), 0);
    const b = makePod("b", { cpu: "1", nodeName: "n" });
    cache.addPod(b);
    cache.removePod(b);
    assert.equal(cache.nodeInfo("n")!.pods.length, 0);
  });

  it("updates snapshots incrementally, cloning only changed nodes", () => {
    const cache = new SchedulerCache({ clock: new FakeClock() });
    cache.addNode(makeNode("a"));
    cache.addNode(makeNode("b"));
    const snap = new Snapshot();
    cache.updateSnapshot(snap);
    const a1 = snap.get("a");
    const b1 = snap.get("b");
    cache.addPod(makePod("p", { nodeName: "b", cpu: "1" }));
    cache.updateSnapshot(snap);
    assert.equal(snap.get("a"), a1, "unchanged node reused");
    assert.notEqual(snap.get("b"), b1);
    assert.equal(snap.get("b")!.pods.length, 1);
    assert.equal(b1!.pods.length, 0, "the old snapshot is untouched");
    cache.removeNode(makeNode("a"));
    cache.updateSnapshot(snap);
    assert.deepEqual(snap.list().map((n) => n.name), ["b"]);
  });

  it("tracks images across nodes for ImageLocality", () => {
    const cache = new SchedulerCache({ clock: new FakeClock() });
    cache.addNode(makeNode("a", { images: [{ names: ["nginx:1.25"], sizeBytes: 100 }] }));
    cache.addNode(makeNode("b", { images: [{ names: ["nginx:1.25"], sizeBytes: 100 }] }));
    assert.equal(cache.nodeInfo("a")!.imageStates.get("nginx:1.25")!.numNodes, 2);
    cache.removeNode(makeNode("b"));
    assert.equal(cache.nodeInfo("a")!.imageStates.get("nginx:1.25")!.numNodes, 1);
    assert.equal(normalizeImageName("registry:5000/app"), "registry:5000/app:latest");
    assert.equal(normalizeImageName("app@sha256:abc"), "app@sha256:abc");
  });
});

describe("Snapshot.withNode", () => {
  it("swaps one node in a what-if view and leaves the original as it was", () => {
    const cache = new SchedulerCache({ clock: new FakeClock() });
    for (const n of ["a", "b", "c"]) cache.addNode(makeNode(n, { cpu: "2" }));
    cache.addPod(makePod("p", { nodeName: "b", cpu: "1" }));
    const snap = new Snapshot();
    cache.updateSnapshot(snap);
    const sim = snap.get("b")!.clone();
    sim.removePod(sim.pods[0]!.uid);
    const whatIf = snap.withNode(sim);
    assert.equal(whatIf.get("b"), sim);
    assert.equal(whatIf.list()[1], sim);
    assert.equal(whatIf.get("a"), snap.get("a"));
    assert.equal(whatIf.numNodes(), 3);
    assert.equal(snap.get("b")!.pods.length, 1, "the original still has the pod");
    assert.equal(snap.list()[1]!.pods.length, 1);
    // A what-if of the what-if for another node sees both changes.
    const simC = snap.get("c")!.clone();
    const both = whatIf.withNode(simC);
    assert.equal(both.get("b"), sim);
    assert.equal(both.get("c"), simC);
    assert.equal(snap.get("c") === simC, false);
  });
});

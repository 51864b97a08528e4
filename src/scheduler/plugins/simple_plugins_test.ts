// NodeName, NodeUnschedulable, NodePorts, TaintToleration, NodeAffinity and ImageLocality on hand-built nodes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Harness } from "../testing/harness.js";
import { makeNode, makePod } from "../testing/builders.js";
import { newImageLocality } from "./image_locality/image_locality.js";
import { newNodeAffinity } from "./node_affinity/node_affinity.js";
import { newNodeName } from "./node_name/node_name.js";
import { newNodePorts } from "./node_ports/node_ports.js";
import { newNodeUnschedulable } from "./node_unschedulable/node_unschedulable.js";
import { newTaintToleration } from "./taint_toleration/taint_toleration.js";

describe("NodeName", () => {
  const h = new Harness([makeNode("a"), makeNode("b")]);
  it("fits only the named node", () => {
    const p = newNodeName();
    const pod = makePod("p", { nodeName: "a" });
    assert.ok(p.filter(h.state(), pod, h.node("a")).isSuccess());
    const s = p.filter(h.state(), pod, h.node("b"));
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.equal(s.message(), "node(s) didn't match the requested node name");
  });
});

describe("NodeUnschedulable", () => {
  const h = new Harness([makeNode("cordoned", { unschedulable: true })]);
  const p = newNodeUnschedulable();
  it("keeps pods off cordoned nodes unless they tolerate the unschedulable taint", () => {
    assert.equal(p.filter(h.state(), makePod("p"), h.node("cordoned")).message(), "node(s) were unschedulable");
    const tolerant = makePod("ds", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] });
    assert.ok(p.filter(h.state(), tolerant, h.node("cordoned")).isSuccess());
  });
});

describe("NodePorts", () => {
  const h = new Harness([makeNode("n")], [makePod("web", { hostPorts: [80], nodeName: "n" })]);
  const p = newNodePorts();
  const run = (pod: ReturnType<typeof makePod>) => {
    const st = h.state();
    const pre = p.preFilter(st, pod);
    if (pre.status.isSkip()) return "skip";
    return p.filter(st, pod, h.node("n")).message() || "ok";
  };
  it("rejects a hostPort already bound on the node and allows others", () => {
    assert.equal(run(makePod("again", { hostPorts: [80] })), "node(s) didn't have free ports for the requested pod ports");
    assert.equal(run(makePod("other", { hostPorts: [8080] })), "ok");
    assert.equal(run(makePod("none")), "skip");
  });
  it("treats different protocols as different ports", () => {
    const udp = makePod("dns", { hostPorts: [80] });
    udp.spec!.containers[0]!.ports![0]!.protocol = "UDP";
    assert.equal(run(udp), "ok");
  });
});

describe("TaintToleration", () => {
  const h = new Harness([
    makeNode("tainted", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }),
    makeNode("prefer-not", { taints: [{ key: "spot", value: "true", effect: "PreferNoSchedule" }, { key: "old", effect: "PreferNoSchedule" }] }),
    makeNode("clean"),
  ]);
  const p = newTaintToleration();
  it("filters untolerated NoSchedule taints with Kubernetes' message", () => {
    const s = p.filter(h.state(), makePod("p"), h.node("tainted"));
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.equal(s.message(), "node(s) had untolerated taint {dedicated: gpu}");
    const tol = makePod("t", { tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] });
    assert.ok(p.filter(h.state(), tol, h.node("tainted")).isSuccess());
    const wrongValue = makePod("w", { tolerations: [{ key: "dedicated", value: "cpu" }] });
    assert.equal(p.filter(h.state(), wrongValue, h.node("tainted")).code, "UnschedulableAndUnresolvable");
    assert.ok(p.filter(h.state(), makePod("all", { tolerations: [{ operator: "Exists" }] }), h.node("tainted")).isSuccess());
  });
  it("scores PreferNoSchedule taints down, tolerated ones not", () => {
    const pod = makePod("p");
    const st = h.state();
    p.preScore(st, pod, []);
    const scores = ["prefer-not", "clean"].map((n) => ({ name: n, score: p.score(st, pod, h.node(n)).score }));
    p.normalizeScore!(st, pod, scores);
    assert.deepEqual(scores, [{ name: "prefer-not", score: 0 }, { name: "clean", score: 100 }]);
    const tolerant = makePod("t", { tolerations: [{ key: "spot", operator: "Exists", effect: "PreferNoSchedule" }] });
    const st2 = h.state();
    p.preScore(st2, tolerant, []);
    assert.equal(p.score(st2, tolerant, h.node("prefer-not")).score, 1);
  });
});

describe("NodeAffinity", () => {
  const h = new Harness([makeNode("ssd-1", { labels: { disk: "ssd", zone: "a" } }), makeNode("hdd-1", { labels: { disk: "hdd", zone: "b" } }), makeNode("ssd-2", { labels: { disk: "ssd", zone: "b", gen: "5" } })]);
  const p = newNodeAffinity();
  const fits = (pod: ReturnType<typeof makePod>) => {
    const st = h.state();
    const pre = p.preFilter(st, pod);
    return h.snapshot.list().filter((n) => (!pre.result?.nodeNames || pre.result.nodeNames.has(n.name)) && p.filter(st, pod, n).isSuccess()).map((n) => n.name);
  };
  it("honours nodeSelector", () => {
    assert.deepEqual(fits(makePod("p", { nodeSelector: { disk: "ssd" } })), ["ssd-1", "ssd-2"]);
    assert.equal(p.filter(h.state(), makePod("p", { nodeSelector: { disk: "ssd" } }), h.node("hdd-1")).message(), "node(s) didn't match Pod's node affinity/selector");
  });
  it("honours required matchExpressions (In, NotIn, Exists, Gt) and ORs the terms", () => {
    const pod = makePod("p", {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }, { key: "zone", operator: "NotIn", values: ["a"] }] },
              { matchExpressions: [{ key: "gen", operator: "Gt", values: ["9"] }] },
            ],
          },
        },
      },
    });
    assert.deepEqual(fits(pod), ["ssd-2"]);
  });
  it("narrows candidates in PreFilter with matchFields metadata.name", () => {
    const pod = makePod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["hdd-1"] }] }] } } } });
    const pre = p.preFilter(h.state(), pod);
    assert.deepEqual([...pre.result!.nodeNames!], ["hdd-1"]);
    assert.deepEqual(fits(pod), ["hdd-1"]);
  });
  it("applies a profile's addedAffinity to every pod", () => {
    const enforced = newNodeAffinity({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }] } } });
    const pod = makePod("p");
    const st = h.state();
    assert.ok(enforced.preFilter(st, pod).status.isSuccess(), "not skipped for a pod without its own affinity");
    assert.equal(enforced.filter(st, pod, h.node("ssd-1")).message(), "node(s) didn't match scheduler-enforced node affinity");
    assert.ok(enforced.filter(st, pod, h.node("hdd-1")).isSuccess());
  });

  it("scores preferred terms by weight, normalized to 100", () => {
    const pod = makePod("p", {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
            { weight: 30, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] } },
          ],
        },
      },
    });
    const st = h.state();
    p.preScore(st, pod, []);
    const scores = h.snapshot.list().map((n) => ({ name: n.name, score: p.score(st, pod, n).score }));
    p.normalizeScore!(st, pod, scores);
    assert.deepEqual(Object.fromEntries(scores.map((s) => [s.name, s.score])), { "hdd-1": 75, "ssd-1": 25, "ssd-2": 100 });
  });
});

describe("ImageLocality", () => {
  const big = 500 * 1024 * 1024;
  const h = new Harness([
    makeNode("has", { images: [{ names: ["docker.io/library/app:1", "app:1"], sizeBytes: big }] }),
    makeNode("also", { images: [{ names: ["app:1"], sizeBytes: big }] }),
    makeNode("none"),
  ]);
  const p = newImageLocality({}, h.handle);
  it("prefers nodes holding the image, scaled by its spread", () => {
    const pod = makePod("p", { image: "app:1" });
    const has = p.score(h.state(), pod, h.node("has")).score;
    const none = p.score(h.state(), pod, h.node("none")).score;
    assert.equal(none, 0);
    // 500 MiB on 2 of 3 nodes counts as ~333 MiB: (333-23)/(1000-23) of 100.
    assert.equal(has, 31);
  });
  it("skips scoring when no candidate node reports an image, and scores when one does", () => {
    const pod = makePod("p", { image: "app:1" });
    assert.ok(p.preScore(h.state(), pod, [h.node("none")]).isSkip());
    assert.ok(p.preScore(h.state(), pod, [h.node("none"), h.node("has")]).isSuccess());
  });
  it("treats a missing tag as :latest", () => {
    const h2 = new Harness([makeNode("n", { images: [{ names: ["nginx:latest"], sizeBytes: big }] })]);
    const pod = makePod("p", { image: "nginx" });
    assert.ok(newImageLocality({}, h2.handle).score(h2.state(), pod, h2.node("n")).score > 0);
  });
});

describe("default filter order", () => {
  it("reports the first failing plugin per node", () => {
    const h = new Harness([makeNode("tainted-and-full", { cpu: "1", taints: [{ key: "k", effect: "NoExecute" }] }), makeNode("full", { cpu: "1" })]);
    const out = h.filterAll(makePod("p", { cpu: "2" }));
    assert.deepEqual(out, { full: "Insufficient cpu", "tainted-and-full": "node(s) had untolerated taint {k: }" });
  });
});

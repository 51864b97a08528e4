import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PodInfo } from "../../framework/pod_info.js";
import { computePodRequests } from "../../framework/pod_resources.js";
import { Harness } from "../../testing/harness.js";
import { makeNode, makePod } from "../../testing/builders.js";
import { newNodeResourcesFit } from "./fit.js";
import { newBalancedAllocation } from "./balanced_allocation.js";
import { brokenLinear } from "./scorers.js";

describe("pod requests", () => {
  it("take the larger of the app containers' sum and the biggest init container, plus overhead", () => {
    const pod = makePod("p", { cpu: "500m", memory: "100Mi", overhead: { cpu: "100m" } });
    pod.spec!.containers.push({ name: "second", resources: { requests: { cpu: "250m" } } });
    pod.spec!.initContainers = [{ name: "init", resources: { requests: { cpu: "2", memory: "50Mi" } } }];
    const r = computePodRequests(pod);
    assert.equal(r.get("cpu"), 2100);
    assert.equal(r.get("memory"), 100 * 1024 * 1024);
  });

  it("count restartable init containers (sidecars) alongside the app containers", () => {
    const pod = makePod("p", { cpu: "1" });
    pod.spec!.initContainers = [
      { name: "sidecar", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } },
      { name: "init", resources: { requests: { cpu: "1" } } },
    ];
    assert.equal(computePodRequests(pod).get("cpu"), 1500);
  });

  it("use limits when only limits are set and default empty cpu/memory for scoring", () => {
    const pod = makePod("p");
    pod.spec!.containers[0]!.resources = { limits: { cpu: "300m" } };
    assert.equal(computePodRequests(pod).get("cpu"), 300);
    const nz = computePodRequests(makePod("q"), { nonZero: true });
    assert.equal(nz.get("cpu"), 100);
    assert.equal(nz.get("memory"), 200 * 1024 * 1024);
  });
});

describe("NodeResourcesFit filter", () => {
  const h = new Harness(
    [makeNode("small", { cpu: "1", memory: "1Gi", pods: 2, extra: { "example.com/gpu": "1" } }), makeNode("big", { cpu: "8", memory: "16Gi", pods: 1 })],
    [makePod("used", { cpu: "500m", memory: "512Mi", nodeName: "small" }), makePod("only", { nodeName: "big" })],
  );
  const fit = newNodeResourcesFit({});
  const run = (pod: ReturnType<typeof makePod>, node: string) => {
    const st = h.state();
    fit.preFilter(st, pod);
    return fit.filter(st, pod, h.node(node));
  };

  it("reports every insufficient resource", () => {
    const s = run(makePod("p", { cpu: "600m", memory: "600Mi" }), "small");
    assert.equal(s.code, "Unschedulable");
    assert.deepEqual(s.reasons, ["Insufficient cpu", "Insufficient memory"]);
  });

  it("reports Too many pods when the pod count is used up", () => {
    assert.deepEqual(run(makePod("p", { cpu: "1" }), "big").reasons, ["Too many pods"]);
  });

  it("checks extended resources and calls a request above allocatable unresolvable", () => {
    assert.ok(run(makePod("p", { requests: { "example.com/gpu": "1" } }), "small").isSuccess());
    const s = run(makePod("p", { requests: { "example.com/gpu": "2" } }), "small");
    assert.deepEqual(s.reasons, ["Insufficient example.com/gpu"]);
    assert.equal(s.code, "UnschedulableAndUnresolvable");
  });

  it("ignores configured extended resources", () => {
    const f = newNodeResourcesFit({ ignoredResources: ["example.com/gpu"] });
    const st = h.state();
    const pod = makePod("p", { requests: { "example.com/gpu": "5" } });
    f.preFilter(st, pod);
    assert.ok(f.filter(st, pod, h.node("small")).isSuccess());
  });

  it("counts ephemeral-storage", () => {
    const h2 = new Harness([makeNode("n", { ephemeralStorage: "1Gi" })]);
    const st = h2.state();
    const pod = makePod("p", { requests: { "ephemeral-storage": "2Gi" } });
    fit.preFilter(st, pod);
    assert.deepEqual(fit.filter(st, pod, h2.node("n")).reasons, ["Insufficient ephemeral-storage"]);
  });
});

describe("NodeResourcesFit scoring strategies", () => {
  // n1 is half used (2 of 4 cpu), n2 empty.
  const h = new Harness([makeNode("n1", { cpu: "4", memory: "4Gi" }), makeNode("n2", { cpu: "4", memory: "4Gi" })], [makePod("u", { cpu: "2", memory: "2Gi", nodeName: "n1" })]);
  const pod = makePod("p", { cpu: "1", memory: "1Gi" });
  const score = (args: unknown, node: string): number => {
    const f = newNodeResourcesFit(args);
    const st = h.state();
    f.preScore(st, pod, []);
    return f.score(st, pod, h.node(node)).score;
  };

  it("LeastAllocated (default) prefers the emptier node", () => {
    assert.equal(score({}, "n1"), 25);
    assert.equal(score({}, "n2"), 75);
  });

  it("MostAllocated prefers the fuller node", () => {
    const args = { scoringStrategy: { type: "MostAllocated" } };
    assert.equal(score(args, "n1"), 75);
    assert.equal(score(args, "n2"), 25);
  });

  it("RequestedToCapacityRatio follows the configured shape", () => {
    const args = { scoringStrategy: { type: "RequestedToCapacityRatio", resources: [{ name: "cpu", weight: 1 }], requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } };
    assert.equal(score(args, "n1"), 75);
    assert.equal(score(args, "n2"), 25);
    assert.equal(brokenLinear([{ utilization: 0, score: 10 }, { utilization: 50, score: 0 }], 25), 50);
  });

  it("rejects invalid arguments", () => {
    assert.throws(() => newNodeResourcesFit({ scoringStrategy: { type: "Nope" } }), /Unsupported value: "Nope"/);
    assert.throws(() => newNodeResourcesFit({ scoringStrategy: { type: "RequestedToCapacityRatio" } }), /at least one point/);
  });

  it("BalancedAllocation prefers nodes where cpu and memory are used alike", () => {
    const hb = new Harness([makeNode("cpu-heavy", { cpu: "4", memory: "4Gi" }), makeNode("even", { cpu: "4", memory: "4Gi" })], [makePod("u", { cpu: "3", memory: "0", nodeName: "cpu-heavy" })]);
    const b = newBalancedAllocation({});
    const p = makePod("p", { cpu: "1", memory: "1Gi" });
    const even = b.score(hb.state(), p, hb.node("even")).score;
    const skewed = b.score(hb.state(), p, hb.node("cpu-heavy")).score;
    assert.equal(even, 100);
    assert.equal(skewed, 62);
    assert.ok(new PodInfo(p).requests.get("cpu") === 1000);
  });
});

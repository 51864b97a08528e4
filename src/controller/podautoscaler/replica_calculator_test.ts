import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { averageOfValueReplicas, averageValueReplicas, DEFAULT_CALCULATOR_OPTIONS, podRequests, resourceUtilizationReplicas, valueReplicas, type PodMetricsInfo } from "./replica_calculator.js";

const NOW = Date.UTC(2026, 0, 1, 12);
const o = { ...DEFAULT_CALCULATOR_OPTIONS, now: NOW };
const iso = (ms: number): string => new Date(ms).toISOString();

interface PodOpts {
  phase?: string;
  ready?: boolean;
  /** ms before NOW the pod started and turned ready (default: an hour). */
  startedAgo?: number;
  readyAgo?: number;
  deleting?: boolean;
  cpu?: string;
}

function pod(name: string, p: PodOpts = {}): Pod {
  const started = NOW - (p.startedAgo ?? 3_600_000);
  return {
    metadata: { name, ...(p.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: "c", image: "x", resources: { requests: { cpu: p.cpu ?? "100m", memory: "100Mi" } } }] },
    status: {
      phase: p.phase ?? "Running",
      startTime: iso(started),
      conditions: [{ type: "Ready", status: p.ready === false ? "False" : "True", lastTransitionTime: iso(NOW - (p.readyAgo ?? p.startedAgo ?? 3_600_000)) }],
    },
  };
}

function metrics(values: Record<string, number>): PodMetricsInfo {
  return new Map(Object.entries(values).map(([k, v]) => [k, { valueMilli: v, timestamp: NOW - 5000, windowMs: 15_000 }]));
}

function cpuReplicas(current: number, pods: Pod[], m: PodMetricsInfo, target = 50): number {
  return resourceUtilizationReplicas(current, { targetUtilization: target, resource: "cpu", pods, metrics: m, requests: podRequests(pods, "cpu") }, o).replicas;
}

describe("replica calculator: resource utilization", () => {
  it("desired = ceil(current * utilization / target)", () => {
    const pods = [pod("a"), pod("b")];
    // 90% against 50%: ratio 1.8 -> ceil(3.6) = 4.
    const r = resourceUtilizationReplicas(2, { targetUtilization: 50, resource: "cpu", pods, metrics: metrics({ a: 90, b: 90 }), requests: podRequests(pods, "cpu") }, o);
    assert.deepEqual([r.replicas, r.utilization, r.rawAverageMilli], [4, 90, 90]);
    assert.equal(cpuReplicas(4, [pod("a"), pod("b"), pod("c"), pod("d")], metrics({ a: 10, b: 10, c: 10, d: 10 })), 1);
  });

  it("stays within the 0.1 tolerance", () => {
    const pods = [pod("a"), pod("b")];
    assert.equal(cpuReplicas(2, pods, metrics({ a: 54, b: 55 })), 2, "1.09 is within tolerance");
    assert.equal(cpuReplicas(2, pods, metrics({ a: 45, b: 45 })), 2, "0.9 is within tolerance");
    assert.equal(cpuReplicas(2, pods, metrics({ a: 56, b: 56 })), 3, "1.12 is not");
  });

  it("counts missing pods as 0 on a scale up and as 100% of request on a scale down", () => {
    const pods = [pod("a"), pod("b"), pod("c"), pod("d")];
    // Two pods at 100% of 50%, two without metrics: as 0 -> ratio 1.0 -> stay.
    assert.equal(cpuReplicas(4, pods, metrics({ a: 100, b: 100 })), 4);
    // Two at 150%: with missing as 0 the ratio is 1.5 -> ceil(1.5 * 4) = 6.
    assert.equal(cpuReplicas(4, pods, metrics({ a: 150, b: 150 })), 6);
    // Two at 10% (ratio 0.2): missing pods at 100% make it (10+10+100+100)/4 = 55% -> 1.1, the direction flips: stay.
    assert.equal(cpuReplicas(4, pods, metrics({ a: 10, b: 10 })), 4);
    // With a target of 80%, the same gives 55/80 = 0.69 -> ceil(0.69 * 4) = 3.
    assert.equal(cpuReplicas(4, pods, metrics({ a: 10, b: 10 }), 80), 3);
  });

  it("counts not-yet-ready pods as 0, only when scaling up", () => {
    const pods = [pod("a"), pod("b"), pod("c", { ready: false, startedAgo: 10_000 })];
    // Ready pods at 100% of 50% target (ratio 2): the unready one counts as 0 -> 200/3 = 66% -> 1.33 -> ceil(4) = 4.
    assert.equal(cpuReplicas(3, pods, metrics({ a: 100, b: 100, c: 500 })), 4);
    // Scaling down: the unready pod is left out entirely: 10% -> ratio 0.2 -> ceil(0.4) = 1.
    assert.equal(cpuReplicas(3, pods, metrics({ a: 10, b: 10, c: 500 })), 1);
    // A pod that just turned ready within its cpu initialization period has not been measured a whole window yet.
    const warm = [pod("a"), pod("b", { startedAgo: 60_000, readyAgo: 5_000 })];
    // a at 150% (ratio 3) scales up; b's 900% is not trusted yet and counts as 0: 75% -> 1.5 -> ceil(3) = 3.
    assert.equal(cpuReplicas(2, warm, metrics({ a: 150, b: 900 })), 3);
  });

  it("ignores deleting and failed pods, and treats pending pods as unready", () => {
    const pods = [pod("a"), pod("b", { deleting: true }), pod("c", { phase: "Failed" }), pod("d", { phase: "Pending" })];
    // a at 60% (1.2), d pending counts as 0 on the way up: (60+0)/2 = 30% -> flips direction: stay at 2.
    assert.equal(cpuReplicas(2, pods, metrics({ a: 60, b: 1000, c: 1000 })), 2);
  });

  it("fails without pods, without metrics, and without requests", () => {
    assert.throws(() => cpuReplicas(1, [], metrics({})), /no pods returned by selector/);
    assert.throws(() => cpuReplicas(1, [pod("a")], metrics({})), /did not receive metrics/);
    const noRequest: Pod = { metadata: { name: "a" }, spec: { containers: [{ name: "c", image: "x" }] } };
    assert.throws(() => podRequests([noRequest], "cpu"), /missing request for cpu in container c of Pod a/);
  });
});

describe("replica calculator: average values and object values", () => {
  it("average value per pod with missing pods at the target on a scale down", () => {
    const pods = [pod("a"), pod("b"), pod("c")];
    assert.equal(averageValueReplicas(3, { targetMilli: 10_000, pods, metrics: metrics({ a: 30_000, b: 30_000, c: 30_000 }) }, o).replicas, 9);
    // Two at 2 (target 10): missing c counts as 10 -> avg 4.67 -> ceil(0.467 * 3) = 2.
    assert.equal(averageValueReplicas(3, { targetMilli: 10_000, pods, metrics: metrics({ a: 2_000, b: 2_000 }) }, o).replicas, 2);
  });

  it("object Value targets scale with the ready pods; AverageValue divides the total", () => {
    assert.equal(valueReplicas(3, { usageMilli: 200_000, targetMilli: 100_000, readyPods: 3 }, o), 6);
    assert.equal(valueReplicas(3, { usageMilli: 105_000, targetMilli: 100_000, readyPods: 3 }, o), 3);
    assert.deepEqual(averageOfValueReplicas(2, { usageMilli: 500_000, targetAverageMilli: 100_000 }, o), { replicas: 5, averageMilli: 250_000 });
    assert.deepEqual(averageOfValueReplicas(5, { usageMilli: 510_000, targetAverageMilli: 100_000 }, o), { replicas: 5, averageMilli: 102_000 });
  });
});

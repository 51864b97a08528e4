import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HorizontalPodAutoscalerBehavior } from "kubernetes-types/autoscaling/v2.js";
import { ScalingHistory, scaleDownLimit, scaleUpLimit } from "./behavior.js";

const T0 = Date.UTC(2026, 0, 1);
const NONE = { up: [], down: [] };
const s = (n: number): number => T0 + n * 1000;
const DEFAULT_BEHAVIOR: HorizontalPodAutoscalerBehavior = {
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
};

describe("scaling policies", () => {
  it("Max picks the policy allowing the biggest change, Min the smallest, Disabled none", () => {
    const rules = DEFAULT_BEHAVIOR.scaleUp!;
    assert.equal(scaleUpLimit(2, NONE, rules, T0), 6, "max(2 + 4, 2 * 2)");
    assert.equal(scaleUpLimit(10, NONE, rules, T0), 20, "max(10 + 4, 10 * 2)");
    assert.equal(scaleUpLimit(10, NONE, { ...rules, selectPolicy: "Min" }, T0), 14);
    assert.equal(scaleUpLimit(10, NONE, { ...rules, selectPolicy: "Disabled" }, T0), 10);
    assert.equal(scaleDownLimit(10, NONE, { policies: [{ type: "Pods", value: 3, periodSeconds: 60 }, { type: "Percent", value: 50, periodSeconds: 60 }] }, T0), 5);
    assert.equal(scaleDownLimit(10, NONE, { selectPolicy: "Min", policies: [{ type: "Pods", value: 3, periodSeconds: 60 }, { type: "Percent", value: 50, periodSeconds: 60 }] }, T0), 7);
  });

  it("changes within the period count against the policy", () => {
    const rules = { policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] };
    // Went 4 -> 6 twenty seconds ago: the period started at 4, so at most 6 now.
    assert.equal(scaleUpLimit(6, { up: [{ at: s(-20), value: 2 }], down: [] }, rules, T0), 6);
    assert.equal(scaleUpLimit(6, { up: [{ at: s(-61), value: 2 }], down: [] }, rules, T0), 8, "the event left the period");
    // Went 10 -> 6 (30 s ago) -> 8 (10 s ago): the period started at 10, so 2 pods either way gives 8 and 12.
    const both = { up: [{ at: s(-10), value: 2 }], down: [{ at: s(-30), value: 4 }] };
    assert.equal(scaleDownLimit(8, both, rules, T0), 8);
    assert.equal(scaleUpLimit(8, both, rules, T0), 12);
  });
});

describe("stabilization and limits", () => {
  it("without behavior: the highest recommendation of the last 5 minutes, min/max, at most max(2x, 4) up", () => {
    const h = new ScalingHistory();
    const args = { minReplicas: 2, maxReplicas: 10 };
    assert.deepEqual(h.normalize({ ...args, current: 2, desired: 9, now: s(0) }).replicas, 4, "2 * 2 = 4 (minimum 4)");
    const up = h.normalize({ ...args, current: 4, desired: 20, now: s(15) });
    assert.equal(up.replicas, 8);
    assert.deepEqual([up.limit.reason, up.limit.limited], ["ScaleUpLimit", true]);
    const max = h.normalize({ ...args, current: 8, desired: 20, now: s(30) });
    assert.deepEqual([max.replicas, max.limit.reason], [10, "TooManyReplicas"]);
    // Load drops: recommendations of 20 within the window hold the count.
    const held = h.normalize({ ...args, current: 10, desired: 1, now: s(60) });
    assert.deepEqual([held.replicas, held.stabilized?.reason], [10, "ScaleDownStabilized"]);
    // Five minutes after the last high recommendation the low one wins, limited by minReplicas.
    const down = h.normalize({ ...args, current: 10, desired: 1, now: s(331) });
    assert.deepEqual([down.replicas, down.limit.reason, down.limit.limited], [2, "TooFewReplicas", true]);
  });

  it("with behavior: scale up at once, scale down after the window, within the policies", () => {
    const h = new ScalingHistory();
    const b: HorizontalPodAutoscalerBehavior = { ...DEFAULT_BEHAVIOR, scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 30 }] } };
    const args = { minReplicas: 2, maxReplicas: 10 };
    let r = h.normalizeWithBehavior({ ...args, current: 2, desired: 10, now: s(0) }, b);
    assert.equal(r.replicas, 6, "2 + 4 pods in 15 s");
    h.recordScale(2, 6, s(0), b);
    r = h.normalizeWithBehavior({ ...args, current: 6, desired: 10, now: s(5) }, b);
    assert.deepEqual([r.replicas, r.limit.reason], [6, "ScaleUpLimit"], "the period's budget is spent");
    r = h.normalizeWithBehavior({ ...args, current: 6, desired: 10, now: s(16) }, b);
    assert.equal(r.replicas, 10);
    h.recordScale(6, 10, s(16), b);
    r = h.normalizeWithBehavior({ ...args, current: 10, desired: 2, now: s(30) }, b);
    assert.deepEqual([r.replicas, r.stabilized?.reason], [10, "ScaleDownStabilized"]);
    r = h.normalizeWithBehavior({ ...args, current: 10, desired: 2, now: s(77) }, b);
    assert.deepEqual([r.replicas, r.limit.reason], [8, "ScaleDownLimit"], "past the window, 2 pods per 30 s");
    h.recordScale(10, 8, s(77), b);
    r = h.normalizeWithBehavior({ ...args, current: 8, desired: 2, now: s(90) }, b);
    assert.equal(r.replicas, 8);
    r = h.normalizeWithBehavior({ ...args, current: 8, desired: 2, now: s(108) }, b);
    assert.equal(r.replicas, 6);
  });

  it("a scale-up stabilization window takes the lowest recent recommendation", () => {
    const h = new ScalingHistory();
    const b: HorizontalPodAutoscalerBehavior = { ...DEFAULT_BEHAVIOR, scaleUp: { ...DEFAULT_BEHAVIOR.scaleUp, stabilizationWindowSeconds: 60 } };
    const args = { minReplicas: 1, maxReplicas: 10 };
    h.normalizeWithBehavior({ ...args, current: 2, desired: 2, now: s(0) }, b);
    const r = h.normalizeWithBehavior({ ...args, current: 2, desired: 5, now: s(15) }, b);
    assert.deepEqual([r.replicas, r.stabilized?.reason], [2, "ScaleUpStabilized"]);
    assert.equal(h.normalizeWithBehavior({ ...args, current: 2, desired: 5, now: s(61) }, b).replicas, 5);
  });

  it("selectPolicy Disabled keeps the count", () => {
    const h = new ScalingHistory();
    const b: HorizontalPodAutoscalerBehavior = { ...DEFAULT_BEHAVIOR, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: "Disabled", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } };
    assert.equal(h.normalizeWithBehavior({ minReplicas: 1, maxReplicas: 10, current: 5, desired: 1, now: s(0) }, b).replicas, 5);
  });
});

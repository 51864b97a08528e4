// The per-resource scoring functions of NodeResourcesFit and BalancedAllocation. Inputs are amounts in scheduler
// units; outputs are integer scores 0..MAX_NODE_SCORE, rounded the way Kubernetes' integer arithmetic does.
import { MAX_NODE_SCORE } from "../../framework/types.js";
import type { UtilizationShapePoint } from "./args.js";

/** Free share of capacity after placing the pod. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Used share of capacity after placing the pod (bin packing). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

/** Configured shape scores (0..10) become 0..MAX_NODE_SCORE. */
const SHAPE_SCALE = MAX_NODE_SCORE / 10;

/** A piecewise-linear function of utilization through the shape's points, flat beyond its ends. */
export function brokenLinear(shape: UtilizationShapePoint[], utilization: number): number {
  const pts = shape.map((p) => ({ x: p.utilization, y: p.score * SHAPE_SCALE }));
  if (pts.length === 0) return 0;
  if (utilization <= pts[0]!.x) return pts[0]!.y;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (utilization <= b.x) return Math.trunc(a.y + ((b.y - a.y) * (utilization - a.x)) / (b.x - a.x));
  }
  return pts[pts.length - 1]!.y;
}

export function requestedToCapacityRatioScore(shape: UtilizationShapePoint[], requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  const utilization = Math.trunc((Math.min(requested, capacity) * 100) / capacity);
  return brokenLinear(shape, utilization);
}

/** Balance across resources: 100 when every resource is used to the same fraction, lower the more they differ. */
export function balancedScore(fractions: number[], n = fractions.length): number {
  if (n === 0) return 0;
  let std = 0;
  if (n === 2) std = Math.abs((Math.min(fractions[0]!, 1) - Math.min(fractions[1]!, 1)) / 2);
  else if (n > 2) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.min(fractions[i]!, 1);
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (Math.min(fractions[i]!, 1) - mean) ** 2;
    std = Math.sqrt(sq / n);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

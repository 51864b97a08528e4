// How fast an HPA may move: stabilization windows over recent recommendations, and scaling policies (Pods or
// Percent per period) over recent scale events, as Kubernetes' HPA normalizes a desired count. One
// ScalingHistory per HPA lives in the controller's memory (as in Kubernetes: a restart forgets it).
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from "kubernetes-types/autoscaling/v2.js";

export interface TimedValue {
  at: number;
  value: number;
}

export interface Limited {
  replicas: number;
  /** AbleToScale reason/message from stabilization, ScalingLimited reason/message from the limits. */
  stabilized: { reason: string; message: string } | undefined;
  limit: { reason: string; message: string; limited: boolean };
}

/** Kubernetes' --horizontal-pod-autoscaler-downscale-stabilization default. */
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 5 * 60_000;
/** Without behavior, one step up goes at most to max(2 * current, 4). */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const READY_FOR_NEW_SCALE = { reason: "ReadyForNewScale", message: "recommended size matches current size" };
const UP_STABILIZED = { reason: "ScaleUpStabilized", message: "recent recommendations were lower than current one, applying the lowest recent recommendation" };
const DOWN_STABILIZED = { reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" };
const WITHIN_RANGE = { reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
const TOO_MANY = { reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count" };
const TOO_FEW = { reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
const UP_LIMIT = { reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate" };
const DOWN_LIMIT = { reason: "ScaleDownLimit", message: "the desired replica count is decreasing faster than the maximum scale rate" };

/** Replicas added (or removed) by the events within the last period. */
function changeInPeriod(events: TimedValue[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((s, e) => s + e.value, 0);
}

/** Replicas at the start of a policy's period: both directions' events within it are undone. */
function periodStart(current: number, events: ScaleEvents, periodSeconds: number, now: number): number {
  return current - changeInPeriod(events.up, periodSeconds, now) + changeInPeriod(events.down, periodSeconds, now);
}

export interface ScaleEvents {
  up: TimedValue[];
  down: TimedValue[];
}

export function scaleUpLimit(current: number, events: ScaleEvents, rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pick = rules.selectPolicy === "Min" ? Math.min : Math.max;
  let result = rules.selectPolicy === "Min" ? Infinity : -Infinity;
  for (const p of rules.policies ?? []) {
    const start = periodStart(current, events, p.periodSeconds, now);
    // Percent rounds up, or a small target could never grow.
    const proposed = p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

export function scaleDownLimit(current: number, events: ScaleEvents, rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  // For scaling down the smallest change is the largest count.
  const pick = rules.selectPolicy === "Min" ? Math.max : Math.min;
  let result = rules.selectPolicy === "Min" ? -Infinity : Infinity;
  for (const p of rules.policies ?? []) {
    const start = periodStart(current, events, p.periodSeconds, now);
    const proposed = p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

export interface NormalizeArgs {
  current: number;
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  now: number;
}

export class ScalingHistory {
  private recommendations: TimedValue[] = [];
  private upEvents: TimedValue[] = [];
  private downEvents: TimedValue[] = [];

  constructor(private readonly downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS) {}

  /** Without spec.behavior: the highest recommendation of the downscale window, then min/max and the fixed
   *  scale-up limit. */
  normalize(a: NormalizeArgs): Limited {
    const cutoff = a.now - this.downscaleStabilizationMs;
    this.recommendations = this.recommendations.filter((r) => r.at > cutoff);
    this.recommendations.push({ at: a.now, value: a.desired });
    const stabilized = Math.max(...this.recommendations.map((r) => r.value));
    const upLimit = Math.max(SCALE_UP_LIMIT_FACTOR * a.current, SCALE_UP_LIMIT_MINIMUM);
    const [allowedMax, maxWhy] = a.maxReplicas > upLimit ? [upLimit, UP_LIMIT] : [a.maxReplicas, TOO_MANY];
    let replicas = stabilized;
    let limit = WITHIN_RANGE;
    if (stabilized < a.minReplicas) [replicas, limit] = [a.minReplicas, TOO_FEW];
    else if (stabilized > allowedMax) [replicas, limit] = [allowedMax, maxWhy];
    return { replicas, stabilized: stabilized !== a.desired ? DOWN_STABILIZED : READY_FOR_NEW_SCALE, limit: { ...limit, limited: replicas !== stabilized } };
  }

  /** With spec.behavior (defaults filled): both stabilization windows, then the policies' rate limits. */
  normalizeWithBehavior(a: NormalizeArgs, behavior: HorizontalPodAutoscalerBehavior): Limited {
    const up: HPAScalingRules = behavior.scaleUp ?? {};
    const down: HPAScalingRules = behavior.scaleDown ?? {};
    const upCutoff = a.now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = a.now - (down.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000) * 1000;
    let upRec = a.desired;
    let downRec = a.desired;
    for (const r of this.recommendations) {
      if (r.at > upCutoff) upRec = Math.min(upRec, r.value);
      if (r.at > downCutoff) downRec = Math.max(downRec, r.value);
    }
    // Recommendations older than both windows are of no use any more.
    this.recommendations = this.recommendations.filter((r) => r.at > upCutoff || r.at > downCutoff);
    this.recommendations.push({ at: a.now, value: a.desired });
    const stabilized = Math.min(Math.max(a.current, upRec), downRec);
    const stabilizedInfo = stabilized === a.desired ? READY_FOR_NEW_SCALE : a.desired >= a.current ? UP_STABILIZED : DOWN_STABILIZED;
    let replicas = stabilized;
    let limit = WITHIN_RANGE;
    if (stabilized > a.current) {
      const rate = Math.max(scaleUpLimit(a.current, { up: this.upEvents, down: this.downEvents }, up, a.now), a.current);
      const [allowed, why] = a.maxReplicas > rate ? [rate, UP_LIMIT] : [a.maxReplicas, TOO_MANY];
      if (stabilized > allowed) [replicas, limit] = [allowed, why];
    } else if (stabilized < a.current) {
      const rate = Math.min(scaleDownLimit(a.current, { up: this.upEvents, down: this.downEvents }, down, a.now), a.current);
      const [allowed, why] = a.minReplicas < rate ? [rate, DOWN_LIMIT] : [a.minReplicas, TOO_FEW];
      if (stabilized < allowed) [replicas, limit] = [allowed, why];
    }
    return { replicas, stabilized: stabilizedInfo, limit: { ...limit, limited: replicas !== stabilized } };
  }

  /** Remembers a rescale for the policies' periods; events older than the longest period are dropped. */
  recordScale(from: number, to: number, now: number, behavior?: HorizontalPodAutoscalerBehavior): void {
    const longest = (r?: HPAScalingRules): number => Math.max(0, ...(r?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
    if (to > from) {
      this.upEvents = this.upEvents.filter((e) => e.at > now - longest(behavior?.scaleUp));
      this.upEvents.push({ at: now, value: to - from });
    } else if (to < from) {
      this.downEvents = this.downEvents.filter((e) => e.at > now - longest(behavior?.scaleDown));
      this.downEvents.push({ at: now, value: from - to });
    }
  }
}

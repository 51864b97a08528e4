// Which pods a running Job creates or removes next. NonIndexed: up to parallelism, no more than the completions
// still missing; surplus pods go not-ready first, then newest. Indexed: one pod per pending index, lowest first;
// duplicates, pods of finished or failed indexes and pods beyond parallelism (highest index first) go.
import { isPodReady, timeMs, type PodObject } from "../replicaset/pod_utils.js";
import { completionIndex, indexFailureCount, isTerminating, type JobObject } from "./job_pods.js";
import { matchPodFailurePolicy } from "./pod_failure_policy.js";

export interface Plan {
  create: Array<{ index?: number; failureCount?: number }>;
  remove: PodObject[];
}

/** Removal order: not ready before ready, then newest first (the least progress lost). */
function byRemovalPreference(a: PodObject, b: PodObject): number {
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  return timeMs(b.metadata?.creationTimestamp) - timeMs(a.metadata?.creationTimestamp);
}

/** Replacements wait for terminating pods to reach Failed when failures are judged on the final phase. */
export function onlyReplaceFailed(job: JobObject): boolean {
  return Boolean(job.spec?.podFailurePolicy) || job.spec?.podReplacementPolicy === "Failed";
}

export function planNonIndexed(active: PodObject[], succeeded: number, completions: number | undefined, parallelism: number, terminating: number): Plan {
  let want = parallelism;
  if (completions !== undefined) want = Math.max(0, Math.min(parallelism, completions - succeeded));
  // Work-queue Jobs (no completions): once one pod succeeded no new ones start; the rest finish on their own.
  else if (succeeded > 0) want = Math.min(want, active.length);
  if (active.length > want) return { create: [], remove: [...active].sort(byRemovalPreference).slice(0, active.length - want) };
  return { create: Array.from({ length: Math.max(0, want - active.length - terminating) }, () => ({})), remove: [] };
}

export function planIndexed(
  job: JobObject,
  pods: PodObject[],
  active: PodObject[],
  completed: Set<number>,
  failed: Set<number>,
  completions: number,
  parallelism: number,
): Plan {
  const remove: PodObject[] = [];
  const keep = new Map<number, PodObject>();
  for (const pod of [...active].sort((a, b) => -byRemovalPreference(a, b))) {
    const idx = completionIndex(pod, completions);
    if (idx === undefined || completed.has(idx) || failed.has(idx) || keep.has(idx)) remove.push(pod);
    else keep.set(idx, pod);
  }
  // Too many for parallelism: the highest indexes go first.
  const kept = [...keep.entries()].sort((a, b) => a[0] - b[0]);
  while (kept.length > parallelism) remove.push(kept.pop()![1]);
  const blocked = new Set(kept.map(([i]) => i));
  // Replacements wait for terminating pods only when failures are judged on the final state.
  if (onlyReplaceFailed(job))
    for (const p of pods) if (isTerminating(p)) blocked.add(completionIndex(p, completions) ?? -1);
  const create: Plan["create"] = [];
  for (let i = 0; i < completions && kept.length + create.length < parallelism; i++) {
    if (completed.has(i) || failed.has(i) || blocked.has(i)) continue;
    let failureCount = 0;
    for (const p of pods)
      if (completionIndex(p, completions) === i && p.status?.phase === "Failed" && matchPodFailurePolicy(job.spec?.podFailurePolicy, p)?.action !== "Ignore")
        failureCount = Math.max(failureCount, indexFailureCount(p) + 1);
    create.push({ index: i, failureCount });
  }
  return { create, remove };
}

// What a StatefulSet does next, as a pure function of its pods: the Kubernetes StatefulSet algorithm.
// 1. Members (ordinals start..start+replicas-1), lowest first: a failed or succeeded pod is deleted (to be
//    recreated under the same name); a missing one is created (below the partition from the current revision,
//    otherwise from the update revision).
// 2. Condemned pods (ordinals beyond the replicas), highest first, are deleted.
// 3. RollingUpdate: outdated members from the highest ordinal down to the partition are deleted while fewer than
//    maxUnavailable members are unavailable; OnDelete leaves that to the user.
// With podManagementPolicy OrderedReady every step waits for what came before: one action at a time, nothing while
// a member is not Running and Ready (or a pod is still terminating). Parallel does all of a phase at once.
import type { StatefulSet } from "kubernetes-types/apps/v1.js";
import { scaledValueFromIntOrPercent } from "../../machinery/intstr.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { isFailed, isHealthy, isSucceeded, isTerminating, revisionOf, startOrdinal } from "./stateful_pods.js";

export type Action = { type: "create"; ordinal: number; useCurrent: boolean } | { type: "delete"; pod: PodObject; why: "failed" | "condemned" | "update" };

export interface PlanInput {
  set: StatefulSet;
  /** Pods of the set by ordinal (members and condemned alike). */
  pods: Map<number, PodObject>;
  currentRevision: string;
  updateRevision: string;
  nowMs: number;
}

export interface Plan {
  actions: Action[];
  /** Why an OrderedReady set stopped early (for logs), if it did. */
  waitingFor?: string;
}

export function partitionOf(set: StatefulSet): number {
  return set.spec?.updateStrategy?.type === "OnDelete" ? 0 : (set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0);
}

export function planStatefulSet(input: PlanInput): Plan {
  const { set, pods, nowMs } = input;
  const monotonic = set.spec?.podManagementPolicy !== "Parallel";
  const start = startOrdinal(set);
  const replicas = set.spec?.replicas ?? 1;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const partition = partitionOf(set);
  const actions: Action[] = [];
  const done = (waitingFor?: string): Plan => ({ actions, waitingFor });

  for (let ord = start; ord < start + replicas; ord++) {
    const pod = pods.get(ord);
    if (pod && !isTerminating(pod) && (isFailed(pod) || isSucceeded(pod))) {
      actions.push({ type: "delete", pod, why: "failed" });
      if (monotonic) return done();
      continue;
    }
    if (!pod) {
      // Below the partition new pods keep the current revision (RollingUpdate only).
      const useCurrent = set.spec?.updateStrategy?.type !== "OnDelete" && input.currentRevision !== input.updateRevision && ord < start + partition;
      actions.push({ type: "create", ordinal: ord, useCurrent });
      if (monotonic) return done(`pod ${ord} to be created`);
      continue;
    }
    if (monotonic && isTerminating(pod)) return done(`pod ${ord} to terminate`);
    if (monotonic && !isHealthy(pod, minReady, nowMs)) return done(`pod ${ord} to be Running and Ready`);
  }

  const condemned = [...pods.entries()].filter(([ord]) => ord < start || ord >= start + replicas).sort((a, b) => b[0] - a[0]);
  for (const [ord, pod] of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return done(`pod ${ord} to terminate`);
      continue;
    }
    actions.push({ type: "delete", pod, why: "condemned" });
    if (monotonic) return done();
  }
  if (monotonic && actions.length) return done();

  if (set.spec?.updateStrategy?.type === "OnDelete") return done();
  const maxUnavailable = Math.max(1, scaledValueFromIntOrPercent(set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, replicas, false));
  let unavailable = 0;
  for (let ord = start; ord < start + replicas; ord++) {
    const pod = pods.get(ord);
    if (!pod || !isHealthy(pod, minReady, nowMs) || actions.some((a) => a.type === "delete" && a.pod === pod)) unavailable++;
  }
  for (let ord = start + replicas - 1; ord >= start + partition; ord--) {
    const pod = pods.get(ord);
    if (!pod || isTerminating(pod) || revisionOf(pod) === input.updateRevision) continue;
    if (unavailable >= maxUnavailable) return done(`at most ${maxUnavailable} unavailable during the update`);
    // An outdated pod that is unavailable anyway is already counted; replacing it costs nothing more.
    if (isHealthy(pod, minReady, nowMs)) unavailable++;
    actions.push({ type: "delete", pod, why: "update" });
  }
  return done();
}

// Deployment status and its conditions: replica counts summed from the ReplicaSets; Available (enough pods
// available, i.e. at least replicas - maxUnavailable); Progressing (NewReplicaSetCreated / FoundNewReplicaSet /
// ReplicaSetUpdated while moving, NewReplicaSetAvailable once complete, ProgressDeadlineExceeded when nothing moved
// for progressDeadlineSeconds, DeploymentPaused / DeploymentResumed); ReplicaFailure mirrored from ReplicaSets.
import type { DeploymentStatus } from "kubernetes-types/apps/v1.js";
import type { DeploymentSync } from "./deployment_sync.js";
import { normalize } from "./hash.js";
import { timeMs } from "../replicaset/pod_utils.js";
import {
  AVAILABLE,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  maxUnavailable,
  newCondition,
  progressDeadlineSeconds,
  PROGRESSING,
  reasons,
  removeCondition,
  REPLICA_FAILURE,
  replicasOf,
  setCondition,
  sumSpec,
  sumStatus,
  type DeploymentObject,
  type ReplicaSetObject,
} from "./util.js";

export function calculateStatus(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, d: DeploymentObject, nowMs: number): DeploymentStatus {
  const available = sumStatus(all, "availableReplicas");
  const unavailable = Math.max(0, sumSpec(all) - available);
  let status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: sumStatus(all, "replicas"),
    updatedReplicas: newRS ? sumStatus([newRS], "replicas") : 0,
    readyReplicas: sumStatus(all, "readyReplicas"),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    collisionCount: d.status?.collisionCount,
    conditions: [...(d.status?.conditions ?? [])],
  };
  status =
    available >= replicasOf(d) - maxUnavailable(d)
      ? setCondition(status, newCondition(AVAILABLE, "True", reasons.minimumAvailable, "Deployment has minimum availability.", nowMs))
      : setCondition(status, newCondition(AVAILABLE, "False", reasons.minimumUnavailable, "Deployment does not have minimum availability.", nowMs));
  return status;
}

const sameStatus = (a: DeploymentStatus | undefined, b: DeploymentStatus): boolean => JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));

/**
 * Status plus the Progressing condition after a rollout step (syncRolloutStatus). When nothing changed and the
 * rollout is still under way, asks to be looked at again when the progress deadline would pass.
 */
export async function syncRolloutStatus(ctx: DeploymentSync, all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
  const d = ctx.d;
  const now = ctx.now();
  let status = calculateStatus(all, newRS, d, now);
  const deadline = progressDeadlineSeconds(d);
  if (deadline === undefined) status = removeCondition(status, PROGRESSING);
  const current = getCondition(status, PROGRESSING);
  const complete = status.replicas === status.updatedReplicas && current?.reason === reasons.newRSAvailable;
  if (deadline !== undefined && !complete) {
    const rsName = newRS?.metadata?.name;
    const who = newRS ? `ReplicaSet "${rsName}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, status)) {
      status = setCondition(status, newCondition(PROGRESSING, "True", reasons.newRSAvailable, `${who} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      const c = newCondition(PROGRESSING, "True", reasons.rsUpdated, `${who} is progressing.`, now);
      // Progress refreshes lastUpdateTime (the deadline counts from it) but keeps the transition time.
      if (current?.status === "True") c.lastTransitionTime = current.lastTransitionTime;
      status = setCondition(removeCondition(status, PROGRESSING), c);
    } else if (deploymentTimedOut(d, status, now)) {
      status = setCondition(status, newCondition(PROGRESSING, "False", reasons.timedOut, `${who} has timed out progressing.`, now));
    }
  }
  const failures = all.map((rs) => rs.status?.conditions?.find((c) => c.type === REPLICA_FAILURE && c.status === "True")).filter((c) => c !== undefined);
  if (failures.length) {
    const f = failures[0]!;
    status = setCondition(status, newCondition(REPLICA_FAILURE, f.status, f.reason ?? "", f.message ?? "", timeMs(f.lastTransitionTime) || now));
  } else status = removeCondition(status, REPLICA_FAILURE);

  if (sameStatus(d.status, status)) {
    requeueStuck(ctx, status);
    return;
  }
  await ctx.writeStatus(status);
}

/** A rollout that stopped moving must still time out: come back when its progress deadline passes. */
function requeueStuck(ctx: DeploymentSync, status: DeploymentStatus): void {
  const d = ctx.d;
  const deadline = progressDeadlineSeconds(d);
  const c = getCondition(status, PROGRESSING);
  if (deadline === undefined || !c || deploymentComplete(d, status) || c.reason === reasons.timedOut) return;
  const after = timeMs(c.lastUpdateTime) + deadline * 1000 - ctx.now();
  // Within a second of the deadline: check right away (Kubernetes does the same to avoid a hot loop of tiny waits).
  ctx.requeueAfterMs = after < 1000 ? 0 : after;
}

/** Progressing=Unknown DeploymentPaused when paused, DeploymentResumed when resumed; a timeout is left alone. */
export async function checkPausedConditions(ctx: DeploymentSync): Promise<void> {
  const d = ctx.d;
  if (progressDeadlineSeconds(d) === undefined) return;
  const c = getCondition(d.status, PROGRESSING);
  if (c?.reason === reasons.timedOut) return;
  const pausedCond = c?.reason === reasons.paused;
  let status = d.status ?? {};
  if (d.spec?.paused && !pausedCond) status = setCondition(status, newCondition(PROGRESSING, "Unknown", reasons.paused, "Deployment is paused", ctx.now()));
  else if (!d.spec?.paused && pausedCond) status = setCondition(status, newCondition(PROGRESSING, "Unknown", reasons.resumed, "Deployment is resumed", ctx.now()));
  else return;
  await ctx.writeStatus(status);
}

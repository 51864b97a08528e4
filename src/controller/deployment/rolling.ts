// The RollingUpdate strategy. Each step either scales the new ReplicaSet up (keeping the total within
// replicas + maxSurge) or scales old ReplicaSets down (keeping available pods at least replicas - maxUnavailable,
// first removing old pods that are not available anyway), then reports progress. Once the new ReplicaSet holds
// every replica and they are available, surplus history is cleaned up.
import type { DeploymentSync } from "./deployment_sync.js";
import { syncRolloutStatus } from "./progress.js";
import {
  byCreation,
  deploymentComplete,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  specReplicas,
  sumSpec,
  sumStatus,
  type ReplicaSetObject,
} from "./util.js";

export async function rolloutRolling(ctx: DeploymentSync): Promise<void> {
  let { newRS, oldRSs } = await ctx.getAllReplicaSetsAndSyncRevision(true);
  const all = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])];
  const up = await reconcileNewReplicaSet(ctx, all(), newRS);
  if (up.scaled) {
    newRS = up.rs;
    return syncRolloutStatus(ctx, all(), newRS);
  }
  const down = await reconcileOldReplicaSets(ctx, all(), oldRSs, newRS);
  oldRSs = down.oldRSs;
  if (down.scaled) return syncRolloutStatus(ctx, all(), newRS);
  if (deploymentComplete(ctx.d, { ...ctx.d.status, ...statusCounts(all(), newRS, ctx) })) await ctx.cleanupDeployment(oldRSs);
  return syncRolloutStatus(ctx, all(), newRS);
}

function statusCounts(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, ctx: DeploymentSync) {
  return {
    observedGeneration: ctx.d.metadata?.generation,
    replicas: sumStatus(all, "replicas"),
    updatedReplicas: newRS ? sumStatus([newRS], "replicas") : 0,
    availableReplicas: sumStatus(all, "availableReplicas"),
  };
}

async function reconcileNewReplicaSet(ctx: DeploymentSync, all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<{ scaled: boolean; rs?: ReplicaSetObject }> {
  if (!newRS) return { scaled: false };
  const desired = replicasOf(ctx.d);
  if (specReplicas(newRS) === desired) return { scaled: false, rs: newRS };
  // Scaled down (the Deployment shrank): go straight to the desired size.
  if (specReplicas(newRS) > desired) return ctx.scaleIfNeeded(newRS, desired);
  return ctx.scaleIfNeeded(newRS, newRSNewReplicas(ctx.d, all, newRS));
}

async function reconcileOldReplicaSets(
  ctx: DeploymentSync,
  all: ReplicaSetObject[],
  oldRSs: ReplicaSetObject[],
  newRS: ReplicaSetObject | undefined,
): Promise<{ scaled: boolean; oldRSs: ReplicaSetObject[] }> {
  if (sumSpec(oldRSs) === 0) return { scaled: false, oldRSs };
  let allPods = sumSpec(all);
  const minAvailable = replicasOf(ctx.d) - maxUnavailable(ctx.d);
  const newUnavailable = specReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { scaled: false, oldRSs };
  // Old pods that are not available cost no availability: remove them first, within what may go.
  const cleaned = await cleanupUnhealthyReplicas(ctx, oldRSs, maxScaledDown);
  allPods -= cleaned.count;
  const current = [...cleaned.oldRSs, ...(newRS ? [newRS] : [])];
  const down = await scaleDownOldReplicaSets(ctx, current, cleaned.oldRSs);
  return { scaled: cleaned.count + down.count > 0, oldRSs: down.oldRSs };
}

async function cleanupUnhealthyReplicas(ctx: DeploymentSync, oldRSs: ReplicaSetObject[], maxCleanup: number): Promise<{ count: number; oldRSs: ReplicaSetObject[] }> {
  const result = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < result.length && total < maxCleanup; i++) {
    const rs = result[i]!;
    if (specReplicas(rs) === 0) continue;
    const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxCleanup - total, unhealthy);
    const res = await ctx.scaleIfNeeded(rs, specReplicas(rs) - n);
    result[i] = res.rs;
    total += n;
  }
  return { count: total, oldRSs: result };
}

async function scaleDownOldReplicaSets(ctx: DeploymentSync, all: ReplicaSetObject[], oldRSs: ReplicaSetObject[]): Promise<{ count: number; oldRSs: ReplicaSetObject[] }> {
  const minAvailable = replicasOf(ctx.d) - maxUnavailable(ctx.d);
  const available = sumStatus(all, "availableReplicas");
  if (available <= minAvailable) return { count: 0, oldRSs };
  const budget = available - minAvailable;
  const result = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < result.length && total < budget; i++) {
    const rs = result[i]!;
    if (specReplicas(rs) === 0) continue;
    const n = Math.min(specReplicas(rs), budget - total);
    const res = await ctx.scaleIfNeeded(rs, specReplicas(rs) - n);
    result[i] = res.rs;
    total += n;
  }
  return { count: total, oldRSs: result };
}

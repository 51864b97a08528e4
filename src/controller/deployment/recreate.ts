// The Recreate strategy: scale every old ReplicaSet to zero, wait until none of their pods is left running,
// then create (or scale up) the new ReplicaSet to the full size.
import type { DeploymentSync } from "./deployment_sync.js";
import { syncRolloutStatus } from "./progress.js";
import { deploymentComplete, filterActive, replicasOf, sumStatus, type ReplicaSetObject } from "./util.js";

export async function rolloutRecreate(ctx: DeploymentSync): Promise<void> {
  let { newRS, oldRSs } = await ctx.getAllReplicaSetsAndSyncRevision(false);
  const all = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])];
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    const res = await ctx.scaleIfNeeded(rs, 0);
    scaledDown ||= res.scaled;
  }
  oldRSs = ctx.rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
  if (scaledDown) return syncRolloutStatus(ctx, all(), newRS);
  if (oldPodsRunning(ctx, newRS, oldRSs)) return syncRolloutStatus(ctx, all(), newRS);
  if (!newRS) ({ newRS, oldRSs } = await ctx.getAllReplicaSetsAndSyncRevision(true));
  if (newRS) newRS = (await ctx.scaleIfNeeded(newRS, replicasOf(ctx.d))).rs;
  const counts = {
    observedGeneration: ctx.d.metadata?.generation,
    replicas: sumStatus(all(), "replicas"),
    updatedReplicas: newRS ? sumStatus([newRS], "replicas") : 0,
    availableReplicas: sumStatus(all(), "availableReplicas"),
  };
  if (deploymentComplete(ctx.d, counts)) await ctx.cleanupDeployment(oldRSs);
  return syncRolloutStatus(ctx, all(), newRS);
}

/** Old ReplicaSets still report pods, or a pod of one is not terminated yet (Failed/Succeeded pods are gone). */
function oldPodsRunning(ctx: DeploymentSync, newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): boolean {
  if (sumStatus(oldRSs, "replicas") > 0) return true;
  for (const [uid, pods] of ctx.podMap) {
    if (uid === newRS?.metadata?.uid) continue;
    if (pods.some((p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded")) return true;
  }
  return false;
}

// Scaling a Deployment (spec.replicas changed, or a pause): with one active ReplicaSet it simply takes the new
// size; mid-rollout the change is spread over every active ReplicaSet in proportion to its size (relative to the
// max-replicas annotation it was last scaled with), so a rollout keeps its ratio; rounding leftovers go to the
// largest. A saturated new ReplicaSet means the old ones can all go to zero.
import type { DeploymentSync } from "./deployment_sync.js";
import { maxReplicasOf } from "./annotations.js";
import {
  bySizeNewer,
  bySizeOlder,
  byCreation,
  filterActive,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  replicasOf,
  specReplicas,
  sumSpec,
  type DeploymentObject,
  type ReplicaSetObject,
} from "./util.js";

/** The one ReplicaSet to scale when at most one is active: the active one, else the new, else the newest old. */
function activeOrLatest(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): ReplicaSetObject | undefined | null {
  const active = filterActive([...oldRSs, ...(newRS ? [newRS] : [])]);
  if (active.length === 1) return active[0];
  if (active.length > 1) return null;
  return newRS ?? [...oldRSs].sort((a, b) => byCreation(b, a))[0];
}

function fraction(rs: ReplicaSetObject, d: DeploymentObject): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasOf(rs) ?? d.status?.replicas ?? 0;
  // No basis to scale from (an unannotated RS of a Deployment without pods): keep the size.
  if (annotated === 0) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

function proportion(rs: ReplicaSetObject, d: DeploymentObject, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

export async function scaleDeployment(ctx: DeploymentSync, newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): Promise<void> {
  const d = ctx.d;
  const single = activeOrLatest(newRS, oldRSs);
  if (single) {
    await ctx.scaleReplicaSet(single, replicasOf(d));
    return;
  }
  if (single === undefined) return;
  if (isSaturated(d, newRS)) {
    for (const rs of filterActive(oldRSs)) await ctx.scaleIfNeeded(rs, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, ...(newRS ? [newRS] : [])]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpec(all);
  all.sort(toAdd > 0 ? bySizeNewer : bySizeOlder);
  const sizes = new Map<ReplicaSetObject, number>();
  let added = 0;
  for (const rs of all) {
    const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    sizes.set(rs, specReplicas(rs) + p);
    added += p;
  }
  for (const [i, rs] of all.entries()) {
    let size = sizes.get(rs)!;
    // Leftovers from rounding go to the largest ReplicaSet.
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    await ctx.scaleReplicaSet(rs, size);
  }
}

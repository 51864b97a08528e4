// DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where deleting lower-priority pods would
// make it fit, delete those victims gracefully and nominate the node for the pod (status.nominatedNodeName).
// The pod itself is scheduled in a later cycle, once the victims are gone.
import { resources } from "../../../client/resources.js";
import type { Pod } from "../../framework/api_types.js";
import { podPriority } from "../../framework/api_types.js";
import { fitErrorMessage } from "../../framework/fit_error.js";
import { Status } from "../../framework/status.js";
import type { Handle, NodeToStatus, PostFilterPlugin } from "../../framework/types.js";
import { NO_VICTIMS_MSG, pickCandidate, selectVictimsOnNode, type Candidate } from "./victims.js";

export const NAME = "DefaultPreemption";
export const NOT_HELPFUL_MSG = "Preemption is not helpful for scheduling";

export interface DefaultPreemptionArgs {
  /** At least this share of the nodes is dry-run for candidates (default 10). */
  minCandidateNodesPercentage?: number;
  /** ...and at least this many (default 100). */
  minCandidateNodesAbsolute?: number;
  /** Where the dry run starts (tests); not a configuration field. */
  random?: () => number;
}

export function newDefaultPreemption(rawArgs: unknown, handle: Handle): PostFilterPlugin {
  const args = (rawArgs ?? {}) as DefaultPreemptionArgs;
  if (args.minCandidateNodesPercentage !== undefined && (args.minCandidateNodesPercentage < 0 || args.minCandidateNodesPercentage > 100)) {
    throw new Error(`DefaultPreemption args: minCandidateNodesPercentage: Invalid value: ${args.minCandidateNodesPercentage}: not in valid range [0, 100]`);
  }

  const eligible = (pod: Pod, statuses: NodeToStatus): string | undefined => {
    if (pod.spec?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      // A preemption already under way for this pod: do not pick more victims while earlier ones terminate.
      if (statuses.get(nominated)?.code === "UnschedulableAndUnresolvable") return undefined;
      const ni = handle.snapshot().get(nominated);
      const prio = podPriority(pod);
      if (ni?.pods.some((p) => p.pod.metadata?.deletionTimestamp && podPriority(p.pod) < prio)) return "not eligible due to a terminating pod on the nominated node.";
    }
    return undefined;
  };

  const minPct = args.minCandidateNodesPercentage ?? 10;
  const minAbs = args.minCandidateNodesAbsolute ?? 100;
  const random = args.random ?? Math.random;

  return {
    name: NAME,
    async postFilter(state, pod, statuses) {
      const notEligible = eligible(pod, statuses);
      if (notEligible) return { status: Status.unschedulable(`preemption: ${notEligible}`) };
      const nodes = state.snapshot.list();
      if (nodes.length === 0) return { status: Status.error("preemption: no nodes available") };
      const result: NodeToStatus = new Map();
      const candidates: Candidate[] = [];
      const potential = nodes.filter((n) => {
        if (statuses.get(n.name)?.code !== "UnschedulableAndUnresolvable") return true;
        result.set(n.name, Status.unresolvable(NOT_HELPFUL_MSG));
        return false;
      });
      // Enough candidates to choose well without a dry run on every node of a large cluster; a random start
      // spreads preemptions over the cluster.
      const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * minPct) / 100), minAbs));
      const offset = potential.length ? Math.floor(random() * potential.length) : 0;
      for (let i = 0; i < potential.length && candidates.length < want; i++) {
        const n = potential[(offset + i) % potential.length]!;
        const { victims, pdbViolations, status } = selectVictimsOnNode(handle, { state, pod, node: n });
        if (status.isSuccess() && victims.length > 0) candidates.push({ nodeName: n.name, victims, pdbViolations });
        else if (status.isSuccess()) result.set(n.name, Status.unschedulable(NO_VICTIMS_MSG));
        else result.set(n.name, status);
      }
      const best = pickCandidate(candidates);
      if (!best) {
        const msg = fitErrorMessage(nodes.length, { nodeToStatus: result, unschedulablePlugins: new Set() });
        return { status: Status.unschedulable(`preemption: ${msg}`) };
      }
      await evict(handle, pod, best);
      await clearLowerNominations(handle, pod, best.nodeName);
      return { result: { nominatedNodeName: best.nodeName, victims: best.victims.length }, status: Status.success() };
    },
  };
}

/** Deletes the victims gracefully (their own grace period) and tells them why. */
async function evict(handle: Handle, preemptor: Pod, c: Candidate): Promise<void> {
  const client = handle.client;
  if (!client) return;
  const pods = client.resource<Pod>(resources.pods);
  await Promise.all(
    c.victims.map(async (v) => {
      const ns = v.metadata?.namespace ?? "";
      const name = v.metadata?.name ?? "";
      try {
        await pods.patch(ns, name, "strategic", {
          status: {
            conditions: [
              { type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler", message: `${handle.profileName ?? "default-scheduler"}: preempting to accommodate a higher priority pod`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
            ],
          },
        }, { subresource: "status" }).catch(() => undefined);
        await pods.delete(ns, name, { preconditions: v.metadata?.uid ? { uid: v.metadata.uid } : undefined });
        handle.recordEvent?.(v, "Normal", "Preempted", `Preempted by pod ${preemptor.metadata?.uid ?? ""} on node ${c.nodeName}`);
      } catch (err) {
        handle.log.warn("preemption: deleting victim failed", { pod: `${ns}/${name}`, err });
      }
    }),
  );
}

/** Pods of lower priority nominated to the chosen node lose that nomination: the room is for the preemptor now. */
async function clearLowerNominations(handle: Handle, preemptor: Pod, nodeName: string): Promise<void> {
  const client = handle.client;
  if (!client) return;
  const prio = podPriority(preemptor);
  const lower = handle.nominatedPodsForNode(nodeName).filter((p) => p.metadata?.uid !== preemptor.metadata?.uid && podPriority(p) < prio);
  await Promise.all(
    lower.map((p) =>
      client
        .resource<Pod>(resources.pods)
        .patch(p.metadata?.namespace ?? "", p.metadata?.name ?? "", "merge", { status: { nominatedNodeName: null } }, { subresource: "status" })
        .catch((err: unknown) => handle.log.warn("preemption: clearing a nomination failed", { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err })),
    ),
  );
}

// Informer event handlers: assigned pods go to the cache, pending pods of this scheduler's profiles to the queue,
// and every change that could let an unschedulable pod fit is turned into a cluster event for the queue.
import type { HandlerRegistration } from "../client/informer.js";
import { unwrapTombstone } from "../client/informer.js";
import type { SchedulerCache } from "./cache/cache.js";
import type { Pod } from "./framework/api_types.js";
import type { ClusterEvent } from "./framework/types.js";
import type { SchedulerInformers } from "./informers.js";
import { nodeUpdateActions, podSpecOrLabelsChanged } from "./queue/events.js";
import type { SchedulingQueue } from "./queue/scheduling_queue.js";

const TERMINAL = new Set(["Succeeded", "Failed"]);
const isAssigned = (p: Pod): boolean => !!p.spec?.nodeName;
/** Finished pods hold no resources: the cache forgets them. */
const isTerminal = (p: Pod): boolean => TERMINAL.has(p.status?.phase ?? "");

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const ka = a ? Object.keys(a) : [];
  const kb = b ? Object.keys(b) : [];
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

export interface EventHandlerDeps {
  inf: SchedulerInformers;
  cache: SchedulerCache;
  queue: SchedulingQueue;
  withPriority(pod: Pod): Pod;
  /** Whether one of this scheduler's profiles serves the pod's schedulerName. */
  responsible(pod: Pod): boolean;
}

export function addEventHandlers(d: EventHandlerDeps): HandlerRegistration[] {
  const { inf, cache, withPriority, responsible } = d;
  const q = d.queue;
  const move = (ev: ClusterEvent): void => q.moveAllToActiveOrBackoff(ev);
return [
    inf.pods.addEventHandler({
      onAdd: (raw) => {
        const pod = withPriority(raw);
        if (isAssigned(pod)) {
          if (isTerminal(pod)) return;
          cache.addPod(pod);
          move({ resource: "AssignedPod", action: "Add" });
        } else if (responsible(pod) && !pod.metadata?.deletionTimestamp && !cache.isAssumed(pod)) q.add(pod);
      },
      onUpdate: (rawOld, rawNew) => {
        const oldPod = withPriority(rawOld);
        const pod = withPriority(rawNew);
        if (isAssigned(pod)) {
          if (!isAssigned(oldPod)) q.delete(pod);
          if (isTerminal(pod)) {
            cache.removePod(pod);
            if (!isTerminal(oldPod)) move({ resource: "AssignedPod", action: "Delete" });
            return;
          }
          // Newly bound: an add to the assigned pods, as Kubernetes' filtered handler makes it (and the
          // confirmation of the pod this scheduler assumed there).
          if (!isAssigned(oldPod)) {
            cache.addPod(pod);
            move({ resource: "AssignedPod", action: "Add" });
            return;
          }
          cache.updatePod(pod);
          if (!sameLabels(oldPod.metadata?.labels, pod.metadata?.labels)) move({ resource: "AssignedPod", action: "UpdatePodLabel" });
          return;
        }
        if (!responsible(pod)) return;
        if (pod.metadata?.deletionTimestamp) return q.delete(pod);
        // Assumed and binding: an update that does not show the binding yet must not queue the pod again.
        if (cache.isAssumed(pod)) return;
        q.update(pod, podSpecOrLabelsChanged(oldPod, pod));
      },
      onDelete: (obj) => {
        const pod = unwrapTombstone(obj);
        q.delete(pod);
        if (isAssigned(pod) || cache.isAssumed(pod)) {
          cache.removePod(pod);
          move({ resource: "AssignedPod", action: "Delete" });
        }
      },
    }),
    inf.nodes.addEventHandler({
      onAdd: (n) => {
        cache.addNode(n);
        move({ resource: "Node", action: "Add" });
      },
      onUpdate: (o, n) => {
        cache.updateNode(n);
        for (const action of nodeUpdateActions(o, n)) move({ resource: "Node", action });
      },
      onDelete: (obj) => cache.removeNode(unwrapTombstone(obj)),
    }),
    // Claims, volumes and classes appearing or changing (a claim bound, a volume made) may let VolumeBinding pass.
    inf.claims.addEventHandler({ onAdd: () => move({ resource: "PersistentVolumeClaim", action: "Add" }), onUpdate: () => move({ resource: "PersistentVolumeClaim", action: "Update" }) }),
    inf.volumes.addEventHandler({ onAdd: () => move({ resource: "PersistentVolume", action: "Add" }), onUpdate: () => move({ resource: "PersistentVolume", action: "Update" }) }),
    inf.storageClasses.addEventHandler({ onAdd: () => move({ resource: "StorageClass", action: "Add" }) }),
    inf.namespaces.addEventHandler({
      onAdd: () => move({ resource: "Namespace", action: "Add" }),
      onUpdate: (o, n) => {
        if (JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels)) move({ resource: "Namespace", action: "Update" });
      },
    }),
];
}

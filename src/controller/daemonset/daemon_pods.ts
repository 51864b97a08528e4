// The pods of a DaemonSet: built from the template for one node, placed through the scheduler by a required node
// affinity on metadata.name (not by setting nodeName), carrying the revision hash and the daemon tolerations.
import type { DaemonSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { CONTROLLER_REVISION_HASH_LABEL } from "../history/revisions.js";
import { newControllerRef, type PodObject } from "../replicaset/pod_utils.js";
import { withDaemonTolerations } from "./node_eligibility.js";

export type DaemonSetObject = DaemonSet & KubeObject;

/** Deprecated but still set by Kubernetes, and read by older tooling. */
export const POD_TEMPLATE_GENERATION_LABEL = "pod-template-generation";

/** The node a daemon pod is for: where it is bound, or else where its node-name affinity points. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of term.matchFields ?? []) if (f.key === "metadata.name" && f.operator === "In" && f.values?.length === 1) return f.values[0];
  return undefined;
}

export function podForNode(ds: DaemonSetObject, nodeName: string, hash: string): PodObject {
  const t = structuredClone(ds.spec?.template ?? { spec: { containers: [] } });
  const spec = t.spec ?? { containers: [] };
  spec.tolerations = withDaemonTolerations(spec);
  // The scheduler binds the pod; the only required term left is "this node", as Kubernetes rewrites it.
  spec.affinity = {
    ...spec.affinity,
    nodeAffinity: {
      ...spec.affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] }] },
    },
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${ds.metadata?.name ?? ""}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash, [POD_TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1) },
      annotations: t.metadata?.annotations,
      finalizers: t.metadata?.finalizers,
      ownerReferences: [newControllerRef(ds, "apps/v1", "DaemonSet")],
    },
    spec,
  };
}

/** The revision data of a DaemonSet: its template as the patch `kubectl rollout undo` applies. */
export function daemonSetRevisionData(ds: DaemonSet): unknown {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: "replace" } } };
}

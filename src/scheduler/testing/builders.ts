// Hand-built nodes and pods for scheduler tests.
import type { Node, Pod, Taint, Toleration } from "../framework/api_types.js";

let uidSeq = 0;

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: Array<{ names: string[]; sizeBytes: number }>;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const allocatable: Record<string, string> = {
    cpu: s.cpu ?? "4",
    memory: s.memory ?? "8Gi",
    pods: String(s.pods ?? 110),
    ...(s.ephemeralStorage ? { "ephemeral-storage": s.ephemeralStorage } : {}),
    ...s.extra,
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `node-uid-${name}`, labels: { "kubernetes.io/hostname": name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: { allocatable, capacity: allocatable, images: s.images, conditions: [{ type: "Ready", status: "True" }] },
  };
}

export interface PodSpecInput {
  namespace?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  priorityClassName?: string;
  schedulerName?: string;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  affinity?: NonNullable<Pod["spec"]>["affinity"];
  topologySpreadConstraints?: NonNullable<Pod["spec"]>["topologySpreadConstraints"];
  hostPorts?: number[];
  image?: string;
  initContainers?: NonNullable<Pod["spec"]>["initContainers"];
  overhead?: Record<string, string>;
  preemptionPolicy?: string;
  uid?: string;
}

export function makePod(name: string, s: PodSpecInput = {}): Pod {
  const requests: Record<string, string> = { ...(s.cpu ? { cpu: s.cpu } : {}), ...(s.memory ? { memory: s.memory } : {}), ...s.requests };
  return {
    apiVersion: "v1",
    kind: "Pod",
    // uid last: a caller that deletes it (to create the pod through the API) leaves a fast-mode object behind.
    metadata: { name, namespace: s.namespace ?? "default", labels: s.labels, uid: s.uid ?? `pod-uid-${name}-${++uidSeq}` },
    spec: {
      nodeName: s.nodeName,
      priority: s.priority,
      priorityClassName: s.priorityClassName,
      schedulerName: s.schedulerName,
      tolerations: s.tolerations,
      nodeSelector: s.nodeSelector,
      affinity: s.affinity,
      topologySpreadConstraints: s.topologySpreadConstraints,
      initContainers: s.initContainers,
      overhead: s.overhead,
      preemptionPolicy: s.preemptionPolicy,
      containers: [
        {
          name: "main",
          image: s.image ?? "busybox",
          resources: Object.keys(requests).length ? { requests } : undefined,
          ports: s.hostPorts?.map((p) => ({ containerPort: p, hostPort: p, protocol: "TCP" })),
        },
      ],
    },
  };
}

/** Strips server-set fields so a built object can be POSTed. */
export function forCreate<T extends Node | Pod>(obj: T): T {
  const c = structuredClone(obj);
  if (c.metadata) delete (c.metadata as { uid?: string }).uid;
  return c;
}

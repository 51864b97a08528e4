// The record of a local cluster, kept in <root>/<name>/state.json and written before each thing it names is made,
// so `cluster down` can remove everything even after a crash or a half-finished `up`.

export type RuntimeKind = "containerd" | "simulated";

export interface NodeRecord {
  /** Node object name (node-0, node-1, ...). */
  name: string;
  /** Position on the underlay: address 10.100.<c>.<index + 2>. */
  index: number;
  /** Network namespace under /var/run/netns. */
  netns: string;
  /** Host end of the node's veth (on the cluster bridge). */
  hostVeth: string;
  ip: string;
  /** The agent process (kubelet + network agent + kube-proxy), when running. */
  agentPid?: number;
}

export interface ClusterRecord {
  name: string;
  /** The cluster's underlay is 10.100.<subnetIndex>.0/24. */
  subnetIndex: number;
  bridge: string;
  /** Address of the host side (API server, cluster DNS). */
  hostIP: string;
  runtime: RuntimeKind;
  datastore?: string;
  /** Extra flags of the cluster's `k8ts server` (tests shorten the metric resolution and HPA sync period). */
  serverArgs?: string[];
  serverPort: number;
  /** The host-side DNS process (simulated clusters; containerd clusters run DNS as pods). */
  dnsPort: number;
  serverPid?: number;
  dnsPid?: number;
  nodes: NodeRecord[];
  /** Kubeconfig file the cluster's context was merged into, to take it out again on down. */
  mergedKubeconfig?: string;
  createdAt: string;
}

/** Progress lines for the user ("creating node-1 ..."). */
export type Progress = (line: string) => void;

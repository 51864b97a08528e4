// Translation between runtime/types.ts and CRI v1 messages as @grpc/proto-loader decodes them (keepCase field
// names, enums as strings, int64 as numbers, absent messages as null). CRI times are nanoseconds; ours milliseconds.
import type {
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerSecurityContext,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  Image,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  SandboxSecurityContext,
} from "../types.js";

type Labels = Record<string, string>;

export interface WireSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface WirePodSandbox {
  id: string;
  metadata: WireSandboxMetadata | null;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  created_at: number;
  labels: Labels;
  annotations: Labels;
}

export interface WirePodSandboxStatus extends WirePodSandbox {
  network: { ip: string; additional_ips: Array<{ ip: string }> } | null;
}

export type WireContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

export interface WireContainer {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  image_ref: string;
  state: WireContainerState;
  created_at: number;
  labels: Labels;
  annotations: Labels;
}

export interface WireContainerStatus extends Omit<WireContainer, "pod_sandbox_id"> {
  started_at: number;
  finished_at: number;
  exit_code: number;
  reason: string;
  message: string;
}

interface WireUInt64 {
  value: number;
}

export interface WireContainerStats {
  attributes: { id: string } | null;
  cpu: { timestamp: number; usage_core_nano_seconds: WireUInt64 | null; usage_nano_cores: WireUInt64 | null } | null;
  memory: { timestamp: number; working_set_bytes: WireUInt64 | null; usage_bytes: WireUInt64 | null } | null;
}

export interface WireImage {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: number;
  pinned: boolean;
  /** int64 arrives as a string (longs: String). */
  uid?: { value: number | string } | null;
  username?: string;
}

const NS_PER_MS = 1_000_000;
const ms = (ns: number): number => Math.floor(ns / NS_PER_MS);

const CONTAINER_STATES: Record<WireContainerState, ContainerState> = {
  CONTAINER_CREATED: "created",
  CONTAINER_RUNNING: "running",
  CONTAINER_EXITED: "exited",
  CONTAINER_UNKNOWN: "unknown",
};
const WIRE_CONTAINER_STATES: Record<ContainerState, WireContainerState> = {
  created: "CONTAINER_CREATED",
  running: "CONTAINER_RUNNING",
  exited: "CONTAINER_EXITED",
  unknown: "CONTAINER_UNKNOWN",
};

export function containerState(s: WireContainerState): ContainerState {
  return CONTAINER_STATES[s] ?? "unknown";
}

/** Namespaces of the pod: its own network unless hostNetwork, a PID namespace per container as the kubelet sets. */
function namespaceOptions(hostNetwork: boolean): object {
  return { network: hostNetwork ? "NODE" : "POD", pid: "CONTAINER", ipc: hostNetwork ? "NODE" : "POD" };
}

const int64 = (v: number | undefined): { value: number } | null => (v === undefined ? null : { value: v });

function wireSandboxSecurity(sc: SandboxSecurityContext | undefined, hostNetwork: boolean): object {
  return {
    namespace_options: namespaceOptions(hostNetwork),
    run_as_user: int64(sc?.runAsUser),
    run_as_group: int64(sc?.runAsGroup),
    supplemental_groups: sc?.supplementalGroups ?? [],
    // containerd refuses a privileged container in a sandbox that is not privileged itself.
    privileged: sc?.privileged ?? false,
  };
}

function wireContainerSecurity(sc: ContainerSecurityContext | undefined, hostNetwork: boolean): object {
  return {
    namespace_options: namespaceOptions(hostNetwork),
    capabilities: sc?.capabilities ? { add_capabilities: sc.capabilities.add, drop_capabilities: sc.capabilities.drop } : null,
    privileged: sc?.privileged ?? false,
    run_as_user: int64(sc?.runAsUser),
    run_as_group: int64(sc?.runAsGroup),
    readonly_rootfs: sc?.readonlyRootfs ?? false,
    supplemental_groups: sc?.supplementalGroups ?? [],
    no_new_privs: sc?.noNewPrivs ?? false,
  };
}

export function wireSandboxConfig(c: PodSandboxConfig): object {
  const hostNetwork = c.linux?.hostNetwork ?? false;
  return {
    metadata: { name: c.metadata.name, uid: c.metadata.uid, namespace: c.metadata.namespace, attempt: c.metadata.attempt },
    hostname: c.hostname ?? "",
    log_directory: c.logDirectory ?? "",
    dns_config: c.dnsConfig ? { servers: c.dnsConfig.servers, searches: c.dnsConfig.searches, options: c.dnsConfig.options } : null,
    port_mappings: (c.portMappings ?? []).map((p) => ({ protocol: p.protocol, container_port: p.containerPort, host_port: p.hostPort ?? 0, host_ip: p.hostIp ?? "" })),
    labels: c.labels,
    annotations: c.annotations,
    linux: {
      cgroup_parent: c.linux?.cgroupParent ?? "",
      security_context: wireSandboxSecurity(c.linux?.securityContext, hostNetwork),
    },
  };
}

export function wireContainerConfig(c: ContainerConfig, sandbox: PodSandboxConfig): object {
  const r = c.linux?.resources;
  return {
    metadata: { name: c.metadata.name, attempt: c.metadata.attempt },
    image: { image: c.image },
    command: c.command ?? [],
    args: c.args ?? [],
    working_dir: c.workingDir ?? "",
    envs: (c.envs ?? []).map((e) => ({ key: e.key, value: e.value })),
    mounts: (c.mounts ?? []).map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readonly ?? false })),
    labels: c.labels,
    annotations: c.annotations,
    log_path: c.logPath ?? "",
    stdin: c.stdin ?? false,
    stdin_once: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: r ? { cpu_period: r.cpuPeriod ?? 0, cpu_quota: r.cpuQuota ?? 0, cpu_shares: r.cpuShares ?? 0, memory_limit_in_bytes: r.memoryLimitInBytes ?? 0 } : null,
      security_context: wireContainerSecurity(c.linux?.securityContext, sandbox.linux?.hostNetwork ?? false),
    },
  };
}

export function wireSandboxFilter(f: PodSandboxFilter | undefined): object | null {
  if (!f) return null;
  return {
    id: f.id ?? "",
    state: f.state ? { state: f.state === "ready" ? "SANDBOX_READY" : "SANDBOX_NOTREADY" } : null,
    label_selector: f.labelSelector ?? {},
  };
}

export function wireContainerFilter(f: ContainerFilter | undefined): object | null {
  if (!f) return null;
  return {
    id: f.id ?? "",
    state: f.state ? { state: WIRE_CONTAINER_STATES[f.state] } : null,
    pod_sandbox_id: f.podSandboxId ?? "",
    label_selector: f.labelSelector ?? {},
  };
}

export function podSandbox(s: WirePodSandbox): PodSandbox {
  const m = s.metadata;
  return {
    id: s.id,
    metadata: { name: m?.name ?? "", namespace: m?.namespace ?? "", uid: m?.uid ?? "", attempt: m?.attempt ?? 0 },
    state: s.state === "SANDBOX_READY" ? "ready" : "notready",
    createdAt: ms(s.created_at),
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  };
}

export function podSandboxStatus(s: WirePodSandboxStatus): PodSandboxStatus {
  return { ...podSandbox(s), network: { ip: s.network?.ip ?? "", additionalIps: (s.network?.additional_ips ?? []).map((p) => p.ip) } };
}

export function container(c: WireContainer): Container {
  return {
    id: c.id,
    podSandboxId: c.pod_sandbox_id,
    metadata: { name: c.metadata?.name ?? "", attempt: c.metadata?.attempt ?? 0 },
    image: c.image?.image ?? "",
    imageRef: c.image_ref,
    state: containerState(c.state),
    createdAt: ms(c.created_at),
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
  };
}

export function containerStatus(c: WireContainerStatus, podSandboxId: string): ContainerStatus {
  const st: ContainerStatus = { ...container({ ...c, pod_sandbox_id: podSandboxId }) };
  if (c.started_at > 0) st.startedAt = ms(c.started_at);
  if (c.finished_at > 0) {
    st.finishedAt = ms(c.finished_at);
    st.exitCode = c.exit_code;
    st.reason = c.reason || (c.exit_code === 0 ? "Completed" : "Error");
  }
  if (c.message) st.message = c.message;
  return st;
}

export function containerStats(s: WireContainerStats): ContainerStats {
  const ts = s.cpu?.timestamp || s.memory?.timestamp || Date.now() * NS_PER_MS;
  return {
    containerId: s.attributes?.id ?? "",
    timestamp: ms(ts),
    cpu: { usageNanoCores: s.cpu?.usage_nano_cores?.value ?? 0, usageCoreNanoSeconds: s.cpu?.usage_core_nano_seconds?.value ?? 0 },
    memory: { workingSetBytes: s.memory?.working_set_bytes?.value ?? 0, usageBytes: s.memory?.usage_bytes?.value ?? 0 },
  };
}

export function image(i: WireImage): Image {
  const out: Image = { id: i.id, repoTags: i.repo_tags ?? [], repoDigests: i.repo_digests ?? [], size: i.size, pinned: i.pinned };
  if (i.uid !== null && i.uid !== undefined) out.uid = Number(i.uid.value);
  if (i.username) out.username = i.username;
  return out;
}

// The container runtime as the node agent sees it: CRI v1's RuntimeService and ImageService, in TypeScript.
// Two implementations satisfy it: simulated/ (in memory, behaviour scripted by pod annotations) and the CRI client
// for containerd (later). Both must pass conformance.ts.
//
// Contract (CRI v1 semantics; what conformance.ts checks):
// - A pod sandbox is created ready by runPodSandbox and owns the pod's network: its IP (network.ip) comes from the
//   runtime (CNI there, an allocator here), from the pod CIDR set by updateRuntimeConfig when one is set.
// - stopPodSandbox stops every container of the sandbox and marks it notready; it is idempotent and does not fail for
//   a sandbox that is already stopped. removePodSandbox removes the sandbox and all its containers, forcibly; it does
//   not fail when the sandbox is already gone.
// - createContainer needs a ready sandbox and a present image (pull first); the container starts in state "created".
//   startContainer moves "created" -> "running" (any other state is FailedPrecondition).
// - A container ends in "exited" with exitCode, finishedAt and a reason: "Completed" (exit 0), "Error" (non-zero) or
//   "OOMKilled" (memory limit exceeded). stopContainer(id, timeoutSeconds) asks it to stop (SIGTERM), kills it after
//   the timeout (SIGKILL, exit 137) and resolves once it has exited; it is idempotent for exited containers.
//   removeContainer removes a container in any state (killing it first) and does not fail when it is already gone.
// - Unknown ids answer RuntimeError NotFound (status calls, start, exec, stats); list calls filter by id, sandbox,
//   state and labels (all given labels must match).
// - Times are milliseconds since the epoch on the runtime's clock.
// - execSync runs a command in a running container and answers its exit code and output.
// - Events (optional, CRI's GetContainerEvents): subscribers hear every container state change, so the agent need not
//   wait for its periodic relist.

export type RuntimeErrorCode = "NotFound" | "AlreadyExists" | "InvalidArgument" | "FailedPrecondition" | "DeadlineExceeded" | "Unavailable" | "Unknown";

/** An error answered by a runtime call, with the gRPC-like code CRI uses. */
export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}

export interface RuntimeVersion {
  /** Version of the CRI API. */
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  type: "RuntimeReady" | "NetworkReady";
  status: boolean;
  reason?: string;
  message?: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Counts sandboxes created for this pod: 0 for the first, 1 after the first pod restart, ... */
  attempt: number;
}

export interface PortMapping {
  protocol: "TCP" | "UDP" | "SCTP";
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DnsConfig;
  portMappings?: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux?: { cgroupParent?: string; hostNetwork?: boolean; securityContext?: SandboxSecurityContext };
}

/** The pod-level security settings of the sandbox (its pause container); privileged when any container is. */
export interface SandboxSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  privileged?: boolean;
}

export type PodSandboxState = "ready" | "notready";

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network: { ip: string; additionalIps: string[] };
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Record<string, string>;
}

export interface ContainerMetadata {
  name: string;
  /** Counts restarts of this container: 0 for the first instance. */
  attempt: number;
}

export interface ContainerResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitInBytes?: number;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: Array<{ key: string; value: string }>;
  mounts?: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath?: string;
  /** Keep stdin open for attach (stdinOnce: closed when the first attached client detaches); tty: a terminal. */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: ContainerResources; securityContext?: ContainerSecurityContext };
}

/** A container's effective security settings (the pod's merged with the container's), as CRI takes them. */
export interface ContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  privileged?: boolean;
  readonlyRootfs?: boolean;
  /** Capability names as Kubernetes spells them (NET_ADMIN, ALL); the runtime adds the CAP_ prefix. */
  capabilities?: { add: string[]; drop: string[] };
  /** allowPrivilegeEscalation: false. */
  noNewPrivs?: boolean;
}

export type ContainerState = "created" | "running" | "exited" | "unknown";

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: string;
  /** The pulled image's id (digest reference). */
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus extends Container {
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** "Completed", "Error", "OOMKilled" for exited containers. */
  reason?: string;
  message?: string;
}

export interface ContainerFilter {
  id?: string;
  podSandboxId?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ContainerStats {
  containerId: string;
  /** When these figures were taken. */
  timestamp: number;
  cpu: { usageNanoCores: number; usageCoreNanoSeconds: number };
  memory: { workingSetBytes: number; usageBytes: number };
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** Pinned images (the pause image) are never garbage collected. */
  pinned: boolean;
  /** The image's user when numeric (config User "1000" or "1000:1000"). */
  uid?: number;
  /** The image's user when it is a name. */
  username?: string;
}

export interface ContainerEvent {
  type: "created" | "started" | "stopped" | "deleted";
  containerId: string;
  podSandboxId: string;
  /** The pod uid from the sandbox metadata, so listeners can route the event without a lookup. */
  podUid: string;
  at: number;
}

export interface RuntimeService {
  version(): Promise<RuntimeVersion>;
  status(): Promise<RuntimeStatus>;
  /** Hands the runtime the node's pod CIDR (from Node spec.podCIDR) for sandbox IPs. */
  updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  containerStats(id: string): Promise<ContainerStats>;
  listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]>;

  /** Optional event stream (CRI GetContainerEvents); returns an unsubscribe function. */
  subscribeContainerEvents?(listener: (ev: ContainerEvent) => void): () => void;
}

export interface ImageService {
  /** Pulls an image and answers its reference (id). Fails with a RuntimeError whose message says why. */
  pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string>;
  /** The image if present, else undefined (not an error, as in CRI). */
  imageStatus(image: string): Promise<Image | undefined>;
  listImages(): Promise<Image[]>;
  /** Removes an image; not an error when it is absent. */
  removeImage(image: string): Promise<void>;
}

export interface ContainerRuntime extends RuntimeService, ImageService {}

/** "busybox" -> "docker.io/library/busybox:latest", as image references are normalized by CRI runtimes. */
export function normalizeImage(image: string): string {
  let name = image;
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  if (slash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes(".") && !first.includes(":") && first !== "localhost") name = `docker.io/${name}`;
  const lastSlash = name.lastIndexOf("/");
  if (!name.includes("@") && !name.slice(lastSlash).includes(":")) name += ":latest";
  return name;
}

// An in-memory container runtime: sandboxes, containers and images exist only as records, and time passes on an
// injectable clock. Containers behave as their pod's sim.k8ts.io/* annotations script them (script.ts). Used by
// hollow nodes (`k8ts sim`, `k8ts agent --runtime simulated`) and by tests of the node agent.
import { createHash } from "node:crypto";
import { realClock, type Clock, type TimerHandle } from "../../../client/clock.js";
import { containerScript, pullFailure, type ContainerScript } from "./script.js";
import {
  RuntimeError,
  normalizeImage,
  type Container,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStats,
  type ContainerStatus,
  type ExecSyncResult,
  type Image,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type RuntimeStatus,
  type RuntimeVersion,
} from "../types.js";
import { IpAllocator } from "./ip_allocator.js";

export const SIMULATED_RUNTIME_NAME = "simulated";
export const SIMULATED_RUNTIME_VERSION = "0.1.0";
/** Exit code of a process killed by SIGKILL (128 + 9), as runc reports it. */
const SIGKILL_EXIT = 137;
const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";

export interface SimulatedRuntimeOptions {
  clock?: Clock;
  /** Used for sandbox IPs until updateRuntimeConfig hands over a pod CIDR (default 10.244.0.0/24). */
  fallbackPodCIDR?: string;
  /** Images present from the start (the pause image always is). */
  preloadedImages?: string[];
}

interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: "ready" | "notready";
  createdAt: number;
  ip: string;
}

interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  image: string;
  imageRef: string;
  state: "created" | "running" | "exited";
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  script: ContainerScript;
  timer?: TimerHandle;
  /** When the first stop (SIGTERM) came, and when the SIGKILL is due. */
  stoppingSince?: number;
  killAt?: number;
  /** Resolvers of stopContainer calls waiting for this container to exit. */
  exitWaiters: Array<() => void>;
}

function matchLabels(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function imageId(ref: string): string {
  return "sha256:" + createHash("sha256").update(ref).digest("hex");
}

export class SimulatedRuntime implements ContainerRuntime {
  private readonly clock: Clock;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly images = new Map<string, Image>();
  private readonly listeners = new Set<(ev: ContainerEvent) => void>();
  private ips: IpAllocator;
  private nextId = 1;

  constructor(opts: SimulatedRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.ips = new IpAllocator(opts.fallbackPodCIDR ?? "10.244.0.0/24");
    this.addImage(PAUSE_IMAGE, true);
    for (const img of opts.preloadedImages ?? []) this.addImage(img, false);
  }

  private newId(): string {
    // 64 hex digits like containerd ids, unique per runtime and readable in tests by their counter prefix.
    const n = this.nextId++;
    return createHash("sha256").update(`${n}:${Math.random()}`).digest("hex");
  }

  private addImage(image: string, pinned: boolean): Image {
    const ref = normalizeImage(image);
    const img: Image = { id: imageId(ref), repoTags: [ref], repoDigests: [`${ref.replace(/:[^:/]*$/, "")}@${imageId(ref)}`], size: 1_000_000, pinned };
    this.images.set(ref, img);
    return img;
  }

  private emit(type: ContainerEvent["type"], c: ContainerRecord): void {
    const sb = this.sandboxes.get(c.sandboxId);
    const ev: ContainerEvent = { type, containerId: c.id, podSandboxId: c.sandboxId, podUid: sb?.config.metadata.uid ?? "", at: this.clock.now() };
    for (const l of this.listeners) l(ev);
  }

  subscribeContainerEvents(listener: (ev: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async version(): Promise<RuntimeVersion> {
    return { version: "0.1.0", runtimeName: SIMULATED_RUNTIME_NAME, runtimeVersion: SIMULATED_RUNTIME_VERSION, runtimeApiVersion: "v1" };
  }

  async status(): Promise<RuntimeStatus> {
    return { conditions: [{ type: "RuntimeReady", status: true }, { type: "NetworkReady", status: true }] };
  }

  async updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void> {
    if (!cfg.podCIDR || cfg.podCIDR === this.ips.cidr) return;
    const next = new IpAllocator(cfg.podCIDR);
    // Sandboxes keep the addresses they have; the new range only serves new sandboxes.
    this.ips = next;
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const m = config.metadata;
    if (!m?.name || !m.namespace || !m.uid) throw new RuntimeError("InvalidArgument", "runPodSandbox: metadata name, namespace and uid are required");
    for (const s of this.sandboxes.values()) {
      const o = s.config.metadata;
      if (o.uid === m.uid && o.attempt === m.attempt && o.name === m.name && o.namespace === m.namespace)
        throw new RuntimeError("AlreadyExists", `runPodSandbox: sandbox for ${m.namespace}/${m.name} attempt ${m.attempt} already exists (${s.id})`);
    }
    const id = this.newId();
    const ip = config.linux?.hostNetwork ? "" : this.ips.allocate(id);
    this.sandboxes.set(id, { id, config: structuredClone(config), state: "ready", createdAt: this.clock.now(), ip });
    return id;
  }

  private sandbox(id: string, op: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError("NotFound", `${op}: pod sandbox ${JSON.stringify(id)} not found`);
    return s;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state !== "exited") this.exit(c, SIGKILL_EXIT, "Error");
    s.state = "notready";
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.deleteContainer(c);
    this.ips.release(id);
    this.sandboxes.delete(id);
  }

  private sandboxView(s: SandboxRecord): PodSandbox {
    return { id: s.id, metadata: { ...s.config.metadata }, state: s.state, createdAt: s.createdAt, labels: { ...s.config.labels }, annotations: { ...s.config.annotations } };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandbox(id, "podSandboxStatus");
    return { ...this.sandboxView(s), network: { ip: s.ip, additionalIps: [] } };
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const out: PodSandbox[] = [];
    for (const s of this.sandboxes.values()) {
      if (filter.id && s.id !== filter.id) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matchLabels(s.config.labels, filter.labelSelector)) continue;
      out.push(this.sandboxView(s));
    }
    return out;
  }

  /** Test and simulation control: the sandbox dies (as when its pause process is killed); its containers are killed. */
  crashSandbox(id: string): void {
    const s = this.sandbox(id, "crashSandbox");
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state !== "exited") this.exit(c, SIGKILL_EXIT, "Error");
    s.state = "notready";
  }

  // ---- containers ----

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const s = this.sandbox(podSandboxId, "createContainer");
    if (s.state !== "ready") throw new RuntimeError("FailedPrecondition", `createContainer: pod sandbox ${podSandboxId} is not ready`);
    if (!config.metadata?.name) throw new RuntimeError("InvalidArgument", "createContainer: metadata.name is required");
    const ref = normalizeImage(config.image);
    const img = this.images.get(ref);
    if (!img) throw new RuntimeError("NotFound", `createContainer: image ${JSON.stringify(config.image)} is not present (pull it first)`);
    for (const c of this.containers.values())
      if (c.sandboxId === podSandboxId && c.config.metadata.name === config.metadata.name && c.config.metadata.attempt === config.metadata.attempt)
        throw new RuntimeError("AlreadyExists", `createContainer: container ${config.metadata.name} attempt ${config.metadata.attempt} already exists in sandbox ${podSandboxId}`);
    const id = this.newId();
    const annotations = { ...s.config.annotations, ...sandboxConfig.annotations, ...config.annotations };
    const rec: ContainerRecord = {
      id,
      sandboxId: podSandboxId,
      config: structuredClone(config),
      image: ref,
      imageRef: img.id,
      state: "created",
      createdAt: this.clock.now(),
      script: containerScript(annotations, config.metadata.name),
      exitWaiters: [],
    };
    this.containers.set(id, rec);
    this.emit("created", rec);
    return id;
  }

  private container(id: string, op: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError("NotFound", `${op}: container ${JSON.stringify(id)} not found`);
    return c;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id, "startContainer");
    if (c.state !== "created") throw new RuntimeError("FailedPrecondition", `startContainer: container ${id} is ${c.state}, not created`);
    if (this.sandboxes.get(c.sandboxId)?.state !== "ready") throw new RuntimeError("FailedPrecondition", `startContainer: pod sandbox ${c.sandboxId} is not ready`);
    c.state = "running";
    c.startedAt = this.clock.now();
    this.emit("started", c);
    const limit = c.config.linux?.resources?.memoryLimitInBytes;
    const sc = c.script;
    let after: { ms: number; code: number; reason: string } | undefined;
    if (limit && limit > 0 && sc.memoryBytes > limit) after = { ms: 0, code: SIGKILL_EXIT, reason: "OOMKilled" };
    if (sc.oomAfterMs !== undefined && (!after || sc.oomAfterMs < after.ms)) after = { ms: sc.oomAfterMs, code: SIGKILL_EXIT, reason: "OOMKilled" };
    if (sc.exitAfterMs !== undefined && (!after || sc.exitAfterMs < after.ms)) after = { ms: sc.exitAfterMs, code: sc.exitCode, reason: sc.exitCode === 0 ? "Completed" : "Error" };
    if (after) {
      const a = after;
      c.timer = this.clock.setTimer(() => this.exit(c, a.code, a.reason), a.ms);
    }
  }

  private exit(c: ContainerRecord, code: number, reason: string): void {
    if (c.state === "exited") return;
    c.timer?.cancel();
    c.timer = undefined;
    c.state = "exited";
    c.exitCode = code;
    c.reason = reason;
    c.finishedAt = this.clock.now();
    // A container that never started still gets times, as runtimes report them.
    c.startedAt ??= c.finishedAt;
    for (const w of c.exitWaiters.splice(0)) w();
    this.emit("stopped", c);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.state === "exited") return;
    if (c.state === "created") return this.exit(c, 0, "Completed");
    const now = this.clock.now();
    const exited = new Promise<void>((resolve) => c.exitWaiters.push(resolve));
    // SIGTERM is sent once: the process exits stopDelay after the first stop. A later stop with a shorter timeout
    // brings the SIGKILL forward, never back.
    c.stoppingSince ??= now;
    const selfExitAt = c.stoppingSince + c.script.stopDelayMs;
    c.killAt = Math.min(c.killAt ?? Infinity, now + Math.max(0, timeoutSeconds) * 1000);
    c.timer?.cancel();
    c.timer = undefined;
    if (selfExitAt <= now) this.exit(c, 0, "Completed");
    else if (c.killAt <= now) this.exit(c, SIGKILL_EXIT, "Error");
    else if (selfExitAt < c.killAt) c.timer = this.clock.setTimer(() => this.exit(c, 0, "Completed"), selfExitAt - now);
    else c.timer = this.clock.setTimer(() => this.exit(c, SIGKILL_EXIT, "Error"), c.killAt - now);
    await exited;
  }

  private deleteContainer(c: ContainerRecord): void {
    if (c.state !== "exited") this.exit(c, SIGKILL_EXIT, "Error");
    this.containers.delete(c.id);
    this.emit("deleted", c);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.deleteContainer(c);
  }

  private containerView(c: ContainerRecord): Container {
    return {
      id: c.id,
      podSandboxId: c.sandboxId,
      metadata: { ...c.config.metadata },
      image: c.image,
      imageRef: c.imageRef,
      state: c.state,
      createdAt: c.createdAt,
      labels: { ...c.config.labels },
      annotations: { ...c.config.annotations },
    };
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const out: Container[] = [];
    for (const c of this.containers.values()) {
      if (filter.id && c.id !== filter.id) continue;
      if (filter.podSandboxId && c.sandboxId !== filter.podSandboxId) continue;
      if (filter.state && c.state !== filter.state) continue;
      if (!matchLabels(c.config.labels, filter.labelSelector)) continue;
      out.push(this.containerView(c));
    }
    return out;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.container(id, "containerStatus");
    return { ...this.containerView(c), startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode, reason: c.reason };
  }

  async execSync(id: string, cmd: string[], _timeoutSeconds: number): Promise<ExecSyncResult> {
    const c = this.container(id, "execSync");
    if (c.state !== "running") throw new RuntimeError("FailedPrecondition", `execSync: container ${id} is not running`);
    // A few commands answer as a shell would; everything else succeeds silently unless scripted otherwise.
    if (cmd[0] === "echo") return { stdout: cmd.slice(1).join(" ") + "\n", stderr: "", exitCode: 0 };
    if (cmd[0] === "true") return { stdout: "", stderr: "", exitCode: 0 };
    if (cmd[0] === "false") return { stdout: "", stderr: "", exitCode: 1 };
    return { stdout: "", stderr: "", exitCode: c.script.execExitCode };
  }

  private stats(c: ContainerRecord): ContainerStats {
    const now = this.clock.now();
    const running = c.state === "running";
    const ranMs = c.startedAt === undefined ? 0 : (c.finishedAt ?? now) - c.startedAt;
    const memory = running ? c.script.memoryBytes : 0;
    return {
      containerId: c.id,
      timestamp: now,
      cpu: { usageNanoCores: running ? c.script.cpuNanoCores : 0, usageCoreNanoSeconds: Math.round(c.script.cpuNanoCores * (ranMs / 1000)) },
      memory: { workingSetBytes: memory, usageBytes: memory },
    };
  }

  async containerStats(id: string): Promise<ContainerStats> {
    return this.stats(this.container(id, "containerStats"));
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const list = await this.listContainers(filter);
    return list.map((c) => this.stats(this.containers.get(c.id)!));
  }

  // ---- images ----

  async pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string> {
    if (!image) throw new RuntimeError("InvalidArgument", "pullImage: image is required");
    const why = pullFailure(image, sandboxConfig?.annotations ?? {});
    if (why) throw new RuntimeError("NotFound", why);
    const ref = normalizeImage(image);
    return (this.images.get(ref) ?? this.addImage(image, false)).id;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const img = this.images.get(normalizeImage(image));
    return img && { ...img, repoTags: [...img.repoTags], repoDigests: [...img.repoDigests] };
  }

  async listImages(): Promise<Image[]> {
    return [...this.images.values()].map((i) => ({ ...i, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests] }));
  }

  async removeImage(image: string): Promise<void> {
    const ref = normalizeImage(image);
    const img = this.images.get(ref);
    if (!img) return;
    for (const c of this.containers.values())
      if (c.image === ref) throw new RuntimeError("FailedPrecondition", `removeImage: image ${ref} is in use by container ${c.id}`);
    this.images.delete(ref);
  }

  /** Number of sandboxes and containers held: for tests and the sim's own metrics. */
  counts(): { sandboxes: number; containers: number } {
    return { sandboxes: this.sandboxes.size, containers: this.containers.size };
  }
}

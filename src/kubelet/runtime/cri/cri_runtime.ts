// The node agent's runtime for real containers: ContainerRuntime (runtime/types.ts) over CRI v1 to containerd.
// Mostly a translation (cri_convert.ts); what CRI leaves to the kubelet is done here: pod cgroup directories are
// removed with their sandbox, log directories exist before containers write to them, container events come from a
// relist (containerd 1.6 has no GetContainerEvents), and the pod CIDR reaches the node's CNI config.
import { mkdir, rmdir, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../../util/log.js";
import { silentLogger } from "../../../util/log.js";
import {
  RuntimeError,
  isRuntimeError,
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
import { CriClient } from "./cri_client.js";
import * as conv from "./cri_convert.js";
import { ContainerEventTracker } from "./container_events.js";

export interface CriRuntimeOptions {
  /** containerd's gRPC socket. */
  address: string;
  log?: Logger;
  /** Called with a new pod CIDR: writes the node's CNI config (containerd reloads it). */
  setPodCIDR?: (cidr: string) => Promise<void>;
  /** Replaces the /var/log/pods prefix of sandbox log directories (one log root per node on a shared machine). */
  podLogRoot?: string;
  /** How often containers are relisted for events while someone listens (default 500 ms). */
  eventPollMs?: number;
  /** Where cgroup hierarchies are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /**
   * A failed pull of an image that is present falls back to the local copy (default true): nothing here can reach a
   * registry, and `:latest` images are pulled on every container start.
   */
  localImageFallback?: boolean;
}

const DEFAULT_LOG_ROOT = "/var/log/pods";
/** How long updateRuntimeConfig waits for containerd to load a rewritten CNI config. */
const CNI_RELOAD_TIMEOUT_MS = 10_000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CriRuntime implements ContainerRuntime {
  readonly client: CriClient;
  private readonly log: Logger;
  private readonly events: ContainerEventTracker;
  /** Pod uid per sandbox id, for events; filled by runPodSandbox and relists. */
  private readonly sandboxUids = new Map<string, string>();
  /** Sandbox id per container id (CRI's ContainerStatus does not carry it). */
  private readonly containerSandbox = new Map<string, string>();
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private closed = false;

  constructor(private readonly o: CriRuntimeOptions) {
    this.client = new CriClient(o.address);
    this.log = (o.log ?? silentLogger).with({ runtime: "cri" });
    this.events = new ContainerEventTracker((sb) => this.sandboxUids.get(sb) ?? "");
  }

  private rt<Res>(method: string, req: object): Promise<Res> {
    return this.client.call<Res>("RuntimeService", method, req);
  }

  private img<Res>(method: string, req: object): Promise<Res> {
    return this.client.call<Res>("ImageService", method, req);
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.client.close();
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.rt<{ version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }>("Version", { version: "v1" });
    return { version: v.version, runtimeName: v.runtime_name, runtimeVersion: v.runtime_version, runtimeApiVersion: v.runtime_api_version };
  }

  async status(): Promise<RuntimeStatus> {
    const res = await this.rt<{ status: { conditions: Array<{ type: string; status: boolean; reason: string; message: string }> } | null }>("Status", {});
    const conditions: RuntimeStatus["conditions"] = [];
    for (const c of res.status?.conditions ?? [])
      if (c.type === "RuntimeReady" || c.type === "NetworkReady") conditions.push({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) });
    return { conditions };
  }

  async updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void> {
    if (!cfg.podCIDR) return;
    await this.rt("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: cfg.podCIDR } } });
    if (!this.o.setPodCIDR) return;
    await this.o.setPodCIDR(cfg.podCIDR);
    // containerd picks up the rewritten conflist asynchronously; its verbose status shows the config it uses.
    const deadline = Date.now() + CNI_RELOAD_TIMEOUT_MS;
    // The loaded config is JSON whose plugin sources are JSON strings again, so the subnet appears escaped.
    const subnet = `\\"${cfg.podCIDR}\\"`;
    while (Date.now() < deadline) {
      const res = await this.rt<{ info: Record<string, string> }>("Status", { verbose: true });
      if ((res.info?.cniconfig ?? "").includes(subnet)) return;
      await delay(50);
    }
    this.log.warn("containerd has not loaded the new CNI config yet", { podCIDR: cfg.podCIDR });
  }

  /**
   * The config as sent to containerd: the log directory under podLogRoot, and a pod cgroup /kubepods/pod<uid> when
   * the caller gave none (containerd's default parent is shared by every sandbox and never removed).
   */
  private withLogRoot(config: PodSandboxConfig): PodSandboxConfig {
    let cfg = config;
    if (!cfg.linux?.cgroupParent && cfg.metadata.uid) cfg = { ...cfg, linux: { ...cfg.linux, cgroupParent: `/kubepods/pod${cfg.metadata.uid}` } };
    const dir = cfg.logDirectory;
    if (!this.o.podLogRoot || !dir || !dir.startsWith(DEFAULT_LOG_ROOT + "/")) return cfg;
    return { ...cfg, logDirectory: join(this.o.podLogRoot, dir.slice(DEFAULT_LOG_ROOT.length + 1)) };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const cfg = this.withLogRoot(config);
    if (cfg.logDirectory) await mkdir(cfg.logDirectory, { recursive: true });
    const res = await this.rt<{ pod_sandbox_id: string }>("RunPodSandbox", { config: conv.wireSandboxConfig(cfg) });
    this.sandboxUids.set(res.pod_sandbox_id, config.metadata.uid);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const running = this.events.subscribed ? await this.listContainers({ podSandboxId: id }) : [];
    await this.rt("StopPodSandbox", { pod_sandbox_id: id });
    for (const c of running) if (c.state !== "exited") this.events.observe("stopped", c.id, id);
  }

  async removePodSandbox(id: string): Promise<void> {
    let cgroupParent = "";
    let containers: Container[] = [];
    try {
      const res = await this.rt<{ status: conv.WirePodSandboxStatus | null; info: Record<string, string> }>("PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
      cgroupParent = cgroupParentOf(res.info);
      containers = await this.listContainers({ podSandboxId: id });
    } catch (err) {
      if (isRuntimeError(err, "NotFound")) return;
      throw err;
    }
    try {
      await this.rt("RemovePodSandbox", { pod_sandbox_id: id });
    } catch (err) {
      if (!isRuntimeError(err, "NotFound")) throw err;
    }
    for (const c of containers) {
      this.events.observe("deleted", c.id, id);
      this.containerSandbox.delete(c.id);
    }
    this.sandboxUids.delete(id);
    if (cgroupParent) await this.removeCgroup(cgroupParent);
  }

  /** containerd leaves the pod-level cgroup_parent directories behind; rmdir them in every hierarchy (as kubelet does). */
  private async removeCgroup(parent: string): Promise<void> {
    const root = this.o.cgroupRoot ?? "/sys/fs/cgroup";
    const hierarchies = (await readdir(root).catch(() => [] as string[])).map((h) => join(root, h));
    for (const h of hierarchies) {
      try {
        await rmdir(join(h, parent));
      } catch (err) {
        // ENOENT: never created there; EBUSY/ENOTEMPTY: a newer sandbox of the pod still lives in it.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "EBUSY" && code !== "ENOTEMPTY") this.log.warn("removing pod cgroup failed", { cgroup: join(h, parent), err });
      }
    }
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.rt<{ status: conv.WirePodSandboxStatus | null }>("PodSandboxStatus", { pod_sandbox_id: id });
    if (!res.status) throw new RuntimeError("NotFound", `podSandboxStatus: pod sandbox ${JSON.stringify(id)} not found`);
    return conv.podSandboxStatus(res.status);
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const res = await this.rt<{ items: conv.WirePodSandbox[] }>("ListPodSandbox", { filter: conv.wireSandboxFilter(filter) });
    const out = (res.items ?? []).map(conv.podSandbox);
    for (const s of out) this.sandboxUids.set(s.id, s.metadata.uid);
    return out;
  }

  // ---- containers ----

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sb = await this.podSandboxStatus(podSandboxId);
    if (sb.state !== "ready") throw new RuntimeError("FailedPrecondition", `createContainer: pod sandbox ${podSandboxId} is not ready`);
    const scfg = this.withLogRoot(sandboxConfig);
    if (scfg.logDirectory && config.logPath) await mkdir(dirname(join(scfg.logDirectory, config.logPath)), { recursive: true });
    const res = await this.rt<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: podSandboxId,
      config: conv.wireContainerConfig(config, scfg),
      sandbox_config: conv.wireSandboxConfig(scfg),
    });
    this.containerSandbox.set(res.container_id, podSandboxId);
    this.sandboxUids.set(podSandboxId, sb.metadata.uid);
    this.events.observe("created", res.container_id, podSandboxId);
    return res.container_id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.rt("StartContainer", { container_id: id });
    } catch (err) {
      if (!isRuntimeError(err) || err.code === "NotFound") throw err;
      // containerd answers Unknown for a start in the wrong state; the contract says FailedPrecondition.
      const st = await this.containerStatus(id);
      if (st.state !== "created") throw new RuntimeError("FailedPrecondition", `startContainer: container ${id} is ${st.state}, not created`);
      throw err;
    }
    this.events.observe("started", id, await this.sandboxOf(id));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.rt("StopContainer", { container_id: id, timeout: Math.max(0, Math.floor(timeoutSeconds)) });
    this.events.observe("stopped", id, await this.sandboxOf(id));
  }

  async removeContainer(id: string): Promise<void> {
    const sb = this.containerSandbox.get(id) ?? "";
    try {
      await this.rt("RemoveContainer", { container_id: id });
    } catch (err) {
      if (!isRuntimeError(err, "NotFound")) throw err;
    }
    this.events.observe("deleted", id, sb);
    this.containerSandbox.delete(id);
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const res = await this.rt<{ containers: conv.WireContainer[] }>("ListContainers", { filter: conv.wireContainerFilter(filter) });
    const out = (res.containers ?? []).map(conv.container);
    for (const c of out) this.containerSandbox.set(c.id, c.podSandboxId);
    return out;
  }

  private async sandboxOf(id: string): Promise<string> {
    const known = this.containerSandbox.get(id);
    if (known) return known;
    const [c] = await this.listContainers({ id });
    return c?.podSandboxId ?? "";
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.rt<{ status: conv.WireContainerStatus | null }>("ContainerStatus", { container_id: id });
    if (!res.status) throw new RuntimeError("NotFound", `containerStatus: container ${JSON.stringify(id)} not found`);
    return conv.containerStatus(res.status, await this.sandboxOf(id));
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    // The gRPC deadline outlasts the command's own timeout so the runtime, not the transport, reports a slow command.
    const res = await this.client.call<{ stdout: Buffer; stderr: Buffer; exit_code: number }>(
      "RuntimeService",
      "ExecSync",
      { container_id: id, cmd, timeout: Math.max(0, Math.ceil(timeoutSeconds)) },
      { timeoutMs: (Math.max(1, timeoutSeconds) + 10) * 1000 },
    );
    return { stdout: res.stdout?.toString("utf8") ?? "", stderr: res.stderr?.toString("utf8") ?? "", exitCode: res.exit_code };
  }

  /** Changes cpu and memory limits of a running container in place. */
  async updateContainerResources(id: string, r: { cpuShares?: number; cpuQuota?: number; cpuPeriod?: number; memoryLimitInBytes?: number }): Promise<void> {
    await this.rt("UpdateContainerResources", {
      container_id: id,
      linux: { cpu_period: r.cpuPeriod ?? 0, cpu_quota: r.cpuQuota ?? 0, cpu_shares: r.cpuShares ?? 0, memory_limit_in_bytes: r.memoryLimitInBytes ?? 0 },
    });
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const res = await this.rt<{ stats: conv.WireContainerStats | null }>("ContainerStats", { container_id: id });
    if (!res.stats) throw new RuntimeError("NotFound", `containerStats: container ${JSON.stringify(id)} not found`);
    return conv.containerStats(res.stats);
  }

  async listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]> {
    const f = filter ? { id: filter.id ?? "", pod_sandbox_id: filter.podSandboxId ?? "", label_selector: filter.labelSelector ?? {} } : null;
    const res = await this.rt<{ stats: conv.WireContainerStats[] }>("ListContainerStats", { filter: f });
    return (res.stats ?? []).map(conv.containerStats);
  }

  // ---- events ----

  subscribeContainerEvents(listener: (ev: ContainerEvent) => void): () => void {
    const first = !this.events.subscribed;
    const off = this.events.subscribe(listener);
    if (first) {
      this.polling = true;
      void this.poll(true);
    }
    return () => {
      off();
      if (!this.events.subscribed) {
        this.polling = false;
        if (this.pollTimer) clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  private async poll(first: boolean): Promise<void> {
    if (!this.polling || this.closed) return;
    const listedAt = Date.now();
    try {
      const list = await this.listContainers();
      if (list.some((c) => !this.sandboxUids.has(c.podSandboxId))) await this.listPodSandbox();
      this.events.relist(list, listedAt, { quiet: first });
    } catch (err) {
      this.log.debug("container relist failed", { err });
    }
    if (!this.polling || this.closed) return;
    this.pollTimer = setTimeout(() => void this.poll(false), this.o.eventPollMs ?? 500);
    this.pollTimer.unref();
  }

  // ---- images ----

  async pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string> {
    try {
      const res = await this.img<{ image_ref: string }>("PullImage", { image: { image }, sandbox_config: sandboxConfig ? conv.wireSandboxConfig(this.withLogRoot(sandboxConfig)) : null });
      return res.image_ref;
    } catch (err) {
      if (this.o.localImageFallback === false) throw err;
      const local = await this.imageStatus(image);
      if (!local) throw err;
      this.log.debug("pull failed, using the local image", { image: normalizeImage(image), err });
      return local.id;
    }
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const res = await this.img<{ image: conv.WireImage | null }>("ImageStatus", { image: { image } });
    return res.image ? conv.image(res.image) : undefined;
  }

  async listImages(): Promise<Image[]> {
    const res = await this.img<{ images: conv.WireImage[] }>("ListImages", {});
    return (res.images ?? []).map(conv.image);
  }

  async removeImage(image: string): Promise<void> {
    try {
      await this.img("RemoveImage", { image: { image } });
    } catch (err) {
      if (!isRuntimeError(err, "NotFound")) throw err;
    }
  }
}

/** The cgroup_parent recorded in a sandbox's verbose status (containerd puts the sandbox config in info.info). */
export function cgroupParentOf(info: Record<string, string> | undefined): string {
  const raw = info?.info;
  if (!raw) return "";
  try {
    const parsed = JSON.parse(raw) as { config?: { linux?: { cgroup_parent?: string } } };
    return parsed.config?.linux?.cgroup_parent ?? "";
  } catch {
    return "";
  }
}

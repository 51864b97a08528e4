// One containerd per node, with its own root, state, sockets and CNI config under one directory, optionally inside
// the node's network namespace. It runs in its own session (setsid), so signals to the agent's terminal do not reach
// it; pods survive a containerd restart because their shims keep running.
// Inside a namespace it is started with `nsenter --net=...`: `ip netns exec` remounts /sys and hides the cgroup
// mounts runc needs.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { runCommand } from "./command.js";
import {
  CNI_CONF_FILE,
  cniConflist,
  containerdConfig,
  containerdLayout,
  insecureRegistryHosts,
  registryHostsFile,
  type ContainerdConfigOptions,
  type ContainerdLayout,
} from "./containerd_config.js";

export interface ContainerdInstanceOptions extends ContainerdConfigOptions {
  /** The node's directory: root, state, sockets, CNI config and the log live under it. */
  dir: string;
  /** Name of a network namespace under /var/run/netns to run containerd (and so every pod network) inside. */
  netns?: string;
  /** The pod subnet for the CNI config; without it no config is written until setPodCIDR. */
  podCIDR?: string;
  containerdBinary?: string;
  log?: Logger;
  /** How long to wait for the socket to accept connections (default 30 s: a cold start loads every plugin). */
  startTimeoutMs?: number;
}

const POLL_MS = 50;
const STOP_GRACE_MS = 10_000;

/** True when something accepts connections on the unix socket at path. */
export function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class ContainerdInstance {
  private exited: Promise<void>;

  private constructor(
    readonly layout: ContainerdLayout,
    private readonly child: ChildProcess,
    private readonly log: Logger,
    private readonly netns?: string,
    private podCIDR?: string,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  get address(): string {
    return this.layout.address;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Writes the config (and the CNI config when a pod CIDR is given), starts containerd and waits for its socket. */
  static async start(opts: ContainerdInstanceOptions): Promise<ContainerdInstance> {
    const layout = containerdLayout(opts.dir);
    const log = (opts.log ?? silentLogger).with({ containerd: layout.address });
    for (const d of [layout.root, layout.state, layout.runcRoot, layout.cniConfDir, layout.cniIpamDir]) await mkdir(d, { recursive: true, mode: 0o711 });
    await writeFile(layout.configFile, containerdConfig(layout, opts));
    if (opts.podCIDR) await writeCniConfig(layout, opts.podCIDR);
    if (existsSync(layout.address) && (await canConnect(layout.address))) throw new Error(`containerd: ${layout.address} is already served by another containerd`);
    await rm(layout.address, { force: true });
    const binary = opts.containerdBinary ?? "containerd";
    const [file, args] = opts.netns
      ? ["nsenter", [`--net=/var/run/netns/${opts.netns}`, binary, "--config", layout.configFile]]
      : [binary, ["--config", layout.configFile]];
    const out = openSync(layout.logFile, "a");
    let child: ChildProcess;
    try {
      // detached: its own session and process group (setsid), so a ^C to the agent's terminal does not reach it.
      child = spawn(file, args, { detached: true, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    const inst = new ContainerdInstance(layout, child, log, opts.netns, opts.podCIDR);
    let failed: Error | undefined;
    child.once("error", (err) => (failed = err));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    while (!(await canConnect(layout.address))) {
      if (failed || child.exitCode !== null || Date.now() > deadline) {
        await inst.stop();
        const tail = (await readFile(layout.logFile, "utf8").catch(() => "")).trim().split("\n").slice(-3).join("; ");
        throw new Error(`containerd did not come up at ${layout.address}: ${failed?.message ?? tail}`);
      }
      await delay(POLL_MS);
    }
    child.unref();
    log.info("containerd started", { pid: child.pid, netns: opts.netns });
    return inst;
  }

  /**
   * Points the CNI config at a new pod subnet (containerd reloads the directory by itself). Inside the node's own
   * namespace the bridge's old gateway address is dropped too, or the bridge plugin refuses the new one; on the host
   * network the bridge is left alone.
   */
  async setPodCIDR(cidr: string): Promise<void> {
    if (cidr === this.podCIDR) return;
    await writeCniConfig(this.layout, cidr);
    if (this.podCIDR && this.netns) await runCommand("ip", ["-n", this.netns, "addr", "flush", "dev", "cni0"]).catch(() => "");
    this.podCIDR = cidr;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once containerd has exited. Pods keep running. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (!pid || this.child.exitCode !== null || this.child.signalCode !== null) return;
    // nsenter execs containerd, so the pid is containerd's own.
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (alive(pid)) this.child.kill("SIGKILL");
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    this.log.info("containerd stopped", { pid });
  }
}

/** Lets the node's containerd pull from these registries over plain HTTP (hosts.toml under its config_path). */
export async function writeInsecureRegistries(layout: ContainerdLayout, hostPorts: string[]): Promise<void> {
  for (const hp of hostPorts) {
    const file = registryHostsFile(layout, hp);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, insecureRegistryHosts(hp));
    await rename(`${file}.tmp`, file);
  }
}

/** Writes the node's CNI conflist for a pod subnet, atomically so containerd never reads half a file. */
export async function writeCniConfig(layout: ContainerdLayout, podCIDR: string): Promise<void> {
  await mkdir(layout.cniConfDir, { recursive: true });
  const target = join(layout.cniConfDir, CNI_CONF_FILE);
  // The temp name must not end in .conflist, or containerd could load it.
  const tmp = `${target}.tmp`;
  await writeFile(tmp, cniConflist(layout, { subnet: podCIDR }));
  await rename(tmp, target);
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const path = mp.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(prefix)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** PIDs of containerd shims serving the containerd at this address (their command line names it). */
export function shimPids(address: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv[0]?.includes("containerd-shim")) continue;
    const i = argv.indexOf("-address");
    if (i >= 0 && argv[i + 1] === address) pids.push(Number(name));
  }
  return pids;
}

/**
 * Last-resort teardown of a node directory after containerd has stopped: deletes containers runc still knows under
 * the instance's runc root, kills the instance's shims, unmounts what is left below dir and removes dir. Pods should
 * have been removed through CRI first (that also releases their IPs and cgroups); this catches failures.
 */
export async function destroyContainerdDir(dir: string): Promise<void> {
  const layout = containerdLayout(dir);
  if (existsSync(layout.runcRoot)) {
    for (const ns of readdirSync(layout.runcRoot)) {
      const root = join(layout.runcRoot, ns);
      const ids = (await runCommand("runc", ["--root", root, "list", "-q"]).catch(() => "")).split("\n").filter(Boolean);
      for (const id of ids) await runCommand("runc", ["--root", root, "delete", "--force", id]).catch(() => "");
    }
  }
  for (const pid of shimPids(layout.address)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const mp of mountsUnder(dir)) await runCommand("umount", ["-l", mp]).catch(() => "");
  await rm(dir, { recursive: true, force: true });
}

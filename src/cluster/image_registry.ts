// A local image registry: Debian's docker-registry (the CNCF distribution registry) serving plain HTTP, with its
// storage in a directory k8ts owns. `k8ts cluster up` starts one per cluster on the bridge's host address
// (<hostIP>:5000, storage <cluster dir>/registry) and points every node's containerd at it; `k8ts registry serve`
// runs one in the foreground anywhere. Images get there with `k8ts image push`.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isClusterProcess, spawnDetached, stopProcesses } from "./processes.js";
import type { StateStore } from "./state_store.js";
import type { ClusterRecord } from "./types.js";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
export const REGISTRY_PORT = 5000;

/** Why no registry can run here, or undefined. */
export function registrySkipReason(): string | undefined {
  return existsSync(REGISTRY_BINARY) ? undefined : `needs ${REGISTRY_BINARY} (Debian package docker-registry; scripts/install_deps.sh installs it)`;
}

export interface RegistryLayout {
  dir: string;
  storage: string;
  configFile: string;
  logFile: string;
  pidFile: string;
}

export function registryLayout(dir: string): RegistryLayout {
  return { dir, storage: join(dir, "storage"), configFile: join(dir, "config.yml"), logFile: join(dir, "registry.log"), pidFile: join(dir, "registry.pid") };
}

/** The registry's configuration: filesystem storage, deletes allowed, no auth, plain HTTP on listen. */
export function registryConfig(layout: RegistryLayout, listen: string): string {
  return `# Written by k8ts.
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: ${JSON.stringify(layout.storage)}
  delete:
    enabled: true
http:
  addr: ${JSON.stringify(listen)}
  headers:
    X-Content-Type-Options: [nosniff]
`;
}

async function prepare(dir: string, listen: string): Promise<RegistryLayout> {
  const layout = registryLayout(dir);
  await mkdir(layout.storage, { recursive: true });
  await writeFile(layout.configFile, registryConfig(layout, listen));
  return layout;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the registry's log says it listens (works whatever network namespace it runs in), from byte offset
 * `from` of the log; throws with the log's tail when it exits or times out first.
 */
async function waitListening(logFile: string, from: number, alive: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await readFile(logFile, "utf8").catch(() => "")).slice(from);
    if (/listening on/.test(text)) return;
    if (!alive() || Date.now() > deadline) {
      const tail = text.trim().split("\n").slice(-3).join("; ");
      throw new Error(`docker-registry did not start: ${tail || "no output"}`);
    }
    await delay(50);
  }
}

function logSize(file: string): number {
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}

export interface RegistryProcess {
  pid: number;
  /** host:port it serves. */
  address: string;
  layout: RegistryLayout;
  /** SIGTERM, SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts a registry as a child of this process (tests, `k8ts registry serve`), optionally inside a network namespace. */
export async function startRegistry(opts: { dir: string; listen: string; netns?: string; timeoutMs?: number }): Promise<RegistryProcess> {
  const layout = await prepare(opts.dir, opts.listen);
  const from = logSize(layout.logFile);
  const argv = [REGISTRY_BINARY, "serve", layout.configFile];
  const full = opts.netns ? ["nsenter", `--net=/var/run/netns/${opts.netns}`, "--", ...argv] : argv;
  const out = openSync(layout.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(full[0]!, full.slice(1), { stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", () => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitListening(layout.logFile, from, () => child.exitCode === null && child.signalCode === null, opts.timeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, address: opts.listen, layout, stop };
}

/** The registry of a local cluster: where it listens and keeps its storage. */
export function clusterRegistry(rec: ClusterRecord, store: StateStore): { address: string; layout: RegistryLayout } {
  return { address: `${rec.hostIP}:${REGISTRY_PORT}`, layout: registryLayout(join(store.dir(rec.name), "registry")) };
}

function pidOf(layout: RegistryLayout): number | undefined {
  try {
    const pid = Number(readFileSync(layout.pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface ClusterRegistryStatus {
  address: string;
  storage: string;
  running: boolean;
  pid?: number;
}

export function clusterRegistryStatus(rec: ClusterRecord, store: StateStore): ClusterRegistryStatus {
  const { address, layout } = clusterRegistry(rec, store);
  const pid = pidOf(layout);
  const running = isClusterProcess(pid, store.dir(rec.name));
  return { address, storage: layout.storage, running, ...(running ? { pid } : {}) };
}

/** Starts the cluster's registry (detached, stopped by `cluster down` with the cluster's other processes) unless it runs. */
export async function ensureClusterRegistry(rec: ClusterRecord, store: StateStore, timeoutMs = 30_000): Promise<ClusterRegistryStatus> {
  const clusterDir = store.dir(rec.name);
  const { address, layout } = clusterRegistry(rec, store);
  if (isClusterProcess(pidOf(layout), clusterDir)) return clusterRegistryStatus(rec, store);
  await prepare(layout.dir, address);
  const from = logSize(layout.logFile);
  const pid = spawnDetached({ argv: [REGISTRY_BINARY, "serve", layout.configFile], logFile: layout.logFile, clusterDir });
  await writeFile(layout.pidFile, `${pid}\n`);
  await waitListening(layout.logFile, from, () => isClusterProcess(pid, clusterDir), timeoutMs);
  return clusterRegistryStatus(rec, store);
}

/** Stops the cluster's registry; its storage stays. */
export async function stopClusterRegistry(rec: ClusterRecord, store: StateStore): Promise<void> {
  const pid = pidOf(clusterRegistry(rec, store).layout);
  if (pid) await stopProcesses([pid], store.dir(rec.name), 5000);
}

// One node of a local cluster: its namespace and veth on the underlay, its agent process (kubelet + pod network
// agent + kube-proxy, and with the containerd runtime the node's own containerd, started by the agent inside the
// namespace) and, on removal, everything those left behind.
import { readFileSync, statSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { deleteNodeNetns, ensureNodeNetns } from "./host_net.js";
import { ensureClusterRegistry, registrySkipReason } from "./image_registry.js";
import { cleanupNodeRuntime } from "./node_cleanup.js";
import { clusterPids, isClusterProcess, spawnDetached, stopProcesses } from "./processes.js";
import type { StateStore } from "./state_store.js";
import type { ClusterRecord, NodeRecord } from "./types.js";

/** The kubelet port each agent serves on its own node address. */
export const KUBELET_PORT = 10250;

export function planNode(rec: ClusterRecord, index: number): NodeRecord {
  const name = `node-${index}`;
  return {
    name,
    index,
    netns: `k8ts-${rec.name}-${name}`,
    // IFNAMSIZ is 16: the host end is named by numbers, not by the (longer) cluster name.
    hostVeth: `k8ts${rec.subnetIndex}n${index}`,
    ip: `10.100.${rec.subnetIndex}.${index + 2}`,
  };
}

export function serverUrl(rec: ClusterRecord): string {
  return `http://${rec.hostIP}:${rec.serverPort}`;
}

export interface NodeLaunch {
  store: StateStore;
  k8ts: string[];
  cwd?: string;
}

/** Makes the node's namespace and starts its agent unless one of this cluster's is already running for it. */
export async function startNode(rec: ClusterRecord, node: NodeRecord, launch: NodeLaunch): Promise<void> {
  const dir = launch.store.nodeDir(rec.name, node.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mkdir(join(dir, "manifests"), { recursive: true });
  await ensureNodeNetns({ netns: node.netns, hostVeth: node.hostVeth, bridge: rec.bridge, ip: node.ip });
  const clusterDir = launch.store.dir(rec.name);
  if (isClusterProcess(node.agentPid, clusterDir)) return;
  // A containerd that outlived its agent would refuse the new agent's containerd its socket; pods' shims stay.
  const orphans = pidsInNetns(clusterDir, node.netns).filter((pid) => !commOf(pid).startsWith("containerd-shim"));
  await stopProcesses(orphans, clusterDir);
  // The cluster's image registry on the bridge address, which every node's containerd pulls from over plain HTTP.
  const registry = rec.runtime === "containerd" && !registrySkipReason() ? await ensureClusterRegistry(rec, launch.store) : undefined;
  const argv = [
    ...launch.k8ts,
    "agent",
    "--runtime", rec.runtime,
    "--node-name", node.name,
    "--server", serverUrl(rec),
    "--node-ip", node.ip,
    "--serve", `${node.ip}:${KUBELET_PORT}`,
    "--network", "vxlan",
    "--proxy-mode", "iptables",
    // Static pods: manifests dropped into <node dir>/manifests run on that node.
    "--pod-manifest-path", join(dir, "manifests"),
    ...(rec.runtime === "containerd" ? ["--containerd-root", join(dir, "containerd")] : []),
    ...(registry ? ["--insecure-registry", registry.address] : []),
  ];
  node.agentPid = spawnDetached({ argv, logFile: join(dir, "agent.log"), clusterDir, cwd: launch.cwd, netns: node.netns });
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Processes of this cluster living in the node's network namespace (the agent, its containerd). */
function pidsInNetns(clusterDir: string, netns: string): number[] {
  let ino: number;
  try {
    ino = statSync(`/var/run/netns/${netns}`).ino;
  } catch {
    return [];
  }
  return clusterPids(clusterDir).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${ino}]`;
    } catch {
      return false;
    }
  });
}

/** Stops the node's processes and removes its containers, cgroups, mounts, namespace, veth and directory. */
export async function destroyNode(rec: ClusterRecord, node: NodeRecord, store: StateStore): Promise<void> {
  const clusterDir = store.dir(rec.name);
  // The agent first: on SIGTERM it stops its containerd itself.
  await stopProcesses([node.agentPid ?? 0], clusterDir);
  await stopProcesses(pidsInNetns(clusterDir, node.netns), clusterDir);
  const dir = store.nodeDir(rec.name, node.name);
  await cleanupNodeRuntime(join(dir, "containerd"));
  await deleteNodeNetns(node.netns, node.hostVeth);
  await rm(dir, { recursive: true, force: true });
  node.agentPid = undefined;
}

/** Node directories on disk (a half-finished add-node may have one the state does not list). */
export function nodeDirs(store: StateStore, cluster: string): string[] {
  try {
    return readdirSync(join(store.dir(cluster), "nodes"));
  } catch {
    return [];
  }
}

// Removing what a node's containerd left behind once its processes are gone: containers runc still knows, shims,
// mounts (pod network namespaces live under the state directory), the pod cgroup directories containerd never
// removes, and the CNI result cache entries of the node's containers. Everything is found from the node's own
// directory, so it works after a crash with the API server gone.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { destroyContainerdDir } from "../kubelet/containerd/containerd_instance.js";

const CGROUP_ROOT = "/sys/fs/cgroup";
const CNI_RESULTS = "/var/lib/cni/results";

/** Container ids and cgroup paths (each with its pod-level parent) of the bundles in the node's state directory. */
function bundlesOf(containerdDir: string): { ids: string[]; cgroups: string[] } {
  const tasks = join(containerdDir, "state", "io.containerd.runtime.v2.task");
  const ids: string[] = [];
  const cgroups = new Set<string>();
  // Pods whose containers all exited have no bundle left; their log directories (<ns>_<name>_<uid>) still name them.
  const logs = join(containerdDir, "pods");
  if (existsSync(logs)) {
    for (const d of readdirSync(logs)) {
      const uid = /_([0-9a-f-]{36})$/.exec(d)?.[1];
      if (uid) cgroups.add(`/kubepods/pod${uid}`);
    }
  }
  for (const ns of existsSync(tasks) ? readdirSync(tasks) : []) {
    for (const id of readdirSync(join(tasks, ns))) {
      ids.push(id);
      try {
        const cfg = JSON.parse(readFileSync(join(tasks, ns, id, "config.json"), "utf8")) as { linux?: { cgroupsPath?: string } };
        const p = cfg.linux?.cgroupsPath;
        if (p && p.startsWith("/kubepods/")) {
          cgroups.add(p);
          const parent = p.split("/").slice(0, 3).join("/");
          if (parent.length > "/kubepods/".length) cgroups.add(parent);
        }
      } catch {
        // a bundle without a readable config: nothing to learn from it
      }
    }
  }
  // Deepest first, so a pod's directory is empty when its turn comes.
  return { ids, cgroups: [...cgroups].sort((a, b) => b.length - a.length) };
}

export async function cleanupNodeRuntime(containerdDir: string): Promise<void> {
  if (!existsSync(containerdDir)) return;
  const { ids, cgroups } = bundlesOf(containerdDir);
  await destroyContainerdDir(containerdDir);
  const hierarchies = existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h)) : [];
  for (const cg of cgroups) for (const h of hierarchies) await rmdir(join(h, cg)).catch(() => undefined);
  if (ids.length && existsSync(CNI_RESULTS)) {
    for (const f of readdirSync(CNI_RESULTS)) if (ids.some((id) => f.includes(id))) await rm(join(CNI_RESULTS, f), { force: true });
  }
}

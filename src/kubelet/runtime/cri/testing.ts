// Test support: a throwaway node for CRI tests, i.e. a network namespace, a containerd inside it with its own
// directories and CNI config over a test-only subnet, and the base images imported. Everything it creates is
// removed by destroy(), even after failures (pods through CRI first, then processes, mounts, directories).
import { mkdtemp } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../containerd/command.js";
import { ContainerdInstance, destroyContainerdDir } from "../../containerd/containerd_instance.js";
import { ensureBaseImages } from "../../images/load_image.js";
import { CriRuntime } from "./cri_runtime.js";

export interface TestNode {
  netns: string;
  dir: string;
  containerd: ContainerdInstance;
  runtime: CriRuntime;
  /** Another CRI runtime over the same containerd (as a restarted agent would make); the caller closes it. */
  newRuntime(): CriRuntime;
  /** Removes every sandbox, stops containerd, removes mounts, the directory and the namespace. */
  destroy(): Promise<void>;
}

/** Why CRI tests cannot run here, or undefined when they can (root, containerd, runc, umoci, skopeo present). */
export function criTestSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (containerd, network namespaces, cgroups)";
  for (const bin of ["/usr/bin/containerd", "/usr/sbin/runc", "/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/ctr"])
    if (!existsSync(bin)) return `needs ${bin} (scripts/install_deps.sh installs it)`;
  return undefined;
}

/** Removes every pod sandbox the runtime knows (the pod cgroups go with them). */
export async function removeAllSandboxes(runtime: CriRuntime): Promise<void> {
  for (const sb of await runtime.listPodSandbox()) await runtime.removePodSandbox(sb.id).catch(() => undefined);
}

/** Starts a node named after the test: namespace k8ts-<name>-<pid>, pods from podCIDR. */
export async function startTestNode(name: string, opts: { podCIDR: string }): Promise<TestNode> {
  const netns = `k8ts-${name}-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), `k8ts-${name}-`));
  let containerd: ContainerdInstance | undefined;
  let runtime: CriRuntime | undefined;
  const destroy = async (): Promise<void> => {
    if (runtime) {
      await removeAllSandboxes(runtime).catch(() => undefined);
      runtime.close();
    }
    await containerd?.stop();
    await destroyContainerdDir(dir);
    await runCommand("ip", ["netns", "del", netns]).catch(() => "");
  };
  try {
    await runCommand("ip", ["netns", "add", netns]);
    await runCommand("ip", ["-n", netns, "link", "set", "lo", "up"]);
    containerd = await ContainerdInstance.start({ dir, netns, podCIDR: opts.podCIDR });
    await ensureBaseImages(containerd.address);
    const c = containerd;
    const newRuntime = (): CriRuntime => new CriRuntime({ address: c.address, setPodCIDR: (cidr) => c.setPodCIDR(cidr), podLogRoot: join(dir, "pods") });
    runtime = newRuntime();
    return { netns, dir, containerd, runtime, newRuntime, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

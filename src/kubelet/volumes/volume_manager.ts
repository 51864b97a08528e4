// The volumes of the pods on this node, under <root>/pods/<uid>/volumes/<plugin>/<name>: set up before a pod's
// containers start (and again at every sync, so config map, secret and downward API files follow their sources),
// turned into each container's mounts (mountPath, subPath, readOnly), and torn down when the pod goes (tmpfs
// unmounted, directories removed). hostPath and persistentVolumeClaim volumes point at node paths outside the pod
// directory and are never removed.
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Container, Pod, Volume } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../machinery/quantity.js";
import type { Logger } from "../../util/log.js";
import { runCommand } from "../containerd/command.js";
import { mountsUnder } from "../containerd/containerd_instance.js";
import { expand, lookupIn } from "../env/expand.js";
import { ConfigError, type PodRuntimeFacts } from "../env/field_ref.js";
import type { Mount } from "../runtime/types.js";
import { validatePayloadPath, writeAtomically } from "./atomic_writer.js";
import { prepareHostPath } from "./host_path.js";
import { volumePayload } from "./payload.js";
import type { PodObjectSource } from "./sources.js";

export interface VolumeManagerOptions {
  /** The agent's state directory; pod volumes live under <rootDir>/pods/<uid>/volumes. */
  rootDir: string;
  source: PodObjectSource;
  log: Logger;
  now?: () => number;
  allocatable?: () => Record<string, string>;
}

const PLUGIN_DIRS = {
  emptyDir: "kubernetes.io~empty-dir",
  configMap: "kubernetes.io~configmap",
  secret: "kubernetes.io~secret",
  downwardAPI: "kubernetes.io~downward-api",
  projected: "kubernetes.io~projected",
} as const;

function pluginOf(v: Volume): keyof typeof PLUGIN_DIRS | "hostPath" | "persistentVolumeClaim" | undefined {
  for (const k of ["emptyDir", "configMap", "secret", "downwardAPI", "projected", "hostPath", "persistentVolumeClaim"] as const) if (v[k]) return k;
  return undefined;
}

interface PodVolumes {
  /** Volume name -> host path and whether it must be mounted read-only. */
  paths: Map<string, { hostPath: string; readOnly: boolean }>;
}

export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();

  constructor(private readonly o: VolumeManagerOptions) {}

  podDir(uid: string): string {
    return join(this.o.rootDir, "pods", uid);
  }

  private volumeDir(uid: string, plugin: string, name: string): string {
    return join(this.podDir(uid), "volumes", plugin, name);
  }

  /**
   * Sets up (or refreshes) every volume of the pod. A volume that cannot be set up the first time throws (ConfigError
   * for a missing source or a failed hostPath check); a refresh that fails keeps the files the pod already has.
   */
  async setUp(pod: Pod, facts: PodRuntimeFacts): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const known = this.pods.get(uid);
    const paths = new Map<string, { hostPath: string; readOnly: boolean }>();
    for (const vol of pod.spec?.volumes ?? []) {
      try {
        paths.set(vol.name, await this.setUpOne(pod, vol, facts));
      } catch (err) {
        // After an agent restart the files on disk are what the running containers see: keep them too.
        const had = known?.paths.get(vol.name) ?? this.onDisk(uid, vol);
        if (!had) throw err;
        this.o.log.warn("refreshing volume failed, keeping its contents", { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, volume: vol.name, err });
        paths.set(vol.name, had);
      }
    }
    this.pods.set(uid, { paths });
  }

  private onDisk(uid: string, vol: Volume): { hostPath: string; readOnly: boolean } | undefined {
    const plugin = pluginOf(vol);
    if (plugin === undefined || plugin === "hostPath" || plugin === "persistentVolumeClaim" || plugin === "emptyDir") return undefined;
    const dir = this.volumeDir(uid, PLUGIN_DIRS[plugin], vol.name);
    return existsSync(join(dir, "..data")) ? { hostPath: dir, readOnly: true } : undefined;
  }

  private async setUpOne(pod: Pod, vol: Volume, facts: PodRuntimeFacts): Promise<{ hostPath: string; readOnly: boolean }> {
    const uid = pod.metadata?.uid ?? "";
    const plugin = pluginOf(vol);
    if (plugin === undefined) throw new ConfigError(`volume ${JSON.stringify(vol.name)}: unsupported volume type`);
    if (plugin === "hostPath") return { hostPath: await prepareHostPath(vol.hostPath!), readOnly: false };
    if (plugin === "persistentVolumeClaim") return this.claimPath(pod, vol);
    const dir = this.volumeDir(uid, PLUGIN_DIRS[plugin], vol.name);
    if (plugin === "emptyDir") {
      await this.setUpEmptyDir(dir, vol);
      return { hostPath: dir, readOnly: false };
    }
    const payload = await volumePayload(pod, vol, { source: this.o.source, facts, allocatable: this.o.allocatable?.(), now: this.o.now?.() ?? Date.now() });
    if (await writeAtomically(dir, payload!)) this.o.log.debug("volume contents written", { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, volume: vol.name });
    // API-backed volumes are read-only for the containers, as in Kubernetes.
    return { hostPath: dir, readOnly: true };
  }

  private async setUpEmptyDir(dir: string, vol: Volume): Promise<void> {
    if (!existsSync(dir)) await mkdir(dir, { recursive: true });
    // World-writable like Kubernetes' emptyDir, so containers running as any user can share it.
    await chmod(dir, 0o777);
    if (vol.emptyDir?.medium !== "Memory" || mountsUnder(dir).includes(dir)) return;
    const opts = ["mode=0777"];
    if (vol.emptyDir.sizeLimit !== undefined) opts.push(`size=${parseQuantity(String(vol.emptyDir.sizeLimit)).value()}`);
    await runCommand("mount", ["-t", "tmpfs", "-o", opts.join(","), "tmpfs", dir]);
  }

  private async claimPath(pod: Pod, vol: Volume): Promise<{ hostPath: string; readOnly: boolean }> {
    const ns = pod.metadata?.namespace ?? "default";
    const claimName = vol.persistentVolumeClaim!.claimName;
    const pvc = await this.o.source.persistentVolumeClaim(ns, claimName);
    if (!pvc) throw new ConfigError(`persistentvolumeclaim "${claimName}" not found`);
    const pvName = pvc.spec?.volumeName;
    if (!pvName) throw new ConfigError(`persistentvolumeclaim "${claimName}" is not bound`);
    const pv = await this.o.source.persistentVolume(pvName);
    if (!pv) throw new ConfigError(`persistentvolume "${pvName}" (bound to claim "${claimName}") not found`);
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) throw new ConfigError(`persistentvolume "${pvName}": only hostPath and local volumes can be mounted on this node`);
    if (pv.spec?.hostPath) await prepareHostPath(pv.spec.hostPath);
    else if (!existsSync(path)) throw new ConfigError(`persistentvolume "${pvName}": local path ${path} does not exist`);
    return { hostPath: path, readOnly: vol.persistentVolumeClaim!.readOnly ?? false };
  }

  /** The container's mounts; setUp must have run for the pod. subPathExpr expands $(VAR) from the container's env. */
  async mountsFor(pod: Pod, c: Container, envs: Array<{ key: string; value: string }> = []): Promise<Mount[]> {
    const vols = this.pods.get(pod.metadata?.uid ?? "");
    const out: Mount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = vols?.paths.get(m.name);
      if (!v) throw new ConfigError(`volume ${JSON.stringify(m.name)} of container ${c.name} is not set up`);
      let hostPath = v.hostPath;
      const sub = m.subPathExpr ? expand(m.subPathExpr, lookupIn(new Map(envs.map((e) => [e.key, e.value])))) : m.subPath;
      if (sub) {
        const bad = validatePayloadPath(sub);
        if (bad) throw new ConfigError(`volumeMount ${m.name} of container ${c.name}: subPath ${bad}`);
        hostPath = join(hostPath, sub);
        // Kubernetes creates a missing subPath as a directory.
        if (!existsSync(hostPath)) await mkdir(hostPath, { recursive: true, mode: 0o755 });
      }
      out.push({ containerPath: m.mountPath, hostPath, readonly: (m.readOnly ?? false) || v.readOnly });
    }
    return out;
  }

  /** Unmounts and removes the pod's volume directories (never a hostPath or claim's path). */
  async tearDown(uid: string): Promise<void> {
    this.pods.delete(uid);
    const dir = this.podDir(uid);
    if (!existsSync(dir)) return;
    for (const mp of mountsUnder(dir)) await runCommand("umount", [mp]);
    // Never delete through a mount that is still there (a failed umount threw above; this guards a race).
    if (mountsUnder(dir).length > 0) throw new Error(`tearing down volumes of pod ${uid}: mounts remain under ${dir}`);
    await rm(dir, { recursive: true, force: true });
    this.o.log.debug("pod volumes removed", { uid });
  }

  /** Removes volume directories of pods that are no longer on the node (deleted while the agent was down). */
  async cleanupOrphans(keep: (uid: string) => boolean): Promise<number> {
    const podsDir = join(this.o.rootDir, "pods");
    if (!existsSync(podsDir)) return 0;
    let n = 0;
    for (const e of await readdir(podsDir, { withFileTypes: true })) {
      // Only uid-named directories with a volumes/ inside are ours; log directories (<ns>_<name>_<uid>) share the root.
      if (!e.isDirectory() || keep(e.name) || !existsSync(join(podsDir, e.name, "volumes"))) continue;
      await this.tearDown(e.name);
      n++;
    }
    return n;
  }
}

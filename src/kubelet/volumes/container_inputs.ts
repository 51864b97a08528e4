// What a container gets from outside its image: the pod's volumes (set up before its containers start, refreshed at
// every sync, torn down when the pod goes) and its resolved environment. The node agent asks for these right before
// creating each container; a ConfigError here is the container's CreateContainerConfigError.
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { Logger } from "../../util/log.js";
import { resolveEnv, type EnvVar } from "../env/resolve.js";
import type { PodRuntimeFacts } from "../env/field_ref.js";
import type { Mount } from "../runtime/types.js";
import type { PodObjectSource } from "./sources.js";
import { VolumeManager } from "./volume_manager.js";

export interface ContainerInputsOptions {
  source: PodObjectSource;
  log: Logger;
  /** The agent's state directory; without one, volumes are not materialized (simulated nodes) and mounts stay empty. */
  rootDir?: string;
  now?: () => number;
  allocatable?: () => Record<string, string>;
}

export class ContainerInputs {
  readonly volumes?: VolumeManager;

  constructor(private readonly o: ContainerInputsOptions) {
    if (o.rootDir) this.volumes = new VolumeManager({ rootDir: o.rootDir, source: o.source, log: o.log, now: o.now, allocatable: o.allocatable });
  }

  /** Sets up or refreshes the pod's volumes; throws when one cannot be set up the first time. */
  async setUpVolumes(pod: Pod, facts: PodRuntimeFacts): Promise<void> {
    await this.volumes?.setUp(pod, facts);
  }

  /** The container's env and mounts. */
  async forContainer(pod: Pod, c: Container, facts: PodRuntimeFacts): Promise<{ envs: EnvVar[]; mounts: Mount[] }> {
    const envs = await resolveEnv(pod, c, { source: this.o.source, facts, allocatable: this.o.allocatable?.() });
    const mounts = this.volumes ? await this.volumes.mountsFor(pod, c, envs) : [];
    return { envs, mounts };
  }

  async tearDown(uid: string): Promise<void> {
    await this.volumes?.tearDown(uid);
  }

  async cleanupOrphans(keep: (uid: string) => boolean): Promise<number> {
    return (await this.volumes?.cleanupOrphans(keep)) ?? 0;
  }
}

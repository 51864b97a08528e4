// Starting one container of a pod: the image per its pull policy (with pull backoff: ErrImagePull, then
// ImagePullBackOff until the retry is due), then create and start, each failure turned into the container's waiting
// reason and an Event. The container's env and mounts are resolved right before it is created (volumes/, env/): a
// missing config map or secret leaves it waiting in CreateContainerConfigError.
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { Clock } from "../client/clock.js";
import type { Logger } from "../util/log.js";
import { Backoff } from "./backoff.js";
import type { EventSink } from "../client/event_recorder.js";
import { containerConfig, pullPolicy, type ContainerInputValues } from "./pod_config.js";
import type { Waiting } from "./pod_status.js";
import type { ContainerRuntime, PodSandboxConfig } from "./runtime/types.js";
import type { ContainerInputs } from "./volumes/container_inputs.js";
import type { HookRunner } from "./lifecycle_hooks.js";
import { runAsNonRootError } from "./security_context.js";

/** Re-sync soon after a failed pull so the status moves from ErrImagePull to ImagePullBackOff. */
const PULL_STATUS_RESYNC_MS = 1000;
/** Retry a container whose config could not be built (a config map may appear) this soon, not only at resync. */
const CONFIG_RETRY_MS = 5000;
/** Grace period for a container killed after a failed postStart hook, when the pod sets none. */
const DEFAULT_GRACE_S = 30;

const podKey = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

export class ContainerStarter {
  private readonly pullBackoff: Backoff;
  /** The last failed pull per pod and image, so ErrImagePull stays visible until the next resync. */
  private readonly pullErrors = new Map<string, { at: number; message: string }>();

  constructor(private readonly o: { runtime: ContainerRuntime; clock: Clock; log: Logger; events: EventSink; inputs?: ContainerInputs; hostIP?: () => string; hooks?: HookRunner }) {
    this.pullBackoff = new Backoff(o.clock);
  }

  /** Pulls (per the pull policy, with backoff), creates and starts one container; false with a waiting reason if not. */
  async start(
    pod: Pod,
    c: Container,
    sandboxId: string,
    sbConfig: PodSandboxConfig,
    attempt: number,
    waiting: Map<string, Waiting>,
    wakeAt: (t: number) => void,
  ): Promise<boolean> {
    const rt = this.o.runtime;
    const image = c.image ?? "";
    const present = await rt.imageStatus(image);
    const policy = pullPolicy(c);
    if (policy === "Never" && !present) {
      waiting.set(c.name, { reason: "ErrImageNeverPull", message: `Container image "${image}" is not present with pull policy of Never` });
      return false;
    }
    if (!present || policy === "Always") {
      const key = `${pod.metadata?.uid}/${image}`;
      if (this.pullBackoff.isInBackoffSinceUpdate(key)) {
        const last = this.pullErrors.get(key);
        if (last && this.o.clock.now() - last.at < PULL_STATUS_RESYNC_MS) {
          waiting.set(c.name, { reason: "ErrImagePull", message: last.message });
          wakeAt(last.at + PULL_STATUS_RESYNC_MS);
        } else {
          waiting.set(c.name, { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` });
          this.o.events.event(pod, "Normal", "BackOff", `Back-off pulling image "${image}"`);
          this.o.events.event(pod, "Warning", "Failed", "Error: ImagePullBackOff");
          wakeAt(this.pullBackoff.expiresSinceUpdate(key));
        }
        return false;
      }
      const t0 = this.o.clock.now();
      this.o.events.event(pod, "Normal", "Pulling", `Pulling image "${image}"`);
      try {
        await rt.pullImage(image, sbConfig);
        this.pullErrors.delete(key);
        this.o.events.event(pod, "Normal", "Pulled", `Successfully pulled image "${image}" in ${this.o.clock.now() - t0}ms`);
      } catch (err) {
        this.o.events.event(pod, "Warning", "Failed", `Failed to pull image "${image}": ${(err as Error).message}`);
        this.o.events.event(pod, "Warning", "Failed", "Error: ErrImagePull");
        this.pullBackoff.next(key, this.o.clock.now());
        this.pullErrors.set(key, { at: this.o.clock.now(), message: (err as Error).message });
        this.o.log.info("image pull failed", { pod: podKey(pod), image, err });
        waiting.set(c.name, { reason: "ErrImagePull", message: (err as Error).message });
        wakeAt(this.o.clock.now() + PULL_STATUS_RESYNC_MS);
        return false;
      }
    } else this.o.events.event(pod, "Normal", "Pulled", `Container image "${image}" already present on machine`);
    const nonRoot = runAsNonRootError(pod, c, present && policy !== "Always" ? present : await rt.imageStatus(image));
    if (nonRoot) {
      waiting.set(c.name, { reason: "CreateContainerConfigError", message: nonRoot });
      this.o.events.event(pod, "Warning", "Failed", `Error: ${nonRoot}`);
      wakeAt(this.o.clock.now() + CONFIG_RETRY_MS);
      return false;
    }
    let podIP: string | undefined;
    let inputs: ContainerInputValues | undefined;
    if (this.o.inputs) {
      try {
        podIP = (await rt.podSandboxStatus(sandboxId).catch(() => undefined))?.network.ip || undefined;
        inputs = await this.o.inputs.forContainer(pod, c, { podIP, hostIP: this.o.hostIP?.() });
      } catch (err) {
        const message = (err as Error).message;
        waiting.set(c.name, { reason: "CreateContainerConfigError", message });
        this.o.events.event(pod, "Warning", "Failed", `Error: ${message}`);
        this.o.log.info("container config failed", { pod: podKey(pod), container: c.name, err });
        wakeAt(this.o.clock.now() + CONFIG_RETRY_MS);
        return false;
      }
    }
    let id: string;
    try {
      id = await rt.createContainer(sandboxId, containerConfig(pod, c, attempt, inputs), sbConfig);
    } catch (err) {
      waiting.set(c.name, { reason: "CreateContainerError", message: (err as Error).message });
      this.o.events.event(pod, "Warning", "Failed", `Error: ${(err as Error).message}`);
      return false;
    }
    this.o.events.event(pod, "Normal", "Created", `Created container ${c.name}`);
    try {
      await rt.startContainer(id);
    } catch (err) {
      waiting.set(c.name, { reason: "RunContainerError", message: (err as Error).message });
      this.o.events.event(pod, "Warning", "Failed", `Error: ${(err as Error).message}`);
      return false;
    }
    this.o.events.event(pod, "Normal", "Started", `Started container ${c.name}`);
    if (c.lifecycle?.postStart && this.o.hooks) {
      // The sync waits here: the container is reported running only once its postStart hook completed.
      podIP ??= (await rt.podSandboxStatus(sandboxId).catch(() => undefined))?.network.ip || undefined;
      const failure = await this.o.hooks.postStart(pod, c, id, podIP);
      if (failure) {
        this.o.log.info("postStart hook failed, killing the container", { pod: podKey(pod), container: c.name, err: failure });
        this.o.events.event(pod, "Warning", "FailedPostStartHook", failure);
        this.o.events.event(pod, "Normal", "Killing", `FailedPostStartHook`);
        await this.o.hooks.kill(pod, c, id, pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_S);
        waiting.set(c.name, { reason: "PostStartHookError", message: failure });
        return true;
      }
    }
    this.o.log.debug("container started", { pod: podKey(pod), container: c.name, attempt });
    return true;
  }

  /** Forgets a pod's pull backoff. */
  forgetPod(uid: string): void {
    this.pullBackoff.forgetPrefix(`${uid}/`);
    for (const k of this.pullErrors.keys()) if (k.startsWith(`${uid}/`)) this.pullErrors.delete(k);
  }
}

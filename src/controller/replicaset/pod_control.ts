// The pod writes of a workload controller behind one interface, so sync logic can be tested with a fake that
// records what it was asked to do. The API implementation also records the events Kubernetes users know
// (SuccessfulCreate / FailedCreate / SuccessfulDelete / FailedDelete) on the owner.
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { isNotFound } from "../../machinery/errors.js";
import type { EventSink } from "../../client/event_recorder.js";
import type { PodObject } from "./pod_utils.js";

export interface PodControl {
  /** Creates one pod from the template, named "<owner>-<random>", controlled by `controllerRef`. */
  createPod(namespace: string, template: PodTemplateSpec | undefined, owner: KubeObject, controllerRef: OwnerReference): Promise<void>;
  /** Deletes the pod with that uid (a uid precondition, so a newer pod reusing the name is never hit). */
  deletePod(namespace: string, name: string, uid: string, owner: KubeObject): Promise<void>;
  /** A merge patch (adopting or releasing a pod: its ownerReferences). */
  patchPod(namespace: string, name: string, patch: unknown): Promise<void>;
}

/** The pod a controller creates from its template (GetPodFromTemplate). */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KubeObject, controllerRef: OwnerReference): PodObject {
  const t = structuredClone(template ?? {});
  const m = t.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${owner.metadata?.name ?? ""}-`,
      namespace: owner.metadata?.namespace,
      labels: m.labels,
      annotations: m.annotations,
      finalizers: m.finalizers,
      ownerReferences: [controllerRef],
    },
    spec: t.spec ?? { containers: [] },
  };
}

export class ApiPodControl implements PodControl {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventSink,
  ) {}

  private pods() {
    return this.client.resource<PodObject>(resources.pods);
  }

  async createPod(namespace: string, template: PodTemplateSpec | undefined, owner: KubeObject, controllerRef: OwnerReference): Promise<void> {
    const pod = podFromTemplate(template, owner, controllerRef);
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0)
      throw new Error(`unable to create pods for ${owner.metadata?.namespace}/${owner.metadata?.name}: no labels in the pod template`);
    try {
      const created = await this.pods().create(namespace, pod);
      this.recorder.event(owner, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (err) {
      this.recorder.event(owner, "Warning", "FailedCreate", `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async deletePod(namespace: string, name: string, uid: string, owner: KubeObject): Promise<void> {
    try {
      await this.pods().delete(namespace, name, { preconditions: { uid } });
      this.recorder.event(owner, "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.recorder.event(owner, "Warning", "FailedDelete", `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async patchPod(namespace: string, name: string, patch: unknown): Promise<void> {
    await this.pods().patch(namespace, name, "merge", patch);
  }
}

/** Records the pods it was asked to create, delete and patch; can be told to fail creates. */
export class FakePodControl implements PodControl {
  readonly created: PodObject[] = [];
  readonly deleted: string[] = [];
  readonly patched: Array<{ name: string; patch: unknown }> = [];
  /** Every createPod call, failed ones included. */
  createAttempts = 0;
  /** Creates beyond this many (over the fake's lifetime) fail with createError. */
  createLimit = Infinity;
  createError: Error = new Error("fake create failure");

  async createPod(namespace: string, template: PodTemplateSpec | undefined, owner: KubeObject, controllerRef: OwnerReference): Promise<void> {
    this.createAttempts++;
    if (this.created.length >= this.createLimit) throw this.createError;
    const pod = podFromTemplate(template, owner, controllerRef);
    pod.metadata = { ...pod.metadata, namespace };
    this.created.push(pod);
  }

  async deletePod(_namespace: string, name: string): Promise<void> {
    this.deleted.push(name);
  }

  async patchPod(_namespace: string, name: string, patch: unknown): Promise<void> {
    this.patched.push({ name, patch });
  }

  clear(): void {
    this.created.length = 0;
    this.deleted.length = 0;
    this.patched.length = 0;
    this.createAttempts = 0;
  }
}

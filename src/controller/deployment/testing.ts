// A test harness for the Deployment controller: informer stores filled directly, writes going into them through
// StoreAppsControl, a fake clock, and a stand-in for the ReplicaSet controller and kubelets (settle) that brings
// ReplicaSet status in line with spec, making new pods available only when the test says so.
import type { Deployment } from "kubernetes-types/apps/v1.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import type { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { StoreAppsControl } from "./apps_control.js";
import { DeploymentController } from "./deployment_controller.js";
import { controllerRefOf } from "../replicaset/pod_utils.js";
import { revisionOf } from "./annotations.js";
import type { DeploymentObject, ReplicaSetObject } from "./util.js";

export function newDeployment(name: string, replicas: number, image: string, spec: Partial<Deployment["spec"]> = {}): DeploymentObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default", uid: `d-${name}`, resourceVersion: "1", generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
      ...spec,
    },
  };
}

export class DeploymentHarness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly recorder = new FakeRecorder();
  readonly control: StoreAppsControl;
  readonly controller: DeploymentController;
  readonly deployments: SharedInformer<DeploymentObject>;
  readonly replicaSets: SharedInformer<ReplicaSetObject>;
  readonly pods: SharedInformer<PodObject>;

  constructor() {
    const client = createClient({ server: "http://127.0.0.1:9" });
    const informers = new SharedInformerFactory({ client, clock: this.clock });
    this.deployments = informers.forResource<DeploymentObject>(resources.deployments);
    this.replicaSets = informers.forResource<ReplicaSetObject>(resources.replicasets);
    this.pods = informers.forResource<PodObject>(resources.pods);
    this.control = new StoreAppsControl(this.replicaSets.indexer, this.deployments.indexer, this.clock);
    this.controller = new DeploymentController({ client, informers, control: this.control, recorder: this.recorder, clock: this.clock });
  }

  add(d: DeploymentObject): void {
    this.deployments.indexer.upsert(structuredClone(d));
  }

  get(name = "web"): DeploymentObject {
    return this.deployments.indexer.get(`default/${name}`)!;
  }

  /** A user edit of the spec (kubectl set image / scale / patch): the generation goes up. */
  edit(name: string, change: (d: DeploymentObject) => void): void {
    const d = structuredClone(this.get(name));
    change(d);
    d.metadata = { ...d.metadata, generation: (d.metadata?.generation ?? 1) + 1, resourceVersion: String(Number(d.metadata?.resourceVersion) + 1) };
    this.deployments.indexer.upsert(d);
  }

  async sync(name = "web"): Promise<number | undefined> {
    const res = await this.controller.sync(`default/${name}`);
    return res?.requeueAfterMs;
  }

  /** The Deployment's ReplicaSets, oldest revision first. */
  replicaSetsOf(name = "web"): ReplicaSetObject[] {
    const uid = this.get(name).metadata?.uid;
    return this.replicaSets.indexer
      .list()
      .filter((rs) => controllerRefOf(rs)?.uid === uid)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
  }

  /** The ReplicaSet whose template runs the image. */
  rsWithImage(image: string, name = "web"): ReplicaSetObject | undefined {
    return this.replicaSetsOf(name).find((rs) => rs.spec?.template?.spec?.containers[0]?.image === image);
  }

  /**
   * Plays the ReplicaSet controller and the kubelets: every RS gets status.replicas = spec.replicas (surplus pods
   * vanish at once); pods stay available if they were, and new pods become available only if `available`
   * says so for their image.
   */
  settle(available: (image: string) => boolean = () => true): void {
    for (const rs of this.replicaSets.indexer.list()) {
      const spec = rs.spec?.replicas ?? 0;
      const image = rs.spec?.template?.spec?.containers[0]?.image ?? "";
      const avail = available(image) ? spec : Math.min(spec, rs.status?.availableReplicas ?? 0);
      this.replicaSets.indexer.upsert({
        ...structuredClone(rs),
        status: { replicas: spec, readyReplicas: avail, availableReplicas: avail, observedGeneration: rs.metadata?.generation },
      });
    }
  }

  events(): string[] {
    return this.recorder.events;
  }
}

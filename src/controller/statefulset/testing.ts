// Test fixtures for the StatefulSet controller: sets, and a harness whose informer stores are filled directly;
// pod, claim and ControllerRevision writes land in their stores, status writes in the set store.
import type { StatefulSet } from "kubernetes-types/apps/v1.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import type { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { errors } from "../../machinery/errors.js";
import { FakeObjectWriter } from "../history/object_writer.js";
import type { RevisionObject } from "../history/revisions.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import type { ClaimObject, StatefulSetObject } from "./stateful_pods.js";
import { StatefulSetController } from "./statefulset_controller.js";

export function newStatefulSet(name: string, replicas: number, spec: Partial<StatefulSet["spec"]> = {}, image = "web:1"): StatefulSetObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "default", uid: `sts-uid-${name}`, resourceVersion: "1", generation: 1 },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }] } },
      updateStrategy: { type: "RollingUpdate" },
      ...spec,
    },
    status: { replicas: 0 },
  };
}

export class StatefulSetHarness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly recorder = new FakeRecorder();
  readonly sets: SharedInformer<StatefulSetObject>;
  readonly pods: SharedInformer<PodObject>;
  readonly claims: SharedInformer<ClaimObject>;
  readonly revisions: SharedInformer<RevisionObject>;
  readonly podWriter: FakeObjectWriter<PodObject>;
  readonly claimWriter: FakeObjectWriter<ClaimObject>;
  readonly controller: StatefulSetController;

  constructor() {
    const client = createClient({ server: "http://127.0.0.1:9" });
    const informers = new SharedInformerFactory({ client, clock: this.clock });
    this.sets = informers.forResource<StatefulSetObject>(resources.statefulsets);
    this.pods = informers.forResource<PodObject>(resources.pods);
    this.claims = informers.forResource<ClaimObject>(resources.persistentvolumeclaims);
    this.revisions = informers.forResource<RevisionObject>(resources.controllerrevisions);
    this.podWriter = new FakeObjectWriter<PodObject>(this.pods.indexer);
    this.claimWriter = new FakeObjectWriter<ClaimObject>(this.claims.indexer);
    const revisionWriter = new FakeObjectWriter<RevisionObject>(this.revisions.indexer);
    this.controller = new StatefulSetController({
      client,
      informers,
      podWriter: this.podWriter,
      claimWriter: this.claimWriter,
      revisions: {
        writer: revisionWriter,
        get: async (ns, name) => {
          const r = this.revisions.indexer.get(`${ns}/${name}`);
          if (!r) throw errors.notFound({ group: "apps", resource: "controllerrevisions" }, name);
          return structuredClone(r);
        },
      },
      setClient: {
        get: async (ns, name) => {
          const s = this.sets.indexer.get(`${ns}/${name}`);
          if (!s) throw errors.notFound({ group: "apps", resource: "statefulsets" }, name);
          return structuredClone(s);
        },
        updateStatus: async (_ns, obj) => {
          const stored = structuredClone(obj);
          stored.metadata = { ...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
          this.sets.indexer.upsert(structuredClone(stored));
          return stored;
        },
      },
      recorder: this.recorder,
      clock: this.clock,
    });
  }

  setSet(set: StatefulSetObject): void {
    const cur = this.sets.indexer.get(`default/${set.metadata!.name}`);
    const next = structuredClone(set);
    if (cur) {
      next.metadata = { ...next.metadata, resourceVersion: String(Number(cur.metadata?.resourceVersion) + 1), generation: (cur.metadata?.generation ?? 1) + (JSON.stringify(cur.spec) === JSON.stringify(set.spec) ? 0 : 1) };
      Object.assign(next, { status: structuredClone(cur.status) });
    }
    this.sets.indexer.upsert(next);
  }

  set(name = "web"): StatefulSetObject {
    return this.sets.indexer.get(`default/${name}`)!;
  }

  async sync(name = "web"): Promise<void> {
    await this.controller.sync(`default/${name}`);
  }

  names(): string[] {
    return this.pods.indexer
      .list()
      .map((p) => p.metadata!.name!)
      .sort();
  }

  pod(name: string): PodObject {
    return this.pods.indexer.get(`default/${name}`)!;
  }

  /** Plays scheduler and kubelet for one pod: Running and Ready (or the given phase). */
  run(name: string, o: { phase?: "Running" | "Failed"; ready?: boolean } = {}): void {
    const next: PodObject = structuredClone(this.pod(name));
    Object.assign(next, { status: { phase: o.phase ?? "Running", conditions: [{ type: "Ready", status: (o.ready ?? true) && o.phase !== "Failed" ? "True" : "False" }] } });
    next.metadata = { ...next.metadata, resourceVersion: String(Number(next.metadata?.resourceVersion ?? "1") + 1) };
    this.pods.indexer.upsert(next);
  }

  /** Marks a pod as terminating (graceful deletion in progress). */
  terminating(name: string): void {
    const next: PodObject = structuredClone(this.pod(name));
    next.metadata = { ...next.metadata, deletionTimestamp: new Date(this.clock.now()).toISOString() };
    this.pods.indexer.upsert(next);
  }

  imageOf(name: string): string {
    return this.pod(name)?.spec?.containers[0]?.image ?? "";
  }
}

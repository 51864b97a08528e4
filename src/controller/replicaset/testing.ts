// Test fixtures for workload controllers: pods and ReplicaSets with sensible defaults, and a harness whose
// informer stores are filled directly (no API server) with a fake owner client that writes status into the store.
import type { KubeObject } from "../../api/object.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import type { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { errors } from "../../machinery/errors.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import { FakePodControl } from "./pod_control.js";
import type { PodObject } from "./pod_utils.js";
import { ReplicaSetController, type OwnerClient } from "./replica_set_controller.js";
import { REPLICA_SET, type ReplicaSetLike, type WorkloadKind } from "./workload_kind.js";

let uidSeq = 0;
export const newUid = (): string => `uid-${++uidSeq}`;

export interface PodOptions {
  labels?: Record<string, string>;
  owner?: KubeObject & { kind?: string; apiVersion?: string };
  phase?: string;
  ready?: boolean;
  /** When the pod became ready (ms since epoch). */
  readySince?: number;
  nodeName?: string;
  restarts?: number;
  created?: number;
  deleting?: boolean;
  namespace?: string;
}

export function newPod(name: string, o: PodOptions = {}): PodObject {
  const conditions = o.ready === undefined ? [] : [{ type: "Ready", status: o.ready ? "True" : "False", lastTransitionTime: new Date(o.readySince ?? Date.UTC(2025, 0, 1)).toISOString() }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: newUid(),
      resourceVersion: "1",
      labels: o.labels ?? { app: "web" },
      creationTimestamp: new Date(o.created ?? Date.UTC(2025, 0, 1)).toISOString(),
      deletionTimestamp: o.deleting ? new Date(Date.UTC(2025, 0, 2)).toISOString() : undefined,
      ownerReferences: o.owner
        ? [{ apiVersion: o.owner.apiVersion ?? "apps/v1", kind: o.owner.kind ?? "ReplicaSet", name: o.owner.metadata!.name!, uid: o.owner.metadata!.uid!, controller: true, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: { containers: [{ name: "c", image: "img" }], nodeName: o.nodeName },
    status: { phase: o.phase ?? "Running", conditions, containerStatuses: [{ name: "c", image: "img", imageID: "", ready: Boolean(o.ready), restartCount: o.restarts ?? 0 }] },
  };
}

export function newReplicaSet(name: string, replicas: number, o: { labels?: Record<string, string>; minReadySeconds?: number; namespace?: string } = {}): ReplicaSetLike {
  const labels = o.labels ?? { app: "web" };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace: o.namespace ?? "default", uid: newUid(), resourceVersion: "1", generation: 1 },
    spec: { replicas, minReadySeconds: o.minReadySeconds, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "img" }] } } },
    status: { replicas: 0 },
  };
}

export class Harness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly podControl = new FakePodControl();
  readonly recorder = new FakeRecorder();
  readonly statusWrites: ReplicaSetLike[] = [];
  readonly controller: ReplicaSetController;
  readonly owners: SharedInformer<ReplicaSetLike>;
  readonly pods: SharedInformer<PodObject>;
  /** What a live GET of an owner answers; by default what the store holds. */
  liveOwner: (key: string) => ReplicaSetLike | undefined = (key) => this.owners.indexer.get(key);

  constructor(kind: WorkloadKind = REPLICA_SET) {
    // Never started: the stores are filled by the test, and nothing is listened to at this address.
    const client = createClient({ server: "http://127.0.0.1:9" });
    const informers = new SharedInformerFactory({ client, clock: this.clock });
    this.owners = informers.forResource<ReplicaSetLike>(kind.ref);
    this.pods = informers.forResource<PodObject>(resources.pods);
    const ownerClient: OwnerClient<ReplicaSetLike> = {
      get: async (ns, name) => {
        const o = this.liveOwner(`${ns}/${name}`);
        if (!o) throw errors.notFound({ group: kind.ref.group, resource: kind.ref.resource }, name);
        return structuredClone(o);
      },
      updateStatus: async (_ns, obj) => {
        const stored = structuredClone(obj);
        stored.metadata = { ...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
        this.statusWrites.push(stored);
        this.owners.indexer.upsert(structuredClone(stored));
        return stored;
      },
    };
    this.controller = new ReplicaSetController({ client, informers, kind, podControl: this.podControl, ownerClient, recorder: this.recorder, clock: this.clock });
  }

  addOwner(rs: ReplicaSetLike): ReplicaSetLike {
    this.owners.indexer.upsert(structuredClone(rs));
    return rs;
  }

  addPods(...pods: PodObject[]): void {
    for (const p of pods) this.pods.indexer.upsert(structuredClone(p));
  }

  owner(key: string): ReplicaSetLike {
    return this.owners.indexer.get(key)!;
  }
}

// Test fixtures for the DaemonSet controller: nodes, DaemonSets, and a harness whose informer stores are filled
// directly; pod and ControllerRevision writes land in their stores, status writes in the DaemonSet store.
import type { DaemonSet } from "kubernetes-types/apps/v1.js";
import type { Taint } from "kubernetes-types/core/v1.js";
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
import type { DaemonSetObject } from "./daemon_pods.js";
import { DaemonSetController, type NodeObject } from "./daemonset_controller.js";

export function newNode(name: string, o: { labels?: Record<string, string>; taints?: Taint[] } = {}): NodeObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name, uid: `node-${name}`, resourceVersion: "1", labels: { "kubernetes.io/hostname": name, ...o.labels } }, spec: { taints: o.taints } };
}

export function newDaemonSet(name: string, spec: Partial<DaemonSet["spec"]> = {}, image = "agent:1"): DaemonSetObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: "default", uid: `ds-uid-${name}`, resourceVersion: "1", generation: 1 },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }] } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      ...spec,
    },
    status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 },
  };
}

export class DaemonSetHarness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly recorder = new FakeRecorder();
  readonly daemonSets: SharedInformer<DaemonSetObject>;
  readonly pods: SharedInformer<PodObject>;
  readonly nodes: SharedInformer<NodeObject>;
  readonly revisions: SharedInformer<RevisionObject>;
  readonly podWriter: FakeObjectWriter<PodObject>;
  readonly revisionWriter: FakeObjectWriter<RevisionObject>;
  readonly controller: DaemonSetController;

  constructor() {
    const client = createClient({ server: "http://127.0.0.1:9" });
    const informers = new SharedInformerFactory({ client, clock: this.clock });
    this.daemonSets = informers.forResource<DaemonSetObject>(resources.daemonsets);
    this.pods = informers.forResource<PodObject>(resources.pods);
    this.nodes = informers.forResource<NodeObject>(resources.nodes);
    this.revisions = informers.forResource<RevisionObject>(resources.controllerrevisions);
    this.podWriter = new FakeObjectWriter<PodObject>(this.pods.indexer);
    this.revisionWriter = new FakeObjectWriter<RevisionObject>(this.revisions.indexer);
    this.controller = new DaemonSetController({
      client,
      informers,
      podWriter: this.podWriter,
      revisions: {
        writer: this.revisionWriter,
        get: async (ns, name) => {
          const r = this.revisions.indexer.get(`${ns}/${name}`);
          if (!r) throw errors.notFound({ group: "apps", resource: "controllerrevisions" }, name);
          return structuredClone(r);
        },
      },
      dsClient: {
        get: async (ns, name) => {
          const d = this.daemonSets.indexer.get(`${ns}/${name}`);
          if (!d) throw errors.notFound({ group: "apps", resource: "daemonsets" }, name);
          return structuredClone(d);
        },
        updateStatus: async (_ns, obj) => {
          const stored = structuredClone(obj);
          stored.metadata = { ...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
          this.daemonSets.indexer.upsert(structuredClone(stored));
          return stored;
        },
      },
      recorder: this.recorder,
      clock: this.clock,
    });
  }

  addNodes(...nodes: NodeObject[]): void {
    for (const n of nodes) this.nodes.indexer.upsert(structuredClone(n));
  }

  removeNode(name: string): void {
    this.nodes.indexer.deleteKey(name);
  }

  setDaemonSet(ds: DaemonSetObject): void {
    const cur = this.daemonSets.indexer.get(`default/${ds.metadata!.name}`);
    const next = structuredClone(ds);
    if (cur) next.metadata = { ...next.metadata, resourceVersion: String(Number(cur.metadata?.resourceVersion) + 1), generation: (cur.metadata?.generation ?? 1) + (JSON.stringify(cur.spec) === JSON.stringify(ds.spec) ? 0 : 1) };
    if (cur) Object.assign(next, { status: structuredClone(cur.status) });
    this.daemonSets.indexer.upsert(next);
  }

  ds(name: string): DaemonSetObject {
    return this.daemonSets.indexer.get(`default/${name}`)!;
  }

  livePods(): PodObject[] {
    return this.pods.indexer
      .list()
      .filter((p) => !p.metadata?.deletionTimestamp)
      .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  }

  nodeOf(p: PodObject): string {
    return p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] ?? "";
  }

  /** Plays scheduler and kubelet: binds every pod to its node and makes it Running and Ready (or failed). */
  runPods(o: { phase?: "Running" | "Failed"; ready?: boolean } = {}): void {
    for (const p of this.livePods()) {
      if (p.status?.phase && o.phase === undefined) continue;
      const next: PodObject = structuredClone(p);
      const ready = o.ready ?? true;
      Object.assign(next, {
        spec: { ...next.spec, nodeName: this.nodeOf(p) },
        status: { phase: o.phase ?? "Running", conditions: [{ type: "Ready", status: ready && o.phase !== "Failed" ? "True" : "False", lastTransitionTime: new Date(this.clock.now()).toISOString() }] },
      });
      next.metadata = { ...next.metadata, resourceVersion: String(Number(next.metadata?.resourceVersion ?? "1") + 1) };
      this.pods.indexer.upsert(next);
    }
  }

  async sync(name = "web"): Promise<void> {
    this.controller.expectations.deleteExpectations(`default/${name}`);
    await this.controller.sync(`default/${name}`);
  }

  podsByNode(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of this.livePods()) (out[this.nodeOf(p)] ??= []).push(p.spec?.containers[0]?.image ?? "");
    return out;
  }
}

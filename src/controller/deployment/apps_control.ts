// The writes of the Deployment controller behind one interface: ReplicaSet create/update/delete/patch and the
// Deployment's status and annotations. The API implementation talks to the API server; StoreAppsControl writes
// straight into informer stores so rollout logic can be driven step by step in tests without a server.
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import type { Indexer } from "../../client/indexer.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { errors, isNotFound } from "../../machinery/errors.js";
import { rfc3339 } from "../replicaset/pod_utils.js";
import type { DeploymentObject, ReplicaSetObject } from "./util.js";

export interface AppsControl {
  createReplicaSet(namespace: string, rs: ReplicaSetObject): Promise<ReplicaSetObject>;
  getReplicaSet(namespace: string, name: string): Promise<ReplicaSetObject>;
  /** PUT carrying the object's resourceVersion: a stale write fails with a Conflict and the sync is retried. */
  updateReplicaSet(namespace: string, rs: ReplicaSetObject): Promise<ReplicaSetObject>;
  deleteReplicaSet(namespace: string, name: string, uid: string): Promise<void>;
  patchReplicaSet(namespace: string, name: string, patch: unknown): Promise<ReplicaSetObject>;
  getDeployment(namespace: string, name: string): Promise<DeploymentObject>;
  updateDeploymentStatus(namespace: string, d: DeploymentObject): Promise<DeploymentObject>;
  /** Merge-patches metadata.annotations (the revision annotation lives on the Deployment's main resource). */
  patchDeploymentAnnotations(namespace: string, name: string, annotations: Record<string, string>): Promise<DeploymentObject>;
}

export class ApiAppsControl implements AppsControl {
  constructor(private readonly client: Client) {}
  private rs() {
    return this.client.resource<ReplicaSetObject>(resources.replicasets);
  }
  private deploys() {
    return this.client.resource<DeploymentObject>(resources.deployments);
  }
  createReplicaSet = (ns: string, rs: ReplicaSetObject) => this.rs().create(ns, rs);
  getReplicaSet = (ns: string, name: string) => this.rs().get(ns, name);
  updateReplicaSet = (ns: string, rs: ReplicaSetObject) => this.rs().update(ns, rs);
  async deleteReplicaSet(ns: string, name: string, uid: string): Promise<void> {
    try {
      await this.rs().delete(ns, name, { preconditions: { uid }, propagationPolicy: "Background" });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  patchReplicaSet = (ns: string, name: string, patch: unknown) => this.rs().patch(ns, name, "merge", patch);
  getDeployment = (ns: string, name: string) => this.deploys().get(ns, name);
  updateDeploymentStatus = (ns: string, d: DeploymentObject) => this.deploys().updateStatus(ns, d);
  patchDeploymentAnnotations = (ns: string, name: string, annotations: Record<string, string>) =>
    this.deploys().patch(ns, name, "merge", { metadata: { annotations } });
}

/** Writes into the informer stores as an API server would (uids, resourceVersions, generations), for tests. */
export class StoreAppsControl implements AppsControl {
  private seq = 0;
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  private readonly clock: Clock;

  constructor(
    private readonly rsStore: Indexer<ReplicaSetObject>,
    private readonly deployStore: Indexer<DeploymentObject>,
    clock?: Clock,
  ) {
    this.clock = clock ?? realClock;
  }

  private nextRv(): string {
    return String(1000 + ++this.seq);
  }

  private current<T extends KubeObject>(store: Indexer<T>, ns: string, name: string, resource: string): T {
    const o = store.get(`${ns}/${name}`);
    if (!o) throw errors.notFound({ group: "apps", resource }, name);
    return o;
  }

  private checkRv(cur: KubeObject, next: KubeObject, resource: string): void {
    const rv = next.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata?.resourceVersion) throw errors.conflict({ group: "apps", resource }, cur.metadata?.name ?? "", "the object has been modified");
  }

  async createReplicaSet(ns: string, rs: ReplicaSetObject): Promise<ReplicaSetObject> {
    const name = rs.metadata?.name ?? "";
    if (this.rsStore.get(`${ns}/${name}`)) throw errors.alreadyExists({ group: "apps", resource: "replicasets" }, name);
    const stored: ReplicaSetObject = {
      ...structuredClone(rs),
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { ...structuredClone(rs.metadata), namespace: ns, uid: `rs-uid-${++this.seq}`, resourceVersion: this.nextRv(), generation: 1, creationTimestamp: rfc3339(this.clock.now()) },
    };
    this.rsStore.upsert(structuredClone(stored));
    this.created.push(name);
    return stored;
  }

  async getReplicaSet(ns: string, name: string): Promise<ReplicaSetObject> {
    return structuredClone(this.current(this.rsStore, ns, name, "replicasets"));
  }

  async updateReplicaSet(ns: string, rs: ReplicaSetObject): Promise<ReplicaSetObject> {
    const cur = this.current(this.rsStore, ns, rs.metadata?.name ?? "", "replicasets");
    this.checkRv(cur, rs, "replicasets");
    const specChanged = JSON.stringify(cur.spec) !== JSON.stringify(rs.spec);
    const stored: ReplicaSetObject = {
      ...structuredClone(rs),
      status: structuredClone(cur.status),
      metadata: { ...structuredClone(rs.metadata), resourceVersion: this.nextRv(), generation: (cur.metadata?.generation ?? 1) + (specChanged ? 1 : 0) },
    };
    this.rsStore.upsert(structuredClone(stored));
    return stored;
  }

  async deleteReplicaSet(ns: string, name: string): Promise<void> {
    this.rsStore.deleteKey(`${ns}/${name}`);
    this.deleted.push(name);
  }

  async patchReplicaSet(ns: string, name: string, patch: unknown): Promise<ReplicaSetObject> {
    const cur = this.current(this.rsStore, ns, name, "replicasets");
    const p = patch as { metadata?: { ownerReferences?: unknown } };
    const refs = p.metadata?.ownerReferences;
    const stored = { ...structuredClone(cur), metadata: { ...structuredClone(cur.metadata), ownerReferences: (refs ?? undefined) as never, resourceVersion: this.nextRv() } };
    this.rsStore.upsert(structuredClone(stored));
    return stored;
  }

  async getDeployment(ns: string, name: string): Promise<DeploymentObject> {
    return structuredClone(this.current(this.deployStore, ns, name, "deployments"));
  }

  async updateDeploymentStatus(ns: string, d: DeploymentObject): Promise<DeploymentObject> {
    const cur = this.current(this.deployStore, ns, d.metadata?.name ?? "", "deployments");
    this.checkRv(cur, d, "deployments");
    const stored = { ...structuredClone(cur), status: structuredClone(d.status), metadata: { ...structuredClone(cur.metadata), resourceVersion: this.nextRv() } };
    this.deployStore.upsert(structuredClone(stored));
    return stored;
  }

  async patchDeploymentAnnotations(ns: string, name: string, annotations: Record<string, string>): Promise<DeploymentObject> {
    const cur = this.current(this.deployStore, ns, name, "deployments");
    const stored = {
      ...structuredClone(cur),
      metadata: { ...structuredClone(cur.metadata), annotations: { ...cur.metadata?.annotations, ...annotations }, resourceVersion: this.nextRv() },
    };
    this.deployStore.upsert(structuredClone(stored));
    return stored;
  }
}

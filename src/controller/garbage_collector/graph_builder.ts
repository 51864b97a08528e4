// Turns informer events into graph changes and work: which objects the collector must look at (attemptToDelete)
// and which owners want their dependents orphaned (attemptToOrphan). It runs on the informers' turn; JavaScript
// runs it to completion per event, which gives the single-writer graph Kubernetes gets from its graphChanges queue.
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { WorkQueue } from "../../client/workqueue.js";
import type { Logger } from "../../util/log.js";
import { Graph, GraphNode, type ObjectIdentity } from "./graph.js";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

export interface GraphBuilderDeps {
  graph: Graph;
  attemptToDelete: WorkQueue<string>;
  attemptToOrphan: WorkQueue<string>;
  /** Whether a kind (by apiVersion and kind) is namespaced; undefined when unknown. */
  isNamespaced(apiVersion: string, kind: string): boolean | undefined;
  log: Logger;
}

export function identityOf(obj: KubeObject): ObjectIdentity {
  const m = obj.metadata ?? {};
  return { apiVersion: obj.apiVersion ?? "", kind: obj.kind ?? "", namespace: m.namespace ?? "", name: m.name ?? "", uid: m.uid ?? "" };
}

const sameRef = (a: OwnerReference, b: OwnerReference): boolean => a.uid === b.uid && !!a.blockOwnerDeletion === !!b.blockOwnerDeletion;

export class GraphBuilder {
  constructor(private readonly d: GraphBuilderDeps) {}

  private ownerNamespace(dependent: GraphNode): (ref: OwnerReference) => string {
    return (ref) => (this.d.isNamespaced(ref.apiVersion, ref.kind) === false ? "" : dependent.identity.namespace);
  }

  /** An object was added or changed (apiVersion/kind filled in by the caller for list items). */
  upsert(obj: KubeObject): void {
    const { graph, attemptToDelete, attemptToOrphan } = this.d;
    const id = identityOf(obj);
    if (!id.uid) return;
    const owners = obj.metadata?.ownerReferences ?? [];
    let node = graph.get(id.uid);
    if (!node) {
      node = new GraphNode(id);
      node.owners = [...owners];
      graph.add(node);
      for (const v of graph.link(node, owners, this.ownerNamespace(node))) attemptToDelete.add(v.identity.uid);
    } else {
      node.virtual = false;
      node.identity = id;
      const removed = node.owners.filter((o) => !owners.some((n) => n.uid === o.uid));
      const added = owners.filter((n) => !node!.owners.some((o) => o.uid === n.uid));
      const changed = owners.filter((n) => node!.owners.some((o) => o.uid === n.uid && !sameRef(o, n)));
      node.owners = [...owners];
      for (const owner of graph.unlink(node, removed)) if (owner.deletingDependents) attemptToDelete.add(owner.identity.uid);
      for (const v of graph.link(node, added, this.ownerNamespace(node))) attemptToDelete.add(v.identity.uid);
      // A dependent that stopped blocking may be all a foreground deletion was waiting for.
      for (const ref of changed) if (graph.get(ref.uid)?.deletingDependents) attemptToDelete.add(ref.uid);
    }
    const finalizers = obj.metadata?.finalizers ?? [];
    node.beingDeleted = !!obj.metadata?.deletionTimestamp;
    const wasDeletingDependents = node.deletingDependents;
    node.deletingDependents = node.beingDeleted && finalizers.includes(FOREGROUND_FINALIZER);
    if (node.beingDeleted && finalizers.includes(ORPHAN_FINALIZER)) attemptToOrphan.add(id.uid);
    if (node.deletingDependents) {
      attemptToDelete.add(id.uid);
      if (!wasDeletingDependents) for (const dep of node.dependents) attemptToDelete.add(dep.identity.uid);
    }
    // A dependent whose owner is unverified or going away needs a look of its own.
    if (owners.some((o) => graph.get(o.uid)?.virtual || graph.get(o.uid)?.deletingDependents)) attemptToDelete.add(id.uid);
  }

  /** An object is gone. Its dependents may now be orphans of a deleted owner. */
  remove(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.removeNode(uid);
  }

  /** Also used when a virtual owner turns out not to exist. */
  removeNode(uid: string): void {
    const { graph, attemptToDelete } = this.d;
    const node = graph.get(uid);
    if (!node) return;
    graph.remove(uid);
    for (const owner of graph.unlink(node, node.owners)) if (owner.deletingDependents) attemptToDelete.add(owner.identity.uid);
    for (const dep of node.dependents) attemptToDelete.add(dep.identity.uid);
  }
}

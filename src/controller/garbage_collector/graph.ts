// The garbage collector's view of the cluster: one node per object (by uid) with edges from owners to dependents
// taken from metadata.ownerReferences. An owner referenced but not (yet) observed is a "virtual" node; the
// collector checks with a live GET whether it really exists.
import type { OwnerReference } from "kubernetes-types/meta/v1.js";

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

export class GraphNode {
  readonly dependents = new Set<GraphNode>();
  owners: OwnerReference[] = [];
  /** Referenced as an owner but never observed by an informer. */
  virtual = false;
  /** Has a deletionTimestamp. */
  beingDeleted = false;
  /** Being deleted in the foreground: waits for its blocking dependents to go first. */
  deletingDependents = false;

  constructor(public identity: ObjectIdentity) {}

  /** Dependents whose reference to this node has blockOwnerDeletion set. */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) => d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion));
  }
}

export function describe(id: ObjectIdentity): string {
  return `${id.kind} ${id.namespace ? id.namespace + "/" : ""}${id.name} (${id.uid})`;
}

export class Graph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  add(node: GraphNode): void {
    this.nodes.set(node.identity.uid, node);
  }

  remove(uid: string): void {
    this.nodes.delete(uid);
  }

  size(): number {
    return this.nodes.size;
  }

  /** Adds node as a dependent of each owner, creating virtual owners; returns the virtual nodes created. */
  link(node: GraphNode, owners: OwnerReference[], ownerNamespace: (ref: OwnerReference) => string): GraphNode[] {
    const created: GraphNode[] = [];
    for (const ref of owners) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = new GraphNode({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: ownerNamespace(ref) });
        owner.virtual = true;
        this.add(owner);
        created.push(owner);
      }
      owner.dependents.add(node);
    }
    return created;
  }

  /** Removes node from each owner's dependents; returns the owners touched. Virtual owners left empty go away. */
  unlink(node: GraphNode, owners: OwnerReference[]): GraphNode[] {
    const touched: GraphNode[] = [];
    for (const ref of owners) {
      const owner = this.nodes.get(ref.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      touched.push(owner);
      if (owner.virtual && owner.dependents.size === 0) this.nodes.delete(ref.uid);
    }
    return touched;
  }
}

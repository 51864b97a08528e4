// The node's heartbeat: a Lease named after the node in kube-node-lease, owned by the Node, renewed every
// renewIntervalMs (10 s by default: a quarter of the 40 s duration, as the kubelet does). The node lifecycle
// controller reads renewTime to tell live nodes from dead ones.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import type { Clock } from "../client/clock.js";
import type { ResourceClient } from "../client/types.js";
import { isConflict, isNotFound } from "../machinery/errors.js";
import type { LeaseObject } from "./types.js";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
export const DEFAULT_LEASE_DURATION_S = 40;

/** MicroTime as the API writes it: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface NodeLeaseOptions {
  leases: ResourceClient<LeaseObject>;
  nodeName: string;
  clock: Clock;
  durationSeconds?: number;
  /** The Node, so the Lease is garbage collected with it. */
  owner?: () => Node | undefined;
}

export class NodeLease {
  private lease?: Lease;

  constructor(private readonly o: NodeLeaseOptions) {}

  private desired(base?: Lease): LeaseObject {
    const node = this.o.owner?.();
    const ownerReferences =
      node?.metadata?.uid ? [{ apiVersion: "v1", kind: "Node", name: this.o.nodeName, uid: node.metadata.uid }] : base?.metadata?.ownerReferences;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      ...base,
      metadata: { ...base?.metadata, name: this.o.nodeName, namespace: NODE_LEASE_NAMESPACE, ...(ownerReferences ? { ownerReferences } : {}) },
      spec: {
        ...base?.spec,
        holderIdentity: this.o.nodeName,
        leaseDurationSeconds: this.o.durationSeconds ?? DEFAULT_LEASE_DURATION_S,
        renewTime: microTime(this.o.clock.now()),
      },
    };
  }

  /** Renews (or creates) the lease; on a conflict or a vanished lease it re-reads and tries once more. */
  async renew(): Promise<Lease> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.lease) {
          try {
            this.lease = await this.o.leases.get(NODE_LEASE_NAMESPACE, this.o.nodeName);
          } catch (err) {
            if (!isNotFound(err)) throw err;
            this.lease = await this.o.leases.create(NODE_LEASE_NAMESPACE, this.desired());
            return this.lease;
          }
        }
        this.lease = await this.o.leases.update(NODE_LEASE_NAMESPACE, this.desired(this.lease));
        return this.lease;
      } catch (err) {
        this.lease = undefined;
        if (attempt >= 1 || !(isConflict(err) || isNotFound(err))) throw err;
      }
    }
  }
}

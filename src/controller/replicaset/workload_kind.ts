// What differs between ReplicaSets and ReplicationControllers, so one controller serves both as Kubernetes does
// (the replication manager is the ReplicaSet controller wrapped around RCs): the resource, the event source name,
// and how the selector is read (set-based LabelSelector vs. an equality map defaulting to the template labels).
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { resources } from "../../client/resources.js";
import type { ResourceRef } from "../../client/types.js";
import { nothing, selectorFromLabelSelector, selectorFromSet, type Selector } from "../../machinery/labels.js";

export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface WorkloadStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: WorkloadCondition[];
}

/** The shape ReplicaSets and ReplicationControllers share. */
export interface ReplicaSetLike extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    template?: PodTemplateSpec;
    selector?: LabelSelector | Record<string, string>;
  };
  status?: WorkloadStatus;
}

export interface WorkloadKind {
  /** Controller name: logs, queue and the events' source component. */
  controllerName: string;
  ref: ResourceRef & { kind: string };
  /** The selector of one object; an unparsable selector selects nothing. */
  selectorOf(obj: ReplicaSetLike): Selector;
}

function safe(build: () => Selector): Selector {
  try {
    return build();
  } catch {
    // Validation rejects bad selectors at the API server; an object that slipped through selects nothing.
    return nothing();
  }
}

export const REPLICA_SET: WorkloadKind = {
  controllerName: "replicaset-controller",
  ref: resources.replicasets,
  selectorOf: (rs) => safe(() => selectorFromLabelSelector(rs.spec?.selector as LabelSelector | undefined)),
};

export const REPLICATION_CONTROLLER: WorkloadKind = {
  controllerName: "replication-controller",
  ref: resources.replicationcontrollers,
  selectorOf: (rc) =>
    safe(() => {
      // The API server defaults an empty selector to the template labels; read it the same way if it has not.
      const sel = (rc.spec?.selector ?? {}) as Record<string, string>;
      const set = Object.keys(sel).length ? sel : (rc.spec?.template?.metadata?.labels ?? {});
      return Object.keys(set).length ? selectorFromSet(set) : nothing();
    }),
};

// Well-known resources as ResourceRefs, so components name them once (discovery fills in the rest later).
import type { ResourceRef } from "./types.js";

type Kinded = ResourceRef & { kind: string };

const core = (resource: string, kind: string, namespaced = true): Kinded => ({ group: "", version: "v1", resource, kind, namespaced });
const grouped = (group: string, version: string, resource: string, kind: string, namespaced = true): Kinded => ({ group, version, resource, kind, namespaced });

export const resources = {
  namespaces: core("namespaces", "Namespace", false),
  nodes: core("nodes", "Node", false),
  pods: core("pods", "Pod"),
  services: core("services", "Service"),
  endpoints: core("endpoints", "Endpoints"),
  configmaps: core("configmaps", "ConfigMap"),
  secrets: core("secrets", "Secret"),
  serviceaccounts: core("serviceaccounts", "ServiceAccount"),
  events: core("events", "Event"),
  persistentvolumeclaims: core("persistentvolumeclaims", "PersistentVolumeClaim"),
  persistentvolumes: core("persistentvolumes", "PersistentVolume", false),
  replicationcontrollers: core("replicationcontrollers", "ReplicationController"),
  deployments: grouped("apps", "v1", "deployments", "Deployment"),
  replicasets: grouped("apps", "v1", "replicasets", "ReplicaSet"),
  statefulsets: grouped("apps", "v1", "statefulsets", "StatefulSet"),
  daemonsets: grouped("apps", "v1", "daemonsets", "DaemonSet"),
  controllerrevisions: grouped("apps", "v1", "controllerrevisions", "ControllerRevision"),
  jobs: grouped("batch", "v1", "jobs", "Job"),
  cronjobs: grouped("batch", "v1", "cronjobs", "CronJob"),
  leases: grouped("coordination.k8s.io", "v1", "leases", "Lease"),
  endpointslices: grouped("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
  storageclasses: grouped("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
} satisfies Record<string, Kinded>;

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** "group/resource" identity of a ref, ignoring version: the key informer factories share informers by. */
export function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.version}/${ref.resource}`;
}

// Builders of Services and EndpointSlices for the proxy's tests.
import type { Service, ServicePort, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { EndpointSlice, Endpoint, EndpointPort } from "kubernetes-types/discovery/v1.js";
import type { KubeObject } from "../api/object.js";
import { SERVICE_NAME_LABEL } from "./service_model.js";

export type ServiceObject = Service & KubeObject;
export type SliceObject = EndpointSlice & KubeObject;

export function service(name: string, spec: Partial<ServiceSpec> & { ports: ServicePort[] }, ns = "default"): ServiceObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { type: "ClusterIP", ...spec } };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(svcName: string, ports: EndpointPort[], eps: EndpointSpec[], opts: { name?: string; ns?: string } = {}): SliceObject {
  const endpoints: Endpoint[] = eps.map((e) => ({
    addresses: [e.ip],
    nodeName: e.node,
    conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
  }));
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: opts.name ?? `${svcName}-abc12`, namespace: opts.ns ?? "default", labels: { [SERVICE_NAME_LABEL]: svcName } },
    addressType: "IPv4",
    ports,
    endpoints,
  };
}

// Service spec defaulting (core/v1 SetDefaults_Service). Cluster IP and node port allocation are not defaults:
// the service registry allocates them.
import type { ServiceSpec } from "kubernetes-types/core/v1.js";

export function defaultServiceSpec(spec: ServiceSpec): void {
  spec.type ??= "ClusterIP";
  spec.sessionAffinity ??= "None";
  if (spec.sessionAffinity === "ClientIP") {
    // Three hours: the default sticky time Kubernetes uses for ClientIP affinity.
    spec.sessionAffinityConfig ??= { clientIP: { timeoutSeconds: 10800 } };
    spec.sessionAffinityConfig.clientIP ??= { timeoutSeconds: 10800 };
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of spec.ports ?? []) {
    p.protocol ??= "TCP";
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
  if (spec.type !== "ExternalName") spec.internalTrafficPolicy ??= "Cluster";
  if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type !== "ExternalName" && spec.clusterIP !== "None") {
    // Single-stack IPv4 clusters: the service network is IPv4 only.
    spec.ipFamilyPolicy ??= "SingleStack";
    spec.ipFamilies ??= ["IPv4"];
  } else if (spec.clusterIP === "None" && spec.type !== "ExternalName") {
    spec.ipFamilyPolicy ??= spec.selector && Object.keys(spec.selector).length > 0 ? "SingleStack" : "RequireDualStack";
    spec.ipFamilies ??= ["IPv4"];
  }
}

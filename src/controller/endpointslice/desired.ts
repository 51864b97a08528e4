// The endpoints a service's EndpointSlices should hold, grouped by what a slice shares: its address type and its
// ports (a named target port may resolve differently per pod, so pods resolving different ports land in different
// slices). Terminating pods are kept, with conditions saying so, as Kubernetes' EndpointSlice controller does.
import type { Endpoint, EndpointPort } from "kubernetes-types/discovery/v1.js";
import { podPorts } from "../endpoint/subsets.js";
import { canonical, podHostname, podIP, podServing, shouldPodBeInEndpoints, type PodObject, type ServiceObject } from "../endpoint/service_pods.js";

/** The node label naming a node's zone; copied onto endpoints of pods on that node. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface EndpointGroup {
  /** Identity of the group: address type + ports. */
  key: string;
  addressType: "IPv4" | "IPv6";
  ports: EndpointPort[];
  /** By endpoint identity (the pod's uid, or its IP). */
  endpoints: Map<string, Endpoint>;
}

export function groupKey(addressType: string, ports: EndpointPort[]): string {
  return `${addressType} ${canonical(ports)}`;
}

/** Endpoint identity within a service: the pod it points at, or else its address. */
export function endpointId(e: Endpoint): string {
  return e.targetRef?.uid || e.addresses[0] || "";
}

export function desiredGroups(svc: ServiceObject, pods: PodObject[], opts: { zoneOf?: (node: string) => string | undefined } = {}): Map<string, EndpointGroup> {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const headlessWithoutPorts = svc.spec?.clusterIP === "None" && (svc.spec?.ports ?? []).length === 0;
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, { includeTerminating: true })) continue;
    // Unnamed ports carry name "" in slices, as Kubernetes writes them.
    const ports: EndpointPort[] = podPorts(pod, svc).map((p) => ({ ...p, name: p.name ?? "" }));
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const ip = podIP(pod)!;
    const addressType = ip.includes(":") ? "IPv6" : "IPv4";
    const key = groupKey(addressType, ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, addressType, ports, endpoints: new Map() }));
    const serving = podServing(pod);
    const terminating = !!pod.metadata?.deletionTimestamp;
    const e: Endpoint = {
      addresses: [ip],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      targetRef: { kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    const hostname = podHostname(pod, svc);
    if (hostname) e.hostname = hostname;
    const node = pod.spec?.nodeName;
    if (node) {
      e.nodeName = node;
      const zone = opts.zoneOf?.(node);
      if (zone) e.zone = zone;
    }
    g.endpoints.set(endpointId(e), e);
  }
  return groups;
}

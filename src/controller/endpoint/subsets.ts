// The subsets of a service's core/v1 Endpoints, from the pods it selects: each pod contributes its IP with the
// ports it resolves (named target ports can differ between pods), ready pods under `addresses` and the others
// under `notReadyAddresses` (all under `addresses` with publishNotReadyAddresses). Pods resolving the same ports
// share a subset; subsets, addresses and ports come out sorted so equal inputs give equal objects.
import type { EndpointAddress, EndpointPort, EndpointSubset } from "kubernetes-types/core/v1.js";
import { canonical, findPort, podHostname, podIP, podServing, shouldPodBeInEndpoints, type PodObject, type ServiceObject } from "./service_pods.js";

function address(pod: PodObject, svc: ServiceObject): EndpointAddress {
  const a: EndpointAddress = { ip: podIP(pod)! };
  const hostname = podHostname(pod, svc);
  if (hostname) a.hostname = hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = { kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
  return a;
}

/** The endpoint ports a pod offers for the service's ports (ports its named target does not resolve are left out). */
export function podPorts(pod: PodObject, svc: ServiceObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? "TCP" };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out.sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "") || a.port - b.port);
}

function byIP(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip, undefined, { numeric: true }) || (a.targetRef?.uid ?? "").localeCompare(b.targetRef?.uid ?? "");
}

export function computeSubsets(svc: ServiceObject, pods: PodObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const headlessWithoutPorts = svc.spec?.clusterIP === "None" && (svc.spec?.ports ?? []).length === 0;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, { includeTerminating: publishNotReady })) continue;
    const ports = podPorts(pod, svc);
    // A pod reaching none of the ports serves nothing here, except for a headless service without ports (DNS only).
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const key = canonical(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    if (publishNotReady || podServing(pod)) g.ready.push(address(pod, svc));
    else g.notReady.push(address(pod, svc));
  }
  const subsets: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const s: EndpointSubset = {};
    if (g.ready.length) s.addresses = g.ready.sort(byIP);
    if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIP);
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return subsets.sort((a, b) => canonical(a.ports ?? []).localeCompare(canonical(b.ports ?? [])));
}

/** Kubernetes caps an Endpoints object at 1000 addresses (EndpointSlices carry the rest). */
export const MAX_ENDPOINT_ADDRESSES = 1000;

/** Keeps at most `max` addresses, ready ones first, and says whether any were dropped. */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINT_ADDRESSES): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= max) return { subsets, truncated: false };
  let room = max;
  const take = (list: EndpointAddress[] | undefined): EndpointAddress[] | undefined => {
    if (!list?.length) return undefined;
    const kept = list.slice(0, room);
    room -= kept.length;
    return kept.length ? kept : undefined;
  };
  const ready = subsets.map((s) => ({ ...s, addresses: take(s.addresses) }));
  const out = ready.map((s) => ({ ...s, notReadyAddresses: take(s.notReadyAddresses) })).filter((s) => s.addresses || s.notReadyAddresses);
  return { subsets: out, truncated: true };
}

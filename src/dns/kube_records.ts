// The records a Service, its EndpointSlices and Pods stand for, as CoreDNS's kubernetes plugin derives them:
// - ClusterIP service: its cluster IPs, one target per (IP, port), named <svc>.<ns>.svc.<zone>;
// - headless service (or a query naming one endpoint): the addresses of ready endpoints, each named
//   <hostname>.<svc>.<ns>.svc.<zone> where hostname is the endpoint's hostname or its dashed IP;
// - ExternalName service: a CNAME to spec.externalName.
// No target at all is "no such name" (NXDOMAIN), as in CoreDNS: a headless service without ready endpoints has no
// name. A port filter (_port._proto) matches port names and protocols case-insensitively.
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { ClusterView } from "./cluster_view.js";
import { canonicalIP, dashedIP, ipFromDashed } from "./ip.js";

/** A port-less endpoint still has addresses to serve (A records); it gets no SRV record. */
export const NO_PORT = -1;

export interface Target {
  ip: string;
  port: number;
  /** The DNS name the address is served under (SRV target, PTR answer). */
  fqdn: string;
}

export interface ServiceRequest {
  namespace: string;
  service: string;
  /** One endpoint's label: <endpoint>.<svc>.<ns>.svc.<zone>. */
  endpoint?: string;
  /** From _<port>._<proto>.<svc>...: port name and protocol without underscores; "" matches any. */
  port?: string;
  protocol?: string;
}

export type ServiceLookup = { kind: "nxdomain" } | { kind: "external"; target: string } | { kind: "targets"; targets: Target[] };

export function isHeadless(s: Service): boolean {
  return s.spec?.clusterIP === "None";
}

function matches(want: string | undefined, have: string | undefined): boolean {
  if (!want || want === "*" || want === "any") return true;
  return want.toLowerCase() === (have ?? "").toLowerCase();
}

function endpointLabel(hostname: string | undefined, ip: string): string {
  return hostname ? hostname.toLowerCase() : dashedIP(ip);
}

/**
 * Ready addresses of a service's slices (unready ones are not served), each once. A service with
 * publishNotReadyAddresses (StatefulSet peer discovery) has every address served, as its EndpointSlices should
 * already say ready; this keeps DNS right even when a controller does not.
 */
function readyEndpoints(slices: EndpointSlice[], svc?: Service): Array<{ ip: string; hostname?: string; slice: EndpointSlice }> {
  const all = svc?.spec?.publishNotReadyAddresses === true;
  const out: Array<{ ip: string; hostname?: string; slice: EndpointSlice }> = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    for (const ep of slice.endpoints ?? []) {
      // Kubernetes: a nil ready condition means ready.
      if (ep.conditions?.ready === false && !all) continue;
      for (const addr of ep.addresses ?? []) {
        const ip = canonicalIP(addr);
        if (!ip || seen.has(`${ip}/${ep.hostname ?? ""}`)) continue;
        seen.add(`${ip}/${ep.hostname ?? ""}`);
        out.push({ ip, hostname: ep.hostname, slice });
      }
    }
  }
  return out;
}

export function serviceFqdn(namespace: string, service: string, zone: string): string {
  return `${service}.${namespace}.svc.${zone}`;
}

export function lookupService(view: ClusterView, req: ServiceRequest, zone: string): ServiceLookup {
  const svc = view.service(req.namespace, req.service);
  if (!svc) return { kind: "nxdomain" };
  if (svc.spec?.type === "ExternalName") {
    // Only the bare name of an ExternalName service exists: it has no endpoints or ports.
    if (req.endpoint || req.port || req.protocol || !svc.spec.externalName) return { kind: "nxdomain" };
    return { kind: "external", target: svc.spec.externalName.replace(/\.$/, "") };
  }
  const base = serviceFqdn(req.namespace, req.service, zone);
  const targets: Target[] = [];
  if (isHeadless(svc) || req.endpoint !== undefined) {
    for (const ep of readyEndpoints(view.endpointSlices(req.namespace, req.service), svc)) {
      const label = endpointLabel(ep.hostname, ep.ip);
      if (req.endpoint !== undefined && label !== req.endpoint.toLowerCase()) continue;
      const ports = ep.slice.ports?.length ? ep.slice.ports : [{ port: NO_PORT, name: "", protocol: "" }];
      for (const p of ports) {
        if (!matches(req.port, p.name) || !matches(req.protocol, p.protocol ?? "TCP")) continue;
        targets.push({ ip: ep.ip, port: p.port ?? NO_PORT, fqdn: `${label}.${base}` });
      }
    }
  } else {
    const ips = (svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec?.clusterIP]).map((ip) => (ip ? canonicalIP(ip) : undefined)).filter((ip): ip is string => !!ip);
    const ports = svc.spec?.ports?.length ? svc.spec.ports : [{ port: NO_PORT, name: "", protocol: "" }];
    for (const p of ports) {
      if (!matches(req.port, p.name) || !matches(req.protocol, p.protocol ?? "TCP")) continue;
      for (const ip of ips) targets.push({ ip, port: p.port, fqdn: base });
    }
  }
  return targets.length ? { kind: "targets", targets } : { kind: "nxdomain" };
}

export type PodRecordsMode = "verified" | "insecure" | "disabled";

/**
 * The address of <a-b-c-d>.<ns>.pod.<zone>. "insecure" answers any well-formed address (kubeadm's default
 * Corefile); "verified" only the address of a pod in that namespace.
 */
export function lookupPod(view: ClusterView, namespace: string, label: string, mode: PodRecordsMode): string | undefined {
  if (mode === "disabled") return undefined;
  const ip = ipFromDashed(label);
  if (!ip) return undefined;
  if (mode === "insecure") return ip;
  const pods = view.podsByIP(ip);
  return pods?.some((p) => p.metadata?.namespace === namespace && !p.metadata?.deletionTimestamp) ? ip : undefined;
}

/**
 * Names for an address (PTR): a service with that cluster IP, else ready endpoints with it, else (pods watched)
 * the pod record <a-b-c-d>.<ns>.pod.<zone>. Each list is sorted so answers are stable.
 */
export function namesForIP(view: ClusterView, ip: string, zone: string, opts: { podRecords: PodRecordsMode }): string[] {
  const services = view.servicesByIP(ip).map((s) => serviceFqdn(s.metadata!.namespace!, s.metadata!.name!, zone));
  if (services.length) return [...new Set(services)].sort();
  const endpoints: string[] = [];
  for (const slice of view.endpointSlicesByIP(ip)) {
    const svc = slice.metadata?.labels?.["kubernetes.io/service-name"];
    if (!svc) continue;
    for (const ep of readyEndpoints([slice], view.service(slice.metadata!.namespace!, svc)))
      if (ep.ip === ip) endpoints.push(`${endpointLabel(ep.hostname, ep.ip)}.${serviceFqdn(slice.metadata!.namespace!, svc, zone)}`);
  }
  if (endpoints.length) return [...new Set(endpoints)].sort();
  if (opts.podRecords === "disabled") return [];
  // Host-network pods share their node's address, which is not theirs to name.
  const pods = (view.podsByIP(ip) ?? []).filter((p) => !p.metadata?.deletionTimestamp && !p.spec?.hostNetwork);
  return [...new Set(pods.map((p) => `${dashedIP(ip)}.${p.metadata!.namespace!}.pod.${zone}`))].sort();
}

// Services + EndpointSlices -> the list of service ports with cluster IPs and their chosen endpoints: the pure
// input of every rule renderer. Which endpoints count follows Kubernetes: ready ones (an unset ready condition
// means ready); when none is ready, the serving-and-terminating ones, so a rolling update does not drop traffic.
import type { Service, ServicePort } from "kubernetes-types/core/v1.js";
import type { EndpointSlice, EndpointPort } from "kubernetes-types/discovery/v1.js";
import type { EndpointInfo, L4Protocol, ProxyState, ServicePortInfo } from "./types.js";

/** Label linking an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** Kubernetes' default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

export interface ModelOptions {
  /** This proxier's node: endpoints with this nodeName are local. */
  nodeName: string;
}

interface Candidate extends EndpointInfo {
  ready: boolean;
  servingTerminating: boolean;
}

function protocolOf(p: string | undefined): L4Protocol {
  return p === "UDP" || p === "SCTP" ? p : "TCP";
}

/** Endpoints of one service port gathered from every slice of the service, keyed "ip:port". */
function candidatesFor(sp: ServicePort, slices: EndpointSlice[], nodeName: string): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    const port = (slice.ports ?? []).find((p: EndpointPort) => (p.name ?? "") === (sp.name ?? "") && protocolOf(p.protocol) === protocolOf(sp.protocol));
    if (port?.port === undefined || port.port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const c = ep.conditions ?? {};
      const terminating = c.terminating === true;
      const ready = c.ready ?? !terminating;
      const serving = c.serving ?? ready;
      const cand: Candidate = { ip, port: port.port, local: !!ep.nodeName && ep.nodeName === nodeName, ready, servingTerminating: serving && terminating };
      const key = `${ip}:${port.port}`;
      const prev = byKey.get(key);
      // The same address in two slices (during a controller's rewrite): the more usable copy wins.
      if (!prev || (!prev.ready && cand.ready)) byKey.set(key, cand);
    }
  }
  return [...byKey.values()];
}

function choose(cands: Candidate[]): EndpointInfo[] {
  const ready = cands.filter((c) => c.ready);
  const pick = ready.length > 0 ? ready : cands.filter((c) => c.servingTerminating);
  return pick.map(({ ip, port, local }) => ({ ip, port, local })).sort(compareEndpoints);
}

function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  const ka = a.ip.split(".").map(Number);
  const kb = b.ip.split(".").map(Number);
  for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return a.port - b.port;
}

function externalIPsOf(svc: Service): string[] {
  const ips = [...(svc.spec?.externalIPs ?? [])];
  if (svc.spec?.type === "LoadBalancer") for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip) ips.push(ing.ip);
  return [...new Set(ips.filter(isIPv4))].sort();
}

/** The service ports this proxier programs, sorted by service and port so rendering is deterministic. */
export function buildProxyState(services: Service[], slices: EndpointSlice[], opts: ModelOptions): ProxyState {
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svcName = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) continue;
    const key = `${s.metadata?.namespace ?? ""}/${svcName}`;
    const list = slicesBySvc.get(key) ?? [];
    list.push(s);
    slicesBySvc.set(key, list);
  }
  const ports: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    const namespace = svc.metadata?.namespace ?? "";
    const service = svc.metadata?.name ?? "";
    if (!spec || spec.type === "ExternalName") continue;
    // Headless services ("None") are answered by DNS alone; dual-stack services are programmed for IPv4 only.
    const clusterIP = [spec.clusterIP, ...(spec.clusterIPs ?? [])].find(isIPv4);
    if (!clusterIP) continue;
    const affinitySeconds = spec.sessionAffinity === "ClientIP" ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    const svcSlices = slicesBySvc.get(`${namespace}/${service}`) ?? [];
    const externalIPs = externalIPsOf(svc);
    const nodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
    for (const sp of spec.ports ?? []) {
      ports.push({
        namespace,
        service,
        portName: sp.name ?? "",
        protocol: protocolOf(sp.protocol),
        clusterIP,
        port: sp.port,
        nodePort: nodePorts && sp.nodePort ? sp.nodePort : undefined,
        externalIPs,
        affinitySeconds,
        externalLocal: spec.externalTrafficPolicy === "Local" && (nodePorts || externalIPs.length > 0),
        internalLocal: spec.internalTrafficPolicy === "Local",
        endpoints: choose(candidatesFor(sp, svcSlices, opts.nodeName)),
      });
    }
  }
  return { ports: ports.sort(comparePorts) };
}

function comparePorts(a: ServicePortInfo, b: ServicePortInfo): number {
  return a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service) || a.portName.localeCompare(b.portName) || a.protocol.localeCompare(b.protocol) || a.port - b.port;
}

/** Endpoints that cluster-IP traffic may reach (internalTrafficPolicy applied). */
export function clusterEndpoints(p: ServicePortInfo): EndpointInfo[] {
  return p.internalLocal ? p.endpoints.filter((e) => e.local) : p.endpoints;
}

/** Endpoints that external traffic (node ports, external IPs) may reach (externalTrafficPolicy applied). */
export function externalEndpoints(p: ServicePortInfo): EndpointInfo[] {
  return p.externalLocal ? p.endpoints.filter((e) => e.local) : p.endpoints;
}

// What cluster DNS reads from the API: Services, EndpointSlices, Namespaces and (optionally) Pods, each through a
// shared informer with the indexes DNS lookups need, so every answer is computed from the current caches and an
// update shows up in the very next answer.
import type { Namespace, Pod, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { KubeObject } from "../api/object.js";
import type { SharedInformer } from "../client/informer.js";
import type { SharedInformerFactory } from "../client/informer_factory.js";
import { resources } from "../client/resources.js";
import { canonicalIP } from "./ip.js";

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const SLICE_BY_SERVICE = "dns:serviceKey";
const SLICE_BY_IP = "dns:endpointIP";
const SERVICE_BY_IP = "dns:clusterIP";
const POD_BY_IP = "dns:podIP";

/** Read access to the cluster state DNS answers from. */
export interface ClusterView {
  /** True once every cache holds its first list: before that a missing name may only be missing from the cache. */
  synced(): boolean;
  service(namespace: string, name: string): Service | undefined;
  namespaceExists(namespace: string): boolean;
  /** EndpointSlices labelled for the service. */
  endpointSlices(namespace: string, service: string): EndpointSlice[];
  servicesByIP(ip: string): Service[];
  endpointSlicesByIP(ip: string): EndpointSlice[];
  /** Pods with the IP; undefined when pods are not watched. */
  podsByIP(ip: string): Pod[] | undefined;
  /** Seconds since the epoch of the last change seen: the SOA serial, as CoreDNS keeps it. */
  serial(): number;
}

const key = (ns: string | undefined, name: string | undefined): string => `${ns ?? ""}/${name ?? ""}`;

function clusterIPs(s: Service): string[] {
  const ips = s.spec?.clusterIPs?.length ? s.spec.clusterIPs : s.spec?.clusterIP ? [s.spec.clusterIP] : [];
  return canonicalAll(ips);
}

function canonicalAll(ips: Array<string | undefined>): string[] {
  return [...new Set(ips.map((ip) => (ip ? canonicalIP(ip) : undefined)).filter((ip): ip is string => ip !== undefined))];
}

export interface InformerClusterViewOptions {
  /** Watch Pods too (for verified pod records and PTR of pod IPs). */
  pods?: boolean;
  now?: () => number;
}

export class InformerClusterView implements ClusterView {
  private readonly services: SharedInformer<Service & KubeObject>;
  private readonly slices: SharedInformer<EndpointSlice & KubeObject>;
  private readonly namespaces: SharedInformer<Namespace & KubeObject>;
  private readonly pods?: SharedInformer<Pod & KubeObject>;
  private lastChange: number;

  constructor(factory: SharedInformerFactory, opts: InformerClusterViewOptions = {}) {
    const now = opts.now ?? Date.now;
    this.lastChange = Math.floor(now() / 1000);
    this.services = factory.forResource<Service & KubeObject>(resources.services, { indexers: { [SERVICE_BY_IP]: clusterIPs } });
    this.slices = factory.forResource<EndpointSlice & KubeObject>(resources.endpointslices, {
      indexers: {
        [SLICE_BY_SERVICE]: (s) => {
          const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
          return svc ? [key(s.metadata?.namespace, svc)] : [];
        },
        [SLICE_BY_IP]: (s) => canonicalAll((s.endpoints ?? []).flatMap((e) => e.addresses ?? [])),
      },
    });
    this.namespaces = factory.forResource<Namespace & KubeObject>(resources.namespaces);
    if (opts.pods)
      this.pods = factory.forResource<Pod & KubeObject>(resources.pods, {
        indexers: { [POD_BY_IP]: (p) => canonicalAll([p.status?.podIP, ...(p.status?.podIPs ?? []).map((i) => i.ip)]) },
      });
    const touch = { onAdd: () => this.touch(now), onUpdate: () => this.touch(now), onDelete: () => this.touch(now) };
    for (const inf of this.informers()) inf.addEventHandler(touch);
  }

  private informers(): Array<SharedInformer<KubeObject>> {
    return [this.services, this.slices, this.namespaces, ...(this.pods ? [this.pods] : [])] as unknown as Array<SharedInformer<KubeObject>>;
  }

  private touch(now: () => number): void {
    this.lastChange = Math.floor(now() / 1000);
  }

  synced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  async waitForSync(signal: AbortSignal): Promise<boolean> {
    const results = await Promise.all(this.informers().map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.indexer.get(key(namespace, name));
  }

  namespaceExists(namespace: string): boolean {
    return this.namespaces.indexer.get(namespace) !== undefined;
  }

  endpointSlices(namespace: string, service: string): EndpointSlice[] {
    return this.slices.indexer.byIndex(SLICE_BY_SERVICE, key(namespace, service));
  }

  servicesByIP(ip: string): Service[] {
    return this.services.indexer.byIndex(SERVICE_BY_IP, ip);
  }

  endpointSlicesByIP(ip: string): EndpointSlice[] {
    return this.slices.indexer.byIndex(SLICE_BY_IP, ip);
  }

  podsByIP(ip: string): Pod[] | undefined {
    return this.pods?.indexer.byIndex(POD_BY_IP, ip);
  }

  serial(): number {
    return this.lastChange;
  }
}

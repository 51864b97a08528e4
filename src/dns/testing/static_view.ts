// A ClusterView over plain arrays, for tests of the record logic without informers.
import type { Pod, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { SERVICE_NAME_LABEL, type ClusterView } from "../cluster_view.js";
import { canonicalIP } from "../ip.js";

export interface StaticViewState {
  namespaces?: string[];
  services?: Service[];
  slices?: EndpointSlice[];
  /** undefined: pods are not watched. */
  pods?: Pod[];
  synced?: boolean;
  serial?: number;
}

export class StaticView implements ClusterView {
  constructor(public state: StaticViewState) {}

  synced(): boolean {
    return this.state.synced ?? true;
  }

  service(namespace: string, name: string): Service | undefined {
    return this.state.services?.find((s) => s.metadata?.namespace === namespace && s.metadata?.name === name);
  }

  namespaceExists(namespace: string): boolean {
    return (this.state.namespaces ?? ["default", "kube-system"]).includes(namespace);
  }

  endpointSlices(namespace: string, service: string): EndpointSlice[] {
    return (this.state.slices ?? []).filter((s) => s.metadata?.namespace === namespace && s.metadata?.labels?.[SERVICE_NAME_LABEL] === service);
  }

  servicesByIP(ip: string): Service[] {
    return (this.state.services ?? []).filter((s) => [s.spec?.clusterIP, ...(s.spec?.clusterIPs ?? [])].some((i) => i && canonicalIP(i) === ip));
  }

  endpointSlicesByIP(ip: string): EndpointSlice[] {
    return (this.state.slices ?? []).filter((s) => s.endpoints?.some((e) => e.addresses.some((a) => canonicalIP(a) === ip)));
  }

  podsByIP(ip: string): Pod[] | undefined {
    return this.state.pods?.filter((p) => p.status?.podIP && canonicalIP(p.status.podIP) === ip);
  }

  serial(): number {
    return this.state.serial ?? 1;
  }
}

// Plans the writes that turn a service's existing EndpointSlices into the desired ones with little churn: an
// endpoint stays in the slice that holds it (updated in place when its conditions change), new endpoints fill
// slices with room before new slices are made, slices left empty are deleted, and at most maxEndpoints go in one
// slice. A service with no endpoints keeps one empty placeholder slice, as Kubernetes does.
import type { Endpoint, EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { KubeObject } from "../../api/object.js";
import { canonical, endpointLabels, type ServiceObject } from "../endpoint/service_pods.js";
import { endpointId, groupKey, type EndpointGroup } from "./desired.js";

export type SliceObject = EndpointSlice & KubeObject;

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const CONTROLLER_NAME = "endpointslice-controller.k8s.io";
/** Kubernetes' default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePlan {
  create: SliceObject[];
  update: SliceObject[];
  delete: SliceObject[];
}

/** The metadata every slice of the service carries (labels, owner), over a base (an existing slice's). */
function sliceMeta(svc: ServiceObject, base?: SliceObject): SliceObject["metadata"] {
  const name = svc.metadata?.name ?? "";
  const meta: NonNullable<SliceObject["metadata"]> = base ? { ...base.metadata } : { generateName: `${name}-`, namespace: svc.metadata?.namespace };
  meta.labels = endpointLabels(svc, { [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: CONTROLLER_NAME });
  meta.ownerReferences = [{ apiVersion: "v1", kind: "Service", name, uid: svc.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true }];
  return meta;
}

function build(svc: ServiceObject, op: { base?: SliceObject; addressType: string; ports: EndpointGroup["ports"]; endpoints: Endpoint[] }): SliceObject {
  return { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: sliceMeta(svc, op.base), addressType: op.addressType, endpoints: op.endpoints, ports: op.ports };
}

/** Whether writing `next` over `cur` would change anything the controller owns. */
function differs(cur: SliceObject, next: SliceObject): boolean {
  const own = (s: SliceObject) => canonical([s.addressType, s.endpoints ?? [], s.ports ?? [], s.metadata?.labels ?? {}, s.metadata?.ownerReferences ?? []]);
  return own(cur) !== own(next);
}

export function planSlices(svc: ServiceObject, op: { existing: SliceObject[]; desired: Map<string, EndpointGroup>; maxEndpoints?: number }): SlicePlan {
  const max = op.maxEndpoints ?? MAX_ENDPOINTS_PER_SLICE;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byGroup = new Map<string, SliceObject[]>();
  for (const s of op.existing) {
    const k = groupKey(s.addressType, s.ports ?? []);
    byGroup.set(k, [...(byGroup.get(k) ?? []), s]);
  }
  const write = (next: SliceObject, base?: SliceObject): void => {
    if (!base) plan.create.push(next);
    else if (differs(base, next)) plan.update.push(next);
  };
  for (const g of op.desired.values()) {
    const slices = byGroup.get(g.key) ?? [];
    byGroup.delete(g.key);
    const remaining = new Map(g.endpoints);
    const fills = slices.map((base) => {
      const endpoints: Endpoint[] = [];
      for (const e of base.endpoints ?? []) {
        const id = endpointId(e);
        const d = remaining.get(id);
        if (!d || endpoints.length >= max) continue;
        endpoints.push(d);
        remaining.delete(id);
      }
      return { base: base as SliceObject | undefined, endpoints };
    });
    const rest = [...remaining.values()];
    for (const f of fills) while (f.endpoints.length < max && rest.length) f.endpoints.push(rest.shift()!);
    while (rest.length) fills.push({ base: undefined, endpoints: rest.splice(0, max) });
    for (const f of fills) {
      if (f.endpoints.length === 0) plan.delete.push(f.base!);
      else write(build(svc, { base: f.base, addressType: g.addressType, ports: g.ports, endpoints: f.endpoints }), f.base);
    }
  }
  const leftover = [...byGroup.values()].flat();
  if (op.desired.size === 0) {
    // The placeholder: one slice without endpoints or ports says "this service has no endpoints" to consumers.
    const base = leftover.shift();
    write({ ...build(svc, { base, addressType: "IPv4", ports: [], endpoints: [] }), ports: undefined }, base);
  }
  plan.delete.push(...leftover);
  return plan;
}

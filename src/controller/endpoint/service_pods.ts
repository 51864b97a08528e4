// What the Endpoints and EndpointSlice controllers both need to know about a service and its pods: which pods
// belong in its endpoints (an IP, not finished, terminating only when asked), whether they are ready, the port
// each service port reaches on each pod (a number, or a container port looked up by name), and which services a
// pod's labels select (to know what to sync when a pod changes).
import type { Pod, Service, ServicePort } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { selectorFromSet } from "../../machinery/labels.js";
import { isPodReady } from "../replicaset/pod_utils.js";

export type ServiceObject = Service & KubeObject;
export type PodObject = Pod & KubeObject;

/** Label of the services Kubernetes marks headless on their Endpoints and EndpointSlices. */
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

/** Services with a selector get controller-managed endpoints; the others are managed by their users. */
export function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0 && svc.spec?.type !== "ExternalName";
}

export function selects(svc: Service, pod: Pod): boolean {
  return hasSelector(svc) && selectorFromSet(svc.spec?.selector).matches(pod.metadata?.labels ?? {});
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === "None";
}

export function podIP(pod: Pod): string | undefined {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || undefined;
}

/**
 * Kubernetes' ShouldPodBeInEndpoints: a pod without an IP has nowhere to send traffic; a finished pod (phase
 * Succeeded/Failed) never serves again; a terminating pod counts only when terminating endpoints are wanted.
 */
export function shouldPodBeInEndpoints(pod: Pod, opts: { includeTerminating: boolean }): boolean {
  if (!podIP(pod)) return false;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (pod.metadata?.deletionTimestamp && !opts.includeTerminating) return false;
  return true;
}

export function podServing(pod: Pod): boolean {
  return isPodReady(pod);
}

/** The port a service port reaches on a pod: targetPort as a number, or the pod's container port of that name
 *  and protocol. Undefined when the name is not found (that pod gets no endpoint for this port). */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  const protocol = sp.protocol ?? "TCP";
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  }
  return undefined;
}

/** A service's hostname for a pod: pods with hostname and a subdomain naming the service get DNS names. */
export function podHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace ? h : undefined;
}

/** The pod's namespace/name keys of the services (from `services`) selecting it. */
export function servicesSelecting(pod: Pod, services: ServiceObject[]): string[] {
  return services.filter((s) => selects(s, pod)).map((s) => `${s.metadata?.namespace ?? ""}/${s.metadata?.name ?? ""}`);
}

/** Labels of controller-written endpoint objects: the service's own labels, plus the headless marker. */
export function endpointLabels(svc: Service, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return { ...labels, ...extra };
}

/** Order-independent JSON: object keys sorted, so compare-before-write ignores key order. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === "object" && !Array.isArray(val)) {
      return Object.fromEntries(Object.entries(val as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return val;
  });
}

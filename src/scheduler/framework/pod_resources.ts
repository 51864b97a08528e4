// What a pod asks of a node, as Kubernetes' resource helpers compute it: the larger of the app containers' sum
// (plus restartable "sidecar" init containers, which keep running) and the biggest one-at-a-time init container,
// plus the pod overhead. Requests default to limits when only limits are set (API defaulting does the same).
import type { Container, Pod } from "./api_types.js";
import { amountOf, CPU, MEMORY, Resource, toAmounts } from "./resource.js";

/** What the scoring plugins assume for a container that requests nothing, so empty pods still spread. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type ResourceList = Record<string, unknown>;

const has = (list: ResourceList | undefined, name: string): boolean => list !== undefined && Object.hasOwn(list, name);

// Straight from the request and limit lists into the Resource (no intermediate map per container: this runs for
// every pod the scheduler looks at).
function containerRequests(c: Container, nonZero: boolean): Resource {
  const requests = c.resources?.requests as ResourceList | undefined;
  const limits = c.resources?.limits as ResourceList | undefined;
  const r = new Resource();
  if (requests) for (const k in requests) if (Object.hasOwn(requests, k)) r.set(k, amountOf(k, requests[k]));
  if (limits) for (const k in limits) if (Object.hasOwn(limits, k) && !has(requests, k)) r.set(k, amountOf(k, limits[k]));
  if (nonZero) {
    if (!has(requests, CPU) && !has(limits, CPU)) r.set(CPU, DEFAULT_MILLI_CPU_REQUEST);
    if (!has(requests, MEMORY) && !has(limits, MEMORY)) r.set(MEMORY, DEFAULT_MEMORY_REQUEST);
  }
  return r;
}

export interface PodRequestOptions {
  /** Count unset cpu/memory requests as the scoring defaults (NonZeroRequested). */
  nonZero?: boolean;
}

export function computePodRequests(pod: Pod, opts: PodRequestOptions = {}): Resource {
  const nonZero = opts.nonZero ?? false;
  const total = new Resource();
  for (const c of pod.spec?.containers ?? []) total.add(containerRequests(c, nonZero));
  const inits = pod.spec?.initContainers;
  if (!inits?.length) {
    const overhead = pod.spec?.overhead as Record<string, unknown> | undefined;
    if (overhead) total.add(new Resource(toAmounts(overhead)));
    return total;
  }
  const sidecars = new Resource();
  const initMax = new Resource();
  for (const c of inits) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === "Always") {
      sidecars.add(r);
      initMax.max(sidecars);
    } else {
      const during = sidecars.clone();
      during.add(r);
      initMax.max(during);
    }
  }
  total.add(sidecars);
  total.max(initMax);
  const overhead = pod.spec?.overhead as Record<string, unknown> | undefined;
  if (overhead) total.add(new Resource(toAmounts(overhead)));
  return total;
}

// What a pod asks of a node, as Kubernetes' resource helpers compute it: the larger of the app containers' sum
// (plus restartable "sidecar" init containers, which keep running) and the biggest one-at-a-time init container,
// plus the pod overhead. Requests default to limits when only limits are set (API defaulting does the same).
import type { Container, Pod } from "./api_types.js";
import { CPU, MEMORY, Resource, toAmounts } from "./resource.js";

/** What the scoring plugins assume for a container that requests nothing, so empty pods still spread. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function containerRequests(c: Container, nonZero: boolean): Resource {
  const req = toAmounts(c.resources?.requests as Record<string, unknown> | undefined);
  const limits = c.resources?.limits as Record<string, unknown> | undefined;
  if (limits) for (const [k, v] of toAmounts(limits)) if (!req.has(k)) req.set(k, v);
  const r = new Resource(req);
  if (nonZero) {
    if (!req.has(CPU)) r.set(CPU, DEFAULT_MILLI_CPU_REQUEST);
    if (!req.has(MEMORY)) r.set(MEMORY, DEFAULT_MEMORY_REQUEST);
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

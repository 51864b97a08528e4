// Pod admission on the node, as the kubelet's resource fit check: a pod is rejected (phase Failed, reason
// OutOf<resource>) when its requests plus those of the pods already admitted exceed the node's allocatable, or when
// the node already holds its maximum number of pods. Pods bound by the scheduler fit by construction; this guards
// pods bound directly through spec.nodeName.
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../machinery/quantity.js";

export type Rejection = { reason: string; message: string };

/** Requests of a pod in base units (cpu in millicores): max(sum of app containers, largest init container). */
export function podRequests(pod: Pod): Map<string, number> {
  const out = new Map<string, number>();
  const amount = (name: string, q: unknown): number => {
    try {
      const parsed = parseQuantity(String(q));
      return name === "cpu" ? parsed.milliValue() : parsed.value();
    } catch {
      return 0;
    }
  };
  for (const c of pod.spec?.containers ?? [])
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) out.set(name, (out.get(name) ?? 0) + amount(name, q));
  for (const c of pod.spec?.initContainers ?? [])
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) out.set(name, Math.max(out.get(name) ?? 0, amount(name, q)));
  for (const [name, q] of Object.entries(pod.spec?.overhead ?? {})) out.set(name, (out.get(name) ?? 0) + amount(name, q));
  return out;
}

function allocatableUnits(allocatable: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, q] of Object.entries(allocatable)) {
    const parsed = parseQuantity(q);
    out.set(name, name === "cpu" ? parsed.milliValue() : parsed.value());
  }
  return out;
}

/** Undefined when the pod fits next to the admitted ones, else why not. */
export function checkFit(pod: Pod, admitted: Pod[], allocatable: Record<string, string>): Rejection | undefined {
  const alloc = allocatableUnits(allocatable);
  const maxPods = alloc.get("pods");
  if (maxPods !== undefined && admitted.length + 1 > maxPods)
    return { reason: "OutOfpods", message: `Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${maxPods}` };
  const used = new Map<string, number>();
  for (const p of admitted) for (const [name, v] of podRequests(p)) used.set(name, (used.get(name) ?? 0) + v);
  for (const [name, want] of podRequests(pod)) {
    if (want === 0 || name === "pods") continue;
    const cap = alloc.get(name);
    // Extended resources the node does not offer cannot fit at all.
    if (cap === undefined || (used.get(name) ?? 0) + want > cap)
      return { reason: `OutOf${name}`, message: `Node didn't have enough resource: ${name}, requested: ${want}, used: ${used.get(name) ?? 0}, capacity: ${cap ?? 0}` };
  }
  return undefined;
}

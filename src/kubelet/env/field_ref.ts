// The downward API: a pod's own fields (fieldRef) and its containers' resources (resourceFieldRef) as strings, the
// way env vars and downwardAPI volume files carry them.
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../machinery/quantity.js";

/** A reference that cannot be resolved; the container cannot start (CreateContainerConfigError). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** What the pod object does not say yet: its IP from the sandbox, the node's IP. */
export interface PodRuntimeFacts {
  podIP?: string;
  hostIP?: string;
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** key="value" lines sorted by key, as downwardAPI volumes present labels and annotations. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join("\n");
}

export function resolveFieldRef(pod: Pod, ref: ObjectFieldSelector, facts: PodRuntimeFacts): string {
  const md = pod.metadata ?? {};
  const path = ref.fieldPath;
  const sub = SUBSCRIPT.exec(path);
  if (sub) return (sub[1] === "labels" ? md.labels : md.annotations)?.[sub[2]!] ?? "";
  switch (path) {
    case "metadata.name":
      return md.name ?? "";
    case "metadata.namespace":
      return md.namespace ?? "default";
    case "metadata.uid":
      return md.uid ?? "";
    case "metadata.labels":
      return formatMap(md.labels);
    case "metadata.annotations":
      return formatMap(md.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP":
      return facts.podIP ?? pod.status?.podIP ?? "";
    case "status.podIPs":
      return facts.podIP ?? (pod.status?.podIPs ?? []).map((p) => p.ip).join(",");
    case "status.hostIP":
      return facts.hostIP ?? pod.status?.hostIP ?? "";
    case "status.hostIPs":
      return facts.hostIP ?? (pod.status?.hostIPs ?? []).map((p) => p.ip).join(",");
    default:
      throw new ConfigError(`unsupported fieldPath ${JSON.stringify(path)}`);
  }
}

/**
 * A container's request or limit divided by the divisor, rounded up (at least 1 for a non-zero cpu). An unset limit
 * reads as the node's allocatable amount, an unset request as the limit (or 0), as Kubernetes does.
 */
export function resolveResourceFieldRef(pod: Pod, ref: ResourceFieldSelector, opts: { container?: Container; allocatable?: Record<string, string> }): string {
  const container = ref.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName) : opts.container;
  if (!container) throw new ConfigError(`resourceFieldRef: container ${JSON.stringify(ref.containerName ?? "")} not found in the pod`);
  const [kind, resource] = ref.resource.split(".") as [string, string | undefined];
  if ((kind !== "limits" && kind !== "requests") || !resource) throw new ConfigError(`unsupported resource ${JSON.stringify(ref.resource)}`);
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  let raw: unknown = kind === "limits" ? (limits[resource] ?? opts.allocatable?.[resource]) : (requests[resource] ?? limits[resource]);
  raw ??= "0";
  const divisor = parseQuantity(String(ref.divisor ?? "1"));
  const q = parseQuantity(String(raw));
  if (resource === "cpu") {
    // Milli-units keep fractional cores exact: 250m / 1m = 250, 250m / 1 = 1 (rounded up).
    const v = Math.ceil(q.milliValue() / Math.max(1, divisor.milliValue()));
    return String(q.isZero() ? 0 : Math.max(1, v));
  }
  return String(Math.ceil(q.value() / Math.max(1, divisor.value())));
}

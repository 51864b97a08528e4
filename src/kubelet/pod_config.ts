// Translates a pod spec into runtime configs: the sandbox (metadata, hostname, DNS, ports, cgroup parent, labels and
// annotations that identify the pod) and each container (command, env, resources, labels naming pod and container).
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../machinery/quantity.js";
import { expandCommand, type EnvVar } from "./env/resolve.js";
import type { ContainerConfig, Mount, PodSandboxConfig, PortMapping } from "./runtime/types.js";
import { containerSecurity, sandboxSecurity } from "./security_context.js";

export const POD_NAME_LABEL = "io.kubernetes.pod.name";
export const POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
export const POD_UID_LABEL = "io.kubernetes.pod.uid";
export const CONTAINER_NAME_LABEL = "io.kubernetes.container.name";

export const CLUSTER_DNS = "10.96.0.10";
export const CLUSTER_DOMAIN = "cluster.local";
/** CFS period the kubelet uses; quota = cpu limit * period. */
const CPU_PERIOD_US = 100_000;
const MIN_CPU_SHARES = 2;

function podLabels(pod: Pod): Record<string, string> {
  return {
    [POD_NAME_LABEL]: pod.metadata?.name ?? "",
    [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? "",
    [POD_UID_LABEL]: pod.metadata?.uid ?? "",
  };
}

export function sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const spec = pod.spec;
  const hostNetwork = spec?.hostNetwork ?? false;
  const ns = m.namespace ?? "default";
  const ports: PortMapping[] = [];
  for (const c of spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.hostPort) ports.push({ protocol: (p.protocol ?? "TCP") as PortMapping["protocol"], containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP });
  const clusterFirst = (spec?.dnsPolicy ?? "ClusterFirst") === "ClusterFirst" && !hostNetwork;
  return {
    metadata: { name: m.name ?? "", namespace: ns, uid: m.uid ?? "", attempt },
    // CRI refuses a hostname without a private UTS namespace: hostNetwork pods send none.
    hostname: hostNetwork ? "" : (spec?.hostname ?? m.name ?? ""),
    logDirectory: `/var/log/pods/${ns}_${m.name}_${m.uid}`,
    dnsConfig: clusterFirst
      ? { servers: [CLUSTER_DNS], searches: [`${ns}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN], options: ["ndots:5"] }
      : undefined,
    portMappings: ports,
    labels: { ...(m.labels ?? {}), ...podLabels(pod) },
    annotations: { ...(m.annotations ?? {}) },
    linux: { cgroupParent: `/kubepods/pod${m.uid}`, hostNetwork, ...optional("securityContext", sandboxSecurity(pod)) },
  };
}

/** { key: value } when value is set, else nothing (configs keep no undefined fields). */
function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

function milli(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  try {
    return parseQuantity(String(q)).milliValue();
  } catch {
    return undefined;
  }
}

/** What the agent resolved for the container (env/ and volumes/): its environment and mounts. */
export interface ContainerInputValues {
  envs: EnvVar[];
  mounts: Mount[];
}

/** Without inputs, only literal env values are passed and command/args are not expanded (simulated nodes, tests). */
export function containerConfig(pod: Pod, c: Container, attempt: number, inputs?: ContainerInputValues): ContainerConfig {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const cpuLimit = milli(limits.cpu);
  const cpuRequest = milli(requests.cpu) ?? cpuLimit;
  const memLimit = limits.memory !== undefined ? parseQuantity(String(limits.memory)).value() : undefined;
  return {
    metadata: { name: c.name, attempt },
    image: c.image ?? "",
    // $(VAR) references in command and args expand against the resolved environment.
    ...(inputs ? expandCommand(c, inputs.envs) : { command: c.command, args: c.args }),
    workingDir: c.workingDir,
    envs: inputs ? inputs.envs : (c.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ key: e.name, value: e.value ?? "" })),
    ...(inputs && inputs.mounts.length > 0 ? { mounts: inputs.mounts } : {}),
    labels: { ...podLabels(pod), [CONTAINER_NAME_LABEL]: c.name },
    annotations: { "io.kubernetes.container.restartCount": String(attempt) },
    logPath: `${c.name}/${attempt}.log`,
    ...(c.stdin ? { stdin: true, ...(c.stdinOnce ? { stdinOnce: true } : {}) } : {}),
    ...(c.tty ? { tty: true } : {}),
    linux: {
      resources: {
        cpuShares: cpuRequest !== undefined ? Math.max(MIN_CPU_SHARES, Math.floor((cpuRequest * 1024) / 1000)) : MIN_CPU_SHARES,
        ...(cpuLimit !== undefined ? { cpuQuota: Math.floor((cpuLimit * CPU_PERIOD_US) / 1000), cpuPeriod: CPU_PERIOD_US } : {}),
        ...(memLimit !== undefined ? { memoryLimitInBytes: memLimit } : {}),
      },
      ...optional("securityContext", containerSecurity(pod, c)),
    },
  };
}

/** IfNotPresent unless the image is untagged or :latest (then Always), as API defaulting decides. */
export function pullPolicy(c: Container): "Always" | "IfNotPresent" | "Never" {
  if (c.imagePullPolicy === "Always" || c.imagePullPolicy === "IfNotPresent" || c.imagePullPolicy === "Never") return c.imagePullPolicy;
  const image = c.image ?? "";
  if (image.includes("@")) return "IfNotPresent";
  const tag = image.slice(image.lastIndexOf("/") + 1).split(":")[1];
  return !tag || tag === "latest" ? "Always" : "IfNotPresent";
}

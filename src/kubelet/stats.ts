// Resource usage as the kubelet serves it: the Summary API (/stats/summary, stats/v1alpha1) and the resource
// metrics endpoint (/metrics/resource, Prometheus text) that metrics-server scrapes. Built from the runtime's
// container stats; a node's usage is the sum of its pods' (hollow nodes have no system processes).
import type { ContainerRuntime, ContainerStats } from "./runtime/types.js";
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from "./pod_config.js";
import type { PodCustomMetrics } from "./pod_metrics.js";
import { apiTime } from "./pod_status.js";

export interface CpuStats {
  time: string;
  usageNanoCores: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  workingSetBytes: number;
  usageBytes: number;
}

export interface ContainerSummary {
  name: string;
  startTime: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerSummary[];
  cpu: CpuStats;
  memory: MemoryStats;
  /** k8ts extension: the pod's own Prometheus metrics, when it asks to be scraped (pod_metrics.ts). */
  customMetrics?: PodCustomMetrics;
}

export interface Summary {
  node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats };
  pods: PodSummary[];
}

function add(a: { cpu: CpuStats; memory: MemoryStats }, s: { cpu: CpuStats; memory: MemoryStats }): void {
  a.cpu.usageNanoCores += s.cpu.usageNanoCores;
  a.cpu.usageCoreNanoSeconds += s.cpu.usageCoreNanoSeconds;
  a.memory.workingSetBytes += s.memory.workingSetBytes;
  a.memory.usageBytes += s.memory.usageBytes;
}

const zero = (time: string): { cpu: CpuStats; memory: MemoryStats } => ({
  cpu: { time, usageNanoCores: 0, usageCoreNanoSeconds: 0 },
  memory: { time, workingSetBytes: 0, usageBytes: 0 },
});

/** Usage of the running containers of every ready sandbox on the node. */
export async function collectSummary(runtime: ContainerRuntime, nodeName: string, opts: { now: number; nodeStartTime: number }): Promise<Summary> {
  const time = apiTime(opts.now);
  const node = { nodeName, startTime: apiTime(opts.nodeStartTime), ...zero(time) };
  const pods: PodSummary[] = [];
  for (const sb of await runtime.listPodSandbox({ state: "ready" })) {
    const containers = (await runtime.listContainers({ podSandboxId: sb.id, state: "running" })).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const pod: PodSummary = {
      podRef: { name: sb.labels[POD_NAME_LABEL] ?? sb.metadata.name, namespace: sb.labels[POD_NAMESPACE_LABEL] ?? sb.metadata.namespace, uid: sb.labels[POD_UID_LABEL] ?? sb.metadata.uid },
      startTime: apiTime(sb.createdAt),
      containers: [],
      ...zero(time),
    };
    for (const c of containers) {
      let st: ContainerStats;
      let started: number | undefined;
      try {
        st = await runtime.containerStats(c.id);
        started = (await runtime.containerStatus(c.id)).startedAt;
      } catch {
        continue; // gone between list and stats
      }
      const cs: ContainerSummary = {
        name: c.metadata.name,
        startTime: apiTime(started ?? c.createdAt),
        cpu: { time, usageNanoCores: st.cpu.usageNanoCores, usageCoreNanoSeconds: st.cpu.usageCoreNanoSeconds },
        memory: { time, workingSetBytes: st.memory.workingSetBytes, usageBytes: st.memory.usageBytes },
      };
      pod.containers.push(cs);
      add(pod, cs);
    }
    add(node, pod);
    pods.push(pod);
  }
  pods.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
  return { node, pods };
}

const esc = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The /metrics/resource body: the series metrics-server reads, timestamps in ms. */
export function resourceMetrics(s: Summary, now: number): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, type: "counter" | "gauge", rows: Array<[Record<string, string>, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(",");
      lines.push(`${name}${l ? `{${l}}` : ""} ${v} ${now}`);
    }
  };
  const containers = s.pods.flatMap((p) => p.containers.map((c) => [{ container: c.name, namespace: p.podRef.namespace, pod: p.podRef.name }, c] as const));
  metric("container_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter", containers.map(([l, c]) => [l, c.cpu.usageCoreNanoSeconds / 1e9]));
  metric("container_memory_working_set_bytes", "[STABLE] Current working set of the container in bytes", "gauge", containers.map(([l, c]) => [l, c.memory.workingSetBytes]));
  metric("container_start_time_seconds", "[STABLE] Start time of the container since unix epoch in seconds", "gauge", containers.map(([l, c]) => [l, Date.parse(c.startTime) / 1000]));
  metric("node_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the node in core-seconds", "counter", [[{}, s.node.cpu.usageCoreNanoSeconds / 1e9]]);
  metric("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", "gauge", [[{}, s.node.memory.workingSetBytes]]);
  const pods = s.pods.map((p) => [{ namespace: p.podRef.namespace, pod: p.podRef.name }, p] as const);
  metric("pod_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds", "counter", pods.map(([l, p]) => [l, p.cpu.usageCoreNanoSeconds / 1e9]));
  metric("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", "gauge", pods.map(([l, p]) => [l, p.memory.workingSetBytes]));
  metric("scrape_error", "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", "gauge", [[{}, 0]]);
  return lines.join("\n") + "\n";
}

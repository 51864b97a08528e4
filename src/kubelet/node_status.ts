// The agent's Node object: registration (create, or adopt the existing one) and the status it reports: capacity and
// allocatable, addresses, node info, daemon endpoints, and the Ready/MemoryPressure/DiskPressure/PIDPressure
// conditions with heartbeat times. Status is checked every statusUpdateIntervalMs and patched when it changed or
// statusReportIntervalMs has passed since the last report (the Lease carries liveness in between).
import type { Node, NodeCondition, NodeStatus, Taint } from "kubernetes-types/core/v1.js";
import type { Clock } from "../client/clock.js";
import type { ResourceClient } from "../client/types.js";
import { isAlreadyExists } from "../machinery/errors.js";
import { formatQuantity, parseQuantity } from "../machinery/quantity.js";
import type { Logger } from "../util/log.js";
import { apiTime } from "./pod_status.js";
import type { RuntimeStatus, RuntimeVersion } from "./runtime/types.js";
import type { NodeObject } from "./types.js";

export const KUBELET_VERSION = "v1.31.0-k8ts";
export const DEFAULT_KUBELET_PORT = 10250;

export interface NodeConfig {
  /** Capacity as quantities: cpu, memory, pods, ephemeral-storage (defaults: 4, 16Gi, 110, 100Gi). */
  capacity?: Record<string, string>;
  /** Held back from allocatable (system and kube reserved). */
  reserved?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  /** The node's InternalIP. */
  address: string;
  hostname?: string;
  instanceType?: string;
  os?: string;
  arch?: string;
  kubeletPort?: number;
  kernelVersion?: string;
  osImage?: string;
}

export const DEFAULT_CAPACITY: Record<string, string> = { cpu: "4", memory: "16Gi", pods: "110", "ephemeral-storage": "100Gi" };

/** Capacity minus what is reserved for the system, never below zero. */
function allocatable(capacity: Record<string, string>, reserved: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...capacity };
  for (const [k, v] of Object.entries(reserved ?? {})) {
    if (out[k] === undefined) continue;
    const left = parseQuantity(out[k]!).sub(parseQuantity(v));
    out[k] = left.sign() < 0 ? "0" : formatQuantity(left);
  }
  return out;
}

/** The node's allocatable resources as the config defines them. */
export function nodeAllocatable(config: NodeConfig): Record<string, string> {
  return allocatable({ ...DEFAULT_CAPACITY, ...config.capacity }, config.reserved);
}

interface ConditionSpec {
  type: string;
  ok: boolean;
  /** For Ready, "True" means healthy; for the pressure conditions "False" does. */
  reason: string;
  message: string;
}

export function nodeConditions(runtime: RuntimeStatus | undefined, previous: NodeCondition[], now: number): NodeCondition[] {
  const runtimeReady = runtime?.conditions.find((c) => c.type === "RuntimeReady")?.status ?? false;
  const networkReady = runtime?.conditions.find((c) => c.type === "NetworkReady")?.status ?? false;
  const ready: ConditionSpec = runtimeReady && networkReady
    ? { type: "Ready", ok: true, reason: "KubeletReady", message: "kubelet is posting ready status" }
    : { type: "Ready", ok: false, reason: "KubeletNotReady", message: !runtimeReady ? "container runtime is down" : "container runtime network not ready: NetworkReady=false" };
  const specs: Array<[ConditionSpec, "True" | "False"]> = [
    [{ type: "MemoryPressure", ok: true, reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" }, "False"],
    [{ type: "DiskPressure", ok: true, reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" }, "False"],
    [{ type: "PIDPressure", ok: true, reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" }, "False"],
    [ready, ready.ok ? "True" : "False"],
  ];
  return specs.map(([c, status]) => {
    const prev = previous.find((p) => p.type === c.type);
    return {
      type: c.type,
      status,
      lastHeartbeatTime: apiTime(now),
      lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : apiTime(now),
      reason: c.reason,
      message: c.message,
    };
  });
}

export interface NodeStatusInput {
  name: string;
  config: NodeConfig;
  version: RuntimeVersion;
  runtime?: RuntimeStatus;
  previous: NodeCondition[];
  now: number;
}

export function buildNodeStatus(i: NodeStatusInput): NodeStatus {
  const capacity = { ...DEFAULT_CAPACITY, ...i.config.capacity };
  return {
    capacity,
    allocatable: allocatable(capacity, i.config.reserved),
    conditions: nodeConditions(i.runtime, i.previous, i.now),
    addresses: [
      { type: "InternalIP", address: i.config.address },
      { type: "Hostname", address: i.config.hostname ?? i.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: i.config.kubeletPort ?? DEFAULT_KUBELET_PORT } },
    nodeInfo: {
      machineID: i.name,
      systemUUID: i.name,
      bootID: "",
      kernelVersion: i.config.kernelVersion ?? "",
      osImage: i.config.osImage ?? "k8ts",
      containerRuntimeVersion: `${i.version.runtimeName}://${i.version.runtimeVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: i.config.os ?? "linux",
      architecture: i.config.arch ?? "amd64",
    },
  };
}

export function nodeLabels(name: string, c: NodeConfig): Record<string, string> {
  return {
    "kubernetes.io/hostname": c.hostname ?? name,
    "kubernetes.io/os": c.os ?? "linux",
    "kubernetes.io/arch": c.arch ?? "amd64",
    "beta.kubernetes.io/os": c.os ?? "linux",
    "beta.kubernetes.io/arch": c.arch ?? "amd64",
    ...(c.instanceType ? { "node.kubernetes.io/instance-type": c.instanceType } : {}),
    ...c.labels,
  };
}

export interface NodeStatusReporterOptions {
  nodes: ResourceClient<NodeObject>;
  name: string;
  config: NodeConfig;
  clock: Clock;
  log: Logger;
  version: () => Promise<RuntimeVersion>;
  runtimeStatus: () => Promise<RuntimeStatus | undefined>;
  /** When unchanged status is still reported (default 5 min, as the kubelet's nodeStatusReportFrequency). */
  reportIntervalMs?: number;
}

export class NodeStatusReporter {
  private lastReported?: string;
  private lastReportAt = -Infinity;
  private conditions: NodeCondition[] = [];
  node?: NodeObject;

  constructor(private readonly o: NodeStatusReporterOptions) {}

  private async status(): Promise<NodeStatus> {
    return buildNodeStatus({
      name: this.o.name,
      config: this.o.config,
      version: await this.o.version(),
      runtime: await this.o.runtimeStatus(),
      previous: this.conditions,
      now: this.o.clock.now(),
    });
  }

  /** Creates the Node, or takes over an existing one (its labels are merged and its status replaced). */
  async register(): Promise<NodeObject> {
    const status = await this.status();
    const body: NodeObject = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: this.o.name, labels: nodeLabels(this.o.name, this.o.config), annotations: { ...this.o.config.annotations } },
      spec: this.o.config.taints?.length ? { taints: this.o.config.taints } : {},
      status,
    };
    try {
      this.node = await this.o.nodes.create(undefined, body);
      this.o.log.info("node registered", { node: this.o.name });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.o.nodes.patch(undefined, this.o.name, "merge", { metadata: { labels: body.metadata!.labels, annotations: body.metadata!.annotations } });
      this.node = await this.o.nodes.get(undefined, this.o.name);
      this.o.log.info("node already registered, adopting it", { node: this.o.name });
    }
    // Create may drop status (the API server decides); a status patch makes sure it is reported.
    await this.report(true);
    return this.node;
  }

  /** Whether the last reported status said Ready. */
  ready(): boolean {
    return this.conditions.some((c) => c.type === "Ready" && c.status === "True");
  }

  /** Patches the status if it changed or is due; answers the node as last read. */
  async report(force = false): Promise<void> {
    const status = await this.status();
    const comparable = JSON.stringify({ ...status, conditions: status.conditions?.map((c) => ({ ...c, lastHeartbeatTime: "" })) });
    const due = this.o.clock.now() - this.lastReportAt >= (this.o.reportIntervalMs ?? 300_000);
    if (!force && !due && comparable === this.lastReported) return;
    this.node = await this.o.nodes.patch(undefined, this.o.name, "merge", { status }, { subresource: "status" });
    this.conditions = status.conditions ?? [];
    this.lastReported = comparable;
    this.lastReportAt = this.o.clock.now();
  }
}

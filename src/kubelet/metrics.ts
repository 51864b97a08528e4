// The node agent's /metrics under the kubelet's names: kubelet_running_pods (pods with a ready sandbox),
// kubelet_running_containers{container_state}, kubelet_pod_start_duration_seconds (first seen by the agent to
// observed Running), kubelet_pod_start_total_duration_seconds (pod creation to observed Running),
// kubelet_pod_worker_duration_seconds{operation} (one pod sync), kubelet_node_name{node}.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Histogram } from "../util/metrics/histogram.js";
import { DEFAULT_BUCKETS } from "../util/metrics/histogram.js";
import { MetricsRegistry } from "../util/metrics/registry.js";
import type { ContainerRuntime } from "./runtime/types.js";

/** The kubelet's pod start buckets (0.5 s to 1 h): image pulls make starts of minutes ordinary. */
export const POD_START_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
const CONTAINER_STATES = ["created", "running", "exited", "unknown"] as const;

export class KubeletMetrics {
  readonly registry = new MetricsRegistry();
  private readonly podStart: Histogram;
  private readonly podStartTotal: Histogram;
  private readonly podWorker: Histogram;
  /** uid -> when the agent first saw the pod; deleted once its start is observed. */
  private readonly firstSeen = new Map<string, number>();
  /** Pods whose start has been observed, so a pod restarting does not count twice. */
  private readonly started = new Set<string>();
  private readonly synced = new Set<string>();
  private runningPods = 0;
  private containers: Record<string, number> = {};

  constructor(nodeName: string) {
    const r = this.registry;
    r.gaugeFunc({ name: "kubelet_node_name", help: "The node's name. The count is always 1.", labelNames: ["node"], collect: () => [{ labels: { node: nodeName }, value: 1 }] });
    r.gaugeFunc({ name: "kubelet_running_pods", help: "Number of pods that have a running pod sandbox", collect: () => [{ value: this.runningPods }] });
    r.gaugeFunc({
      name: "kubelet_running_containers",
      help: "Number of containers currently running",
      labelNames: ["container_state"],
      collect: () => CONTAINER_STATES.map((s) => ({ labels: { container_state: s }, value: this.containers[s] ?? 0 })),
    });
    this.podStart = r.histogram({ name: "kubelet_pod_start_duration_seconds", help: "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run", buckets: POD_START_BUCKETS });
    this.podStartTotal = r.histogram({
      name: "kubelet_pod_start_total_duration_seconds",
      help: "Duration in seconds to start a pod since creation, including time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch",
      buckets: POD_START_BUCKETS,
    });
    this.podWorker = r.histogram({ name: "kubelet_pod_worker_duration_seconds", help: "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync", labelNames: ["operation"], buckets: DEFAULT_BUCKETS });
  }

  /** A pod object arrived from the API (now in ms): the first sighting starts its clock, the first Running stops it. */
  podSeen(pod: Pod, now: number): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.started.has(uid)) return;
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, now);
    if (pod.status?.phase !== "Running") return;
    this.started.add(uid);
    this.podStart.observe({}, (now - this.firstSeen.get(uid)!) / 1000);
    this.firstSeen.delete(uid);
    const created = Date.parse(pod.metadata?.creationTimestamp ?? "");
    if (Number.isFinite(created)) this.podStartTotal.observe({}, Math.max(0, now - created) / 1000);
  }

  podGone(uid: string): void {
    this.firstSeen.delete(uid);
    this.started.delete(uid);
    this.synced.delete(uid);
  }

  /** One sync of the pod took ms; its first sync counts as "create", every later one as "sync". */
  podSynced(uid: string, ms: number): void {
    const operation = this.synced.has(uid) ? "sync" : "create";
    this.synced.add(uid);
    this.podWorker.observe({ operation }, ms / 1000);
  }

  /** Reads the runtime's sandboxes and containers into the gauges (before a scrape). */
  async refresh(runtime: ContainerRuntime): Promise<void> {
    const sandboxes = await runtime.listPodSandbox({ state: "ready" });
    const containers = await runtime.listContainers({});
    this.runningPods = sandboxes.length;
    const counts: Record<string, number> = {};
    for (const c of containers) counts[c.state] = (counts[c.state] ?? 0) + 1;
    this.containers = counts;
  }
}

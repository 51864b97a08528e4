// The latest usage of every node, pod and container, from the most recent successful scrape of each node. CPU is
// the reported nano-cores when the agent gives them, else the rate of the cumulative core-nanoseconds between
// this scrape and the previous one (a container seen once has no rate yet and is left out, as metrics-server
// does). Memory is the working set.
import type { ContainerMetricsPoint, CpuSample, NodeMetricsPoint, PodMetricsPoint, StatsSummary } from "./types.js";

interface CpuReading {
  /** The sample's own time (the agent's clock) and when we read it (ours, for pruning). */
  at: number;
  seen: number;
  cumulative?: number;
}

export interface IngestOptions {
  /** When the scrape answered (ms since the epoch). */
  now: number;
  /** Reported as the window when only one reading exists. */
  defaultWindowMs: number;
}

function sampleTime(s: { time?: string } | undefined, fallback: number): number {
  const t = s?.time ? Date.parse(s.time) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

export class MetricsStore {
  private readonly nodes = new Map<string, NodeMetricsPoint>();
  private readonly pods = new Map<string, PodMetricsPoint>();
  private readonly podsOfNode = new Map<string, Set<string>>();
  private readonly cpuReadings = new Map<string, CpuReading>();

  /** Nano-cores from a sample: reported, else a rate against the previous reading of the same series. */
  private cpu(series: string, s: CpuSample | undefined, at: number, o: IngestOptions): { nanoCores: number; windowMs: number } | undefined {
    const defaultWindowMs = o.defaultWindowMs;
    const prev = this.cpuReadings.get(series);
    this.cpuReadings.set(series, { at, seen: o.now, cumulative: s?.usageCoreNanoSeconds });
    const windowMs = prev && at > prev.at ? at - prev.at : defaultWindowMs;
    if (typeof s?.usageNanoCores === "number") return { nanoCores: s.usageNanoCores, windowMs };
    if (!prev || prev.cumulative === undefined || s?.usageCoreNanoSeconds === undefined) return undefined;
    // A counter that went back belongs to a restarted container: no rate until the next reading.
    if (at <= prev.at || s.usageCoreNanoSeconds < prev.cumulative) return undefined;
    return { nanoCores: Math.round((s.usageCoreNanoSeconds - prev.cumulative) / ((at - prev.at) / 1000)), windowMs };
  }

  /** Replaces what is known about one node with its latest summary. */
  ingest(nodeName: string, summary: StatsSummary, opts: IngestOptions): void {
    const nodeAt = sampleTime(summary.node.cpu, opts.now);
    const nodeCpu = this.cpu(`node/${nodeName}`, summary.node.cpu, nodeAt, opts);
    if (nodeCpu) {
      this.nodes.set(nodeName, { name: nodeName, timestamp: nodeAt, windowMs: nodeCpu.windowMs, usage: { cpuNanoCores: nodeCpu.nanoCores, memoryBytes: summary.node.memory?.workingSetBytes ?? 0 } });
    } else {
      this.nodes.delete(nodeName);
    }
    const seen = new Set<string>();
    for (const p of summary.pods ?? []) {
      const key = `${p.podRef.namespace}/${p.podRef.name}`;
      const containers: ContainerMetricsPoint[] = [];
      let at = opts.now;
      let windowMs = opts.defaultWindowMs;
      let complete = true;
      for (const c of p.containers ?? []) {
        at = sampleTime(c.cpu, opts.now);
        const cpu = this.cpu(`pod/${key}/${p.podRef.uid ?? ""}/${c.name}`, c.cpu, at, opts);
        if (!cpu) {
          complete = false;
          continue;
        }
        windowMs = cpu.windowMs;
        containers.push({ name: c.name, usage: { cpuNanoCores: cpu.nanoCores, memoryBytes: c.memory?.workingSetBytes ?? 0 } });
      }
      // A pod with a container still lacking a rate would under-report: leave the whole pod out this round.
      if (!complete || containers.length === 0) {
        this.pods.delete(key);
        continue;
      }
      seen.add(key);
      this.pods.set(key, { namespace: p.podRef.namespace, name: p.podRef.name, timestamp: at, windowMs, containers });
    }
    for (const key of this.podsOfNode.get(nodeName) ?? []) if (!seen.has(key)) this.pods.delete(key);
    this.podsOfNode.set(nodeName, seen);
  }

  /** Forgets a node that could not be scraped or is gone, with its pods. */
  dropNode(nodeName: string): void {
    this.nodes.delete(nodeName);
    for (const key of this.podsOfNode.get(nodeName) ?? []) this.pods.delete(key);
    this.podsOfNode.delete(nodeName);
    this.cpuReadings.delete(`node/${nodeName}`);
  }

  /** Drops cpu readings of series not read since `before` (our clock), so deleted pods do not accumulate. */
  prune(before: number): void {
    for (const [k, r] of this.cpuReadings) if (r.seen < before) this.cpuReadings.delete(k);
  }

  node(name: string): NodeMetricsPoint | undefined {
    return this.nodes.get(name);
  }

  pod(namespace: string, name: string): PodMetricsPoint | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  allNodes(): NodeMetricsPoint[] {
    return [...this.nodes.values()];
  }

  allPods(): PodMetricsPoint[] {
    return [...this.pods.values()];
  }
}

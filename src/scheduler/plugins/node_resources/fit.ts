// NodeResourcesFit: a pod fits a node when its requests (cpu, memory, ephemeral-storage, extended resources, plus
// one pod slot) fit in the node's allocatable minus what the pods there already request. Scoring follows the
// configured strategy: LeastAllocated spreads, MostAllocated packs, RequestedToCapacityRatio follows a shape.
import type { Pod } from "../../framework/api_types.js";
import type { CycleState, StateData } from "../../framework/cycle_state.js";
import type { NodeInfo } from "../../framework/node_info.js";
import type { PodInfo } from "../../framework/pod_info.js";
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS, type Resource } from "../../framework/resource.js";
import { Status } from "../../framework/status.js";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from "../../framework/types.js";
import { DEFAULT_RESOURCES, validateFitArgs, type NodeResourcesFitArgs, type ResourceSpec } from "./args.js";
import { leastRequestedScore, mostRequestedScore, requestedToCapacityRatioScore } from "./scorers.js";

export const NAME = "NodeResourcesFit";
const STATE_KEY = "PreFilter" + NAME;
const SUCCESS = Status.success();

class RequestsState implements StateData {
  constructor(readonly info: PodInfo) {}
  clone(): StateData {
    return this;
  }
}

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the node's whole allocatable: evicting pods cannot help. */
  unresolvable: boolean;
}

function isExtended(name: string): boolean {
  return ![CPU, MEMORY, EPHEMERAL_STORAGE, PODS].includes(name);
}

/** Whether a positive request does not fit in what `cap` leaves after `used`. */
function exceeds(want: number, cap: number, used: number): boolean {
  return want > 0 && want > cap - used;
}

/** Adds to `out` when `want` does not fit in what `cap` leaves after `used`. */
function check(out: InsufficientResource[], name: string, want: number, cap: number, used: number): void {
  if (exceeds(want, cap, used)) out.push({ resource: name, reason: `Insufficient ${name}`, requested: want, used, capacity: cap, unresolvable: want > cap });
}

/** Every way the pod's requests do not fit the node (empty when it fits). */
export function fitsRequest(requests: Resource, node: NodeInfo, opts: { ignored?: Set<string>; ignoredGroups?: Set<string> } = {}): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const allowedPods = node.allocatable.pods;
  const podCount = node.pods.length;
  if (podCount + 1 > allowedPods) {
    out.push({ resource: PODS, reason: "Too many pods", requested: 1, used: podCount, capacity: allowedPods, unresolvable: false });
  }
  const { allocatable: cap, requested: used } = node;
  // The common case, without extended resources: the fixed fields, no iteration.
  if (!requests.hasExtended()) {
    check(out, CPU, requests.cpu, cap.cpu, used.cpu);
    check(out, MEMORY, requests.memory, cap.memory, used.memory);
    check(out, EPHEMERAL_STORAGE, requests.ephemeralStorage, cap.ephemeralStorage, used.ephemeralStorage);
    return out;
  }
  for (const [name, want] of requests.entries()) {
    if (name === PODS) continue;
    if (isExtended(name)) {
      if (opts.ignored?.has(name)) continue;
      const group = name.includes("/") ? name.slice(0, name.indexOf("/")) : "";
      if (group && opts.ignoredGroups?.has(group)) continue;
    }
    check(out, name, want, cap.get(name), used.get(name));
  }
  return out;
}

/**
 * Whether the requests fit, without saying why not (no allocation): the filter's answer for the usual pod, which
 * fits most nodes; fitsRequest then explains a misfit. Only for requests without extended resources.
 */
function fitsFixed(requests: Resource, node: NodeInfo): boolean {
  const { allocatable: cap, requested: used } = node;
  return (
    !(node.pods.length + 1 > cap.pods) &&
    !exceeds(requests.cpu, cap.cpu, used.cpu) &&
    !exceeds(requests.memory, cap.memory, used.memory) &&
    !exceeds(requests.ephemeralStorage, cap.ephemeralStorage, used.ephemeralStorage)
  );
}

export function newNodeResourcesFit(rawArgs: unknown): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as NodeResourcesFitArgs;
  const errs = validateFitArgs(args);
  if (errs.length) throw new Error(`NodeResourcesFit args: ${errs.join("; ")}`);
  const strategy = args.scoringStrategy?.type ?? "LeastAllocated";
  const resources: ResourceSpec[] = args.scoringStrategy?.resources?.length ? args.scoringStrategy.resources : DEFAULT_RESOURCES;
  const shape = args.scoringStrategy?.requestedToCapacityRatio?.shape ?? [];
  const ignored = new Set(args.ignoredResources ?? []);
  const ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
  const fitOpts = { ignored, ignoredGroups };
  const infoOf = (state: CycleState, pod: Pod): PodInfo => state.read<RequestsState>(STATE_KEY)?.info ?? state.podInfo(pod);

  const resourceScore = (requested: number, capacity: number): number => {
    if (strategy === "MostAllocated") return mostRequestedScore(requested, capacity);
    if (strategy === "RequestedToCapacityRatio") return requestedToCapacityRatioScore(shape, requested, capacity);
    return leastRequestedScore(requested, capacity);
  };

  // The default scoring (LeastAllocated over cpu and memory, weight 1 each) reads the two fields directly.
  const defaultScoring = strategy === "LeastAllocated" && resources.length === 2 && resources[0]!.name === CPU && resources[1]!.name === MEMORY && (resources[0]!.weight ?? 1) === 1 && (resources[1]!.weight ?? 1) === 1;

  return {
    name: NAME,
    preFilter(state, pod) {
      state.write(STATE_KEY, new RequestsState(state.podInfo(pod)));
      return { status: Status.success() };
    },
    filter(state, pod, node) {
      const requests = infoOf(state, pod).requests;
      if (!requests.hasExtended() && fitsFixed(requests, node)) return Status.success();
      const insufficient = fitsRequest(requests, node, fitOpts);
      if (insufficient.length === 0) return Status.success();
      const reasons = insufficient.map((r) => r.reason);
      return insufficient.some((r) => r.unresolvable) ? Status.unresolvable(...reasons) : Status.unschedulable(...reasons);
    },
    // fitsFixed over the columns; pods asking for extended resources go through filter().
    filterKernel(state, pod, cols) {
      const requests = infoOf(state, pod).requests;
      if (requests.hasExtended()) return undefined;
      const { cpu, memory, ephemeralStorage } = requests;
      const { podCount, allocPods, allocCpu, reqCpu, allocMemory, reqMemory, allocEphemeral, reqEphemeral } = cols;
      return (i) =>
        !(podCount[i]! + 1 > allocPods[i]!) &&
        !exceeds(cpu, allocCpu[i]!, reqCpu[i]!) &&
        !exceeds(memory, allocMemory[i]!, reqMemory[i]!) &&
        !exceeds(ephemeralStorage, allocEphemeral[i]!, reqEphemeral[i]!);
    },
    preScore(state, pod) {
      if (!state.read(STATE_KEY)) state.write(STATE_KEY, new RequestsState(state.podInfo(pod)));
      return Status.success();
    },
    score(state, pod, node) {
      const info = infoOf(state, pod);
      if (defaultScoring) {
        const cpuCap = node.allocatable.cpu;
        const memCap = node.allocatable.memory;
        let total = 0;
        let weights = 0;
        if (cpuCap !== 0) {
          total += leastRequestedScore(node.nonZeroRequested.cpu + info.nonZeroRequests.cpu, cpuCap);
          weights++;
        }
        if (memCap !== 0) {
          total += leastRequestedScore(node.nonZeroRequested.memory + info.nonZeroRequests.memory, memCap);
          weights++;
        }
        return { score: weights === 0 ? 0 : Math.trunc(total / weights), status: SUCCESS };
      }
      let total = 0;
      let weights = 0;
      for (const r of resources) {
        const capacity = node.allocatable.get(r.name);
        const cpuOrMem = r.name === CPU || r.name === MEMORY;
        const podReq = cpuOrMem ? info.nonZeroRequests.get(r.name) : info.requests.get(r.name);
        // An extended resource the pod does not ask for does not count either way.
        if (capacity === 0 || (!cpuOrMem && podReq === 0)) continue;
        const requested = (cpuOrMem ? node.nonZeroRequested.get(r.name) : node.requested.get(r.name)) + podReq;
        const w = r.weight ?? 1;
        total += resourceScore(requested, capacity) * w;
        weights += w;
      }
      if (weights === 0) return { score: 0, status: Status.success() };
      const score = strategy === "RequestedToCapacityRatio" ? Math.round(total / weights) : Math.trunc(total / weights);
      return { score, status: Status.success() };
    },
    // The default scoring over the columns (other strategies go through score()).
    scoreKernel(state, pod, cols) {
      if (!defaultScoring) return undefined;
      const info = infoOf(state, pod);
      const podCpu = info.nonZeroRequests.cpu;
      const podMemory = info.nonZeroRequests.memory;
      const { allocCpu, allocMemory, nonZeroCpu, nonZeroMemory } = cols;
      return (i) => {
        const cpuCap = allocCpu[i]!;
        const memCap = allocMemory[i]!;
        let total = 0;
        let weights = 0;
        if (cpuCap !== 0) {
          total += leastRequestedScore(nonZeroCpu[i]! + podCpu, cpuCap);
          weights++;
        }
        if (memCap !== 0) {
          total += leastRequestedScore(nonZeroMemory[i]! + podMemory, memCap);
          weights++;
        }
        return weights === 0 ? 0 : Math.trunc(total / weights);
      };
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "AssignedPod", action: "Delete" },
      { resource: "Pod", action: "Update" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeAllocatable" },
    ],
  };
}

// NodeResourcesFitArgs and NodeResourcesBalancedAllocationArgs as the KubeSchedulerConfiguration spells them.

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated" | "RequestedToCapacityRatio";

export interface ResourceSpec {
  name: string;
  weight?: number;
}

export interface UtilizationShapePoint {
  /** 0..100 percent of capacity requested. */
  utilization: number;
  /** 0..10, scaled to 0..100. */
  score: number;
}

export interface ScoringStrategy {
  type?: ScoringStrategyType;
  resources?: ResourceSpec[];
  requestedToCapacityRatio?: { shape?: UtilizationShapePoint[] };
}

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: ScoringStrategy;
}

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

export function validateFitArgs(args: NodeResourcesFitArgs): string[] {
  const errs: string[] = [];
  const s = args.scoringStrategy;
  if (s?.type && !["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"].includes(s.type)) errs.push(`scoringStrategy.type: Unsupported value: "${s.type}"`);
  for (const [i, r] of (s?.resources ?? []).entries()) {
    if ((r.weight ?? 1) <= 0 || (r.weight ?? 1) > 100) errs.push(`scoringStrategy.resources[${i}].weight: Invalid value: ${r.weight}: resource weight of ${r.name} not in valid range (0, 100]`);
  }
  if (s?.type === "RequestedToCapacityRatio") {
    const shape = s.requestedToCapacityRatio?.shape ?? [];
    if (shape.length === 0) errs.push("scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified");
    for (const [i, p] of shape.entries()) {
      if (p.utilization < 0 || p.utilization > 100) errs.push(`scoringStrategy.requestedToCapacityRatio.shape[${i}].utilization: Invalid value: ${p.utilization}: not in valid range [0, 100]`);
      if (p.score < 0 || p.score > 10) errs.push(`scoringStrategy.requestedToCapacityRatio.shape[${i}].score: Invalid value: ${p.score}: not in valid range [0, 10]`);
      if (i > 0 && shape[i - 1]!.utilization >= p.utilization) errs.push(`scoringStrategy.requestedToCapacityRatio.shape[${i}].utilization: Invalid value: ${p.utilization}: utilization values must be sorted in increasing order`);
    }
  }
  return errs;
}

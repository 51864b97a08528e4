// The default plugin set of Kubernetes v1.31 (of the volume plugins only VolumeBinding) and how a profile's
// enabled/disabled lists change it.
import { EXTENSION_POINTS, type ExtensionPoint, type PluginsConfig, type ResolvedProfile, type ProfileConfig, DEFAULT_SCHEDULER_NAME } from "./types.js";

export const DEFAULT_POINTS: Record<ExtensionPoint, string[]> = {
  queueSort: ["PrioritySort"],
  preFilter: ["NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"],
  // Filter order decides which reason a node reports: the first failing filter wins.
  filter: ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"],
  postFilter: ["DefaultPreemption"],
  preScore: ["TaintToleration", "NodeAffinity", "PodTopologySpread", "InterPodAffinity", "NodeResourcesFit", "NodeResourcesBalancedAllocation", "ImageLocality"],
  score: ["TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality"],
  reserve: ["VolumeBinding"],
  permit: [],
  preBind: ["VolumeBinding"],
  bind: ["DefaultBinder"],
};

export const DEFAULT_SCORE_WEIGHTS: Record<string, number> = {
  TaintToleration: 3,
  NodeAffinity: 2,
  NodeResourcesFit: 1,
  PodTopologySpread: 2,
  InterPodAffinity: 2,
  NodeResourcesBalancedAllocation: 1,
  ImageLocality: 1,
};

/**
 * Applies a profile's plugin lists to the defaults. Per extension point: "disabled" removes plugins ("*" removes
 * all defaults), then "enabled" appends plugins (or re-weights one already there). multiPoint enables a plugin at
 * every extension point `implements` says it has.
 */
export function resolveProfile(p: ProfileConfig, implementsPoint: (plugin: string, point: ExtensionPoint) => boolean): ResolvedProfile {
  const plugins: PluginsConfig = p.plugins ?? {};
  const points = {} as Record<ExtensionPoint, string[]>;
  const weights = new Map<string, number>(Object.entries(DEFAULT_SCORE_WEIGHTS));
  const multiDisabled = plugins.multiPoint?.disabled ?? [];
  const multiDisableAll = multiDisabled.some((d) => d.name === "*");
  for (const point of EXTENSION_POINTS) {
    const set = plugins[point] ?? {};
    const disabled = [...(set.disabled ?? []), ...multiDisabled];
    const disableAll = disabled.some((d) => d.name === "*") || multiDisableAll;
    let list = disableAll ? [] : DEFAULT_POINTS[point].filter((n) => !disabled.some((d) => d.name === n));
    for (const e of plugins.multiPoint?.enabled ?? []) {
      if (implementsPoint(e.name, point) && !list.includes(e.name)) list = [...list, e.name];
    }
    for (const e of set.enabled ?? []) if (!list.includes(e.name)) list = [...list, e.name];
    points[point] = list;
  }
  for (const e of [...(plugins.multiPoint?.enabled ?? []), ...(plugins.score?.enabled ?? [])]) if (e.weight !== undefined) weights.set(e.name, e.weight);
  const pluginArgs = new Map<string, Record<string, unknown>>();
  for (const pc of p.pluginConfig ?? []) pluginArgs.set(pc.name, pc.args ?? {});
  return {
    schedulerName: p.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    percentageOfNodesToScore: p.percentageOfNodesToScore,
    points,
    scoreWeights: weights,
    pluginArgs,
  };
}

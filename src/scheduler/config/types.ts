// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the subset k8ts reads.

export const CONFIG_API_VERSION = "kubescheduler.config.k8s.io/v1";
export const CONFIG_KIND = "KubeSchedulerConfiguration";
export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

export const EXTENSION_POINTS = ["queueSort", "preFilter", "filter", "postFilter", "preScore", "score", "reserve", "permit", "preBind", "bind"] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export interface PluginRef {
  name: string;
  /** Score weight (score and multiPoint only). */
  weight?: number;
}

export interface PluginSetConfig {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export type PluginsConfig = Partial<Record<ExtensionPoint | "multiPoint", PluginSetConfig>>;

export interface PluginConfigEntry {
  name: string;
  args?: Record<string, unknown>;
}

export interface ProfileConfig {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: PluginsConfig;
  pluginConfig?: PluginConfigEntry[];
}

export interface LeaderElectionConfig {
  leaderElect?: boolean;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  resourceNamespace?: string;
  resourceName?: string;
}

export interface KubeSchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  parallelism?: number;
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  leaderElection?: LeaderElectionConfig;
  clientConnection?: { kubeconfig?: string };
  profiles?: ProfileConfig[];
}

/** A profile after defaults and enable/disable merging: the plugin names per extension point, in order. */
export interface ResolvedProfile {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  points: Record<ExtensionPoint, string[]>;
  scoreWeights: Map<string, number>;
  pluginArgs: Map<string, Record<string, unknown>>;
}

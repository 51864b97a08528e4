// Reading and checking a KubeSchedulerConfiguration file (YAML or JSON). Unknown plugins, bad weights and bad
// percentages are refused with messages naming the field, as kube-scheduler does at start-up.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { resolveProfile } from "./defaults.js";
import { CONFIG_API_VERSION, CONFIG_KIND, DEFAULT_SCHEDULER_NAME, EXTENSION_POINTS, type ExtensionPoint, type KubeSchedulerConfiguration, type ResolvedProfile } from "./types.js";

export interface ResolvedConfig {
  config: KubeSchedulerConfiguration;
  profiles: ResolvedProfile[];
  percentageOfNodesToScore?: number;
  podInitialBackoffMs: number;
  podMaxBackoffMs: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ResolveOptions {
  /** Whether a plugin name exists and which extension points it implements. */
  knownPlugin(name: string): boolean;
  implementsPoint(name: string, point: ExtensionPoint): boolean;
}

export function parseConfig(text: string, opts: ResolveOptions): ResolvedConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`scheduler config: not valid YAML: ${(err as Error).message}`);
  }
  return resolveConfig((raw ?? {}) as KubeSchedulerConfiguration, opts);
}

export function loadConfigFile(path: string, opts: ResolveOptions): ResolvedConfig {
  return parseConfig(readFileSync(path, "utf8"), opts);
}

export function resolveConfig(cfg: KubeSchedulerConfiguration, opts: ResolveOptions): ResolvedConfig {
  const errs: string[] = [];
  if (cfg.apiVersion !== undefined && cfg.apiVersion !== CONFIG_API_VERSION) errs.push(`apiVersion: Unsupported value: "${cfg.apiVersion}": supported values: "${CONFIG_API_VERSION}"`);
  if (cfg.kind !== undefined && cfg.kind !== CONFIG_KIND) errs.push(`kind: Unsupported value: "${cfg.kind}": supported values: "${CONFIG_KIND}"`);
  const pct = (v: number | undefined, field: string): void => {
    if (v !== undefined && (v < 0 || v > 100 || !Number.isInteger(v))) errs.push(`${field}: Invalid value: ${v}: not in valid range [0-100]`);
  };
  pct(cfg.percentageOfNodesToScore, "percentageOfNodesToScore");
  const profilesIn = cfg.profiles?.length ? cfg.profiles : [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  const names = new Set<string>();
  const profiles: ResolvedProfile[] = [];
  profilesIn.forEach((p, i) => {
    const at = `profiles[${i}]`;
    const name = p.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    if (names.has(name)) errs.push(`${at}.schedulerName: Duplicate value: "${name}"`);
    names.add(name);
    pct(p.percentageOfNodesToScore, `${at}.percentageOfNodesToScore`);
    for (const [point, set] of Object.entries(p.plugins ?? {})) {
      if (point !== "multiPoint" && !(EXTENSION_POINTS as readonly string[]).includes(point)) {
        errs.push(`${at}.plugins.${point}: Unsupported extension point`);
        continue;
      }
      for (const e of set?.enabled ?? []) {
        if (!opts.knownPlugin(e.name)) errs.push(`${at}.plugins.${point}.enabled: Invalid value: "${e.name}": unknown plugin`);
        else if (point !== "multiPoint" && !opts.implementsPoint(e.name, point as ExtensionPoint)) errs.push(`${at}.plugins.${point}.enabled: Invalid value: "${e.name}": plugin does not implement ${point}`);
        if (e.weight !== undefined && (e.weight < 0 || e.weight > 100)) errs.push(`${at}.plugins.${point}.enabled: Invalid value: ${e.weight}: weight of ${e.name} not in valid range [0, 100]`);
      }
    }
    for (const pc of p.pluginConfig ?? []) if (!opts.knownPlugin(pc.name)) errs.push(`${at}.pluginConfig: Invalid value: "${pc.name}": unknown plugin`);
    const resolved = resolveProfile(p, opts.implementsPoint);
    if (resolved.points.queueSort.length !== 1) errs.push(`${at}.plugins.queueSort: Invalid value: exactly one queue sort plugin must be enabled, got ${resolved.points.queueSort.length}`);
    if (resolved.points.bind.length === 0) errs.push(`${at}.plugins.bind: Invalid value: at least one bind plugin is needed`);
    profiles.push(resolved);
  });
  const initial = cfg.podInitialBackoffSeconds ?? 1;
  const max = cfg.podMaxBackoffSeconds ?? 10;
  if (initial <= 0) errs.push(`podInitialBackoffSeconds: Invalid value: ${initial}: must be greater than 0`);
  if (max < initial) errs.push(`podMaxBackoffSeconds: Invalid value: ${max}: must be greater than or equal to PodInitialBackoffSeconds`);
  if (errs.length) throw new ConfigError(`invalid scheduler configuration: ${errs.join("; ")}`);
  return {
    config: cfg,
    profiles,
    percentageOfNodesToScore: cfg.percentageOfNodesToScore,
    podInitialBackoffMs: initial * 1000,
    podMaxBackoffMs: max * 1000,
    leaderElect: cfg.leaderElection?.leaderElect ?? true,
    leaseNamespace: cfg.leaderElection?.resourceNamespace ?? "kube-system",
    leaseName: cfg.leaderElection?.resourceName ?? "kube-scheduler",
  };
}

// `k8ts scheduler`: assigns pending pods to nodes through the pods/binding subresource, under Lease-based leader
// election (kube-system/kube-scheduler) unless --leader-elect=false. Profiles, plugins and their arguments come
// from a KubeSchedulerConfiguration file (--config).
import type { Command } from "./main.js";
import { apiClientFromFlags, parseBool, parseDuration, parseFlagsOrExit } from "./command_support.js";
import { loadConfigFile, type ResolvedConfig } from "../scheduler/config/load.js";
import { defaultConfig, registryResolveOptions, Scheduler, validatePluginArgs } from "../scheduler/scheduler.js";
import { createLogger } from "../util/log.js";
import { parseBindAddress } from "../util/metrics/metrics_server.js";
import { startMetricsEndpoint } from "./metrics_endpoint.js";

const USAGE = `usage: k8ts scheduler [flags]

flags:
  --kubeconfig PATH        kubeconfig to reach the API server (default $KUBECONFIG or ~/.kube/config)
  --server URL             API server URL instead of a kubeconfig (e.g. http://127.0.0.1:6443)
  --config FILE            KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1, YAML or JSON): profiles,
                           plugins enabled/disabled per extension point, score weights, pluginConfig args,
                           percentageOfNodesToScore, backoff
  --leader-elect BOOL      campaign for the kube-system/kube-scheduler Lease first (default true, or the
                           config file's leaderElection.leaderElect)
  --lease-duration DUR     how long a lease lasts without renewal, e.g. 15s (default 15s; renew deadline and
                           retry period scale with it: 2/3 and 2/15 of it)
  --metrics-bind-address HOST:PORT
                           serve /metrics (Prometheus text, plain HTTP) there (default 127.0.0.1:10259; 0 turns it off)
`;

export interface SchedulerFlags {
  kubeconfig?: string;
  server?: string;
  config?: string;
  /** undefined: as the config file says (default true). */
  leaderElect?: boolean;
  leaseDurationMs?: number;
  /** HOST:PORT of the /metrics endpoint; "0" turns it off (default DEFAULT_METRICS_BIND_ADDRESS). */
  metricsBindAddress?: string;
  help?: boolean;
}

export const DEFAULT_METRICS_BIND_ADDRESS = "127.0.0.1:10259";

/** Parses `--flag value` and `--flag=value` (a bare --leader-elect means true); throws naming the bad flag. */
export function parseSchedulerFlags(args: string[]): SchedulerFlags {
  const out: SchedulerFlags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === "--leader-elect" && eq < 0) {
      const next = args[i + 1];
      out.leaderElect = next === "true" || next === "false" ? parseBool(flag, args[++i]!) : true;
      continue;
    }
    if (!["--kubeconfig", "--server", "--config", "--leader-elect", "--lease-duration", "--metrics-bind-address"].includes(flag)) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    switch (flag) {
      case "--kubeconfig":
        out.kubeconfig = value;
        break;
      case "--server":
        out.server = value;
        break;
      case "--config":
        out.config = value;
        break;
      case "--metrics-bind-address":
        if (value !== "0") parseBindAddress(value);
        out.metricsBindAddress = value;
        break;
      case "--leader-elect":
        out.leaderElect = parseBool(flag, value);
        break;
      case "--lease-duration":
        out.leaseDurationMs = parseDuration(value);
        if (out.leaseDurationMs < 2000) throw new Error(`--lease-duration ${value} is too short (at least 2s)`);
        break;
    }
  }
  if (out.kubeconfig && out.server) throw new Error("give --kubeconfig or --server, not both");
  return out;
}

/** The configuration the flags name: the file's (checked, plugin args included) or Kubernetes' defaults. */
export function schedulerConfigFromFlags(flags: SchedulerFlags): ResolvedConfig {
  const config = flags.config ? loadConfigFile(flags.config, registryResolveOptions()) : defaultConfig();
  validatePluginArgs(config);
  return config;
}

export const schedulerCommand: Command = async (args) => {
  const parsed = parseFlagsOrExit("scheduler", args, { parse: parseSchedulerFlags, usage: USAGE });
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags = parsed.flags;
  const logger = createLogger({ fields: { component: "scheduler" } });
  let config: ResolvedConfig;
  try {
    config = schedulerConfigFromFlags(flags);
  } catch (err) {
    process.stderr.write(`k8ts scheduler: ${(err as Error).message}\n`);
    return 2;
  }
  const client = apiClientFromFlags(flags, { userAgent: "k8ts-scheduler", logger, kubeconfigFallback: config.config.clientConnection?.kubeconfig });
  if (!client) return 1;
  const lease = flags.leaseDurationMs;
  const scheduler = new Scheduler({
    client,
    config,
    leaderElect: flags.leaderElect,
    log: logger,
    // Kubernetes' 15 s / 10 s / 2 s ratios, kept when the lease duration changes.
    leaseDurationMs: lease,
    renewDeadlineMs: lease === undefined ? undefined : Math.floor((lease * 2) / 3),
    retryPeriodMs: lease === undefined ? undefined : Math.floor((lease * 2) / 15),
  });
  let endpoint: Awaited<ReturnType<typeof startMetricsEndpoint>>;
  try {
    endpoint = await startMetricsEndpoint(flags.metricsBindAddress ?? DEFAULT_METRICS_BIND_ADDRESS, () => [scheduler.metrics.registry], logger);
  } catch (err) {
    logger.error("cannot serve metrics", { err, address: flags.metricsBindAddress ?? DEFAULT_METRICS_BIND_ADDRESS });
    client.close();
    return 1;
  }
  const ac = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info("shutting down", { signal });
    ac.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  logger.info("scheduler starting", {
    server: client.server,
    leaderElect: flags.leaderElect ?? config.leaderElect,
    identity: scheduler.identity,
    profiles: config.profiles.map((p) => p.schedulerName),
  });
  try {
    await scheduler.run(ac.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    client.close();
    await endpoint?.close();
  }
  return 0;
};

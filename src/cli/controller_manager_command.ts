// `k8ts controller-manager`: runs the workload, garbage-collection and namespace controllers against an API
// server, under Lease-based leader election (kube-system/kube-controller-manager) unless --leader-elect=false.
import type { Command } from "./main.js";
import { apiClientFromFlags, parseBool, parseDuration, parseFlagsOrExit } from "./command_support.js";

export { parseDuration };
import { CONTROLLER_NAMES, ControllerManager, type ControllerName } from "../controller/controller_manager.js";
import { createLogger } from "../util/log.js";
import { parseBindAddress } from "../util/metrics/metrics_server.js";
import { WorkQueueMetrics } from "../client/workqueue_metrics.js";
import { startMetricsEndpoint } from "./metrics_endpoint.js";

const USAGE = `usage: k8ts controller-manager [flags]

flags:
  --kubeconfig PATH        kubeconfig to reach the API server (default $KUBECONFIG or ~/.kube/config)
  --server URL             API server URL instead of a kubeconfig (e.g. http://127.0.0.1:6443)
  --leader-elect BOOL      campaign for the kube-system/kube-controller-manager Lease first (default true)
  --lease-duration DUR     how long a lease lasts without renewal, e.g. 15s (default 15s; renew deadline and
                           retry period scale with it: 2/3 and 2/15 of it)
  --controllers LIST       comma-separated subset of: ${CONTROLLER_NAMES.join(", ")} (default all)
  --concurrent-syncs N     workers per controller (default 5)
  --local-path-dir DIR     where the local-path provisioner makes volume directories (default /var/lib/k8ts/local-path)
  --metrics-bind-address HOST:PORT
                           serve /metrics (Prometheus text, plain HTTP) there (default 127.0.0.1:10257; 0 turns it off)
`;

export const DEFAULT_METRICS_BIND_ADDRESS = "127.0.0.1:10257";

export interface ControllerManagerFlags {
  kubeconfig?: string;
  server?: string;
  leaderElect: boolean;
  leaseDurationMs?: number;
  controllers?: ControllerName[];
  workers?: number;
  localPathDir?: string;
  /** HOST:PORT of the /metrics endpoint; "0" turns it off (default DEFAULT_METRICS_BIND_ADDRESS). */
  metricsBindAddress?: string;
  help?: boolean;
}

/** Parses `--flag value` and `--flag=value` (a bare --leader-elect means true); throws naming the bad flag. */
export function parseControllerManagerFlags(args: string[]): ControllerManagerFlags {
  const out: ControllerManagerFlags = { leaderElect: true };
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
      if (next === "true" || next === "false") out.leaderElect = parseBool(flag, args[++i]!);
      else out.leaderElect = true;
      continue;
    }
    const known = ["--kubeconfig", "--server", "--leader-elect", "--lease-duration", "--controllers", "--concurrent-syncs", "--metrics-bind-address", "--local-path-dir"];
    if (!known.includes(flag)) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    switch (flag) {
      case "--kubeconfig":
        out.kubeconfig = value;
        break;
      case "--server":
        out.server = value;
        break;
      case "--local-path-dir":
        out.localPathDir = value;
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
      case "--controllers": {
        const names = value.split(",").map((s) => s.trim()).filter(Boolean);
        for (const n of names) if (!(CONTROLLER_NAMES as readonly string[]).includes(n)) throw new Error(`unknown controller ${JSON.stringify(n)} in --controllers`);
        out.controllers = names as ControllerName[];
        break;
      }
      case "--concurrent-syncs":
        if (!/^[1-9]\d*$/.test(value)) throw new Error(`invalid --concurrent-syncs ${JSON.stringify(value)}`);
        out.workers = Number(value);
        break;
    }
  }
  if (out.kubeconfig && out.server) throw new Error("give --kubeconfig or --server, not both");
  return out;
}

export const controllerManagerCommand: Command = async (args) => {
  const parsed = parseFlagsOrExit("controller-manager", args, { parse: parseControllerManagerFlags, usage: USAGE });
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags = parsed.flags;
  const logger = createLogger({ fields: { component: "controller-manager" } });
  const client = apiClientFromFlags(flags, { userAgent: "k8ts-controller-manager", logger });
  if (!client) return 1;
  const lease = flags.leaseDurationMs;
  const queueMetrics = new WorkQueueMetrics();
  const manager = new ControllerManager({
    queueMetrics,
    client,
    leaderElect: flags.leaderElect,
    localPathDir: flags.localPathDir,
    // Kubernetes' 15 s / 10 s / 2 s ratios, kept when the lease duration changes.
    leaseDurationMs: lease,
    renewDeadlineMs: lease === undefined ? undefined : Math.floor((lease * 2) / 3),
    retryPeriodMs: lease === undefined ? undefined : Math.floor((lease * 2) / 15),
    controllers: flags.controllers,
    workers: flags.workers,
    log: logger,
  });
  let endpoint: Awaited<ReturnType<typeof startMetricsEndpoint>>;
  try {
    endpoint = await startMetricsEndpoint(flags.metricsBindAddress ?? DEFAULT_METRICS_BIND_ADDRESS, () => [queueMetrics.registry], logger);
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
  logger.info("controller manager starting", { server: client.server, leaderElect: flags.leaderElect, identity: manager.identity });
  try {
    await manager.run(ac.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    client.close();
    await endpoint?.close();
  }
  return 0;
};

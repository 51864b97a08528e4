// `k8ts server`: runs the API server over its datastore until SIGTERM/SIGINT.
import type { Command } from "./main.js";
import { DEFAULT_BIND_ADDRESS, DEFAULT_DATA_DIR, DEFAULT_PORT, startServer } from "../daemons/server.js";
import { createLogger } from "../util/log.js";
import { parseDuration } from "./command_support.js";

const USAGE = `usage: k8ts server [flags]

flags:
  --data-dir DIR        state and the admin kubeconfig (default ${DEFAULT_DATA_DIR})
  --datastore URL       sqlite:///path/state.db or etcd://host:port[,host:port] (default sqlite://<data-dir>/state.db)
  --bind-address ADDR   address to listen on (default ${DEFAULT_BIND_ADDRESS})
  --port N              port to listen on, 0 picks a free one (default ${DEFAULT_PORT})
  --disable-controller-manager   do not run the controllers in this process
  --disable-scheduler            do not run the scheduler in this process
  --local-path-dir DIR  where the local-path provisioner makes volume directories (default /var/lib/k8ts/local-path)
  --leader-elect BOOL   leader election for the in-process controller manager and scheduler (default true)
  --metric-resolution DUR                          how often the metrics server scrapes every node (default 15s)
  --horizontal-pod-autoscaler-sync-period DUR      how often each HPA is reconciled (default 15s)
  --horizontal-pod-autoscaler-downscale-stabilization DUR   scale-down window without spec.behavior (default 5m)
`;

export interface ServerFlags {
  dataDir?: string;
  datastore?: string;
  bindAddress?: string;
  port?: number;
  controllers?: boolean;
  scheduler?: boolean;
  leaderElect?: boolean;
  localPathDir?: string;
  metricResolutionMs?: number;
  hpaSyncPeriodMs?: number;
  hpaDownscaleStabilizationMs?: number;
  help?: boolean;
}

const DURATION_FLAGS: Record<string, "metricResolutionMs" | "hpaSyncPeriodMs" | "hpaDownscaleStabilizationMs"> = {
  "--metric-resolution": "metricResolutionMs",
  "--horizontal-pod-autoscaler-sync-period": "hpaSyncPeriodMs",
  "--horizontal-pod-autoscaler-downscale-stabilization": "hpaDownscaleStabilizationMs",
};

const FLAG_NAMES: Record<string, "dataDir" | "datastore" | "bindAddress" | "port" | "leaderElect" | "localPathDir"> = {
  "--data-dir": "dataDir",
  "--datastore": "datastore",
  "--bind-address": "bindAddress",
  "--port": "port",
  "--leader-elect": "leaderElect",
  "--local-path-dir": "localPathDir",
};

/** Parses `--flag value` and `--flag=value`; throws an Error naming the bad flag. */
export function parseServerFlags(args: string[]): ServerFlags {
  const out: ServerFlags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    if (arg === "--disable-controller-manager") {
      out.controllers = false;
      continue;
    }
    if (arg === "--disable-scheduler") {
      out.scheduler = false;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = FLAG_NAMES[flag];
    const durationKey = DURATION_FLAGS[flag];
    if (!key && !durationKey) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    if (durationKey) {
      const ms = parseDuration(value);
      if (ms <= 0 && durationKey !== "hpaDownscaleStabilizationMs") throw new Error(`invalid ${flag} ${JSON.stringify(value)}: must be positive`);
      out[durationKey] = ms;
      continue;
    }
    if (!key) continue;
    if (key === "port") {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65535) throw new Error(`invalid --port ${JSON.stringify(value)}: must be 0..65535`);
      out.port = n;
    } else if (key === "leaderElect") {
      if (value !== "true" && value !== "false") throw new Error(`invalid --leader-elect ${JSON.stringify(value)}: must be true or false`);
      out.leaderElect = value === "true";
    } else {
      out[key] = value;
    }
  }
  return out;
}

export const serverCommand: Command = async (args) => {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(args);
  } catch (err) {
    process.stderr.write(`k8ts server: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger({ fields: { component: "server" } });
  let server;
  try {
    const { metricResolutionMs, hpaSyncPeriodMs, hpaDownscaleStabilizationMs, ...rest } = flags;
    const hpa = { ...(hpaSyncPeriodMs ? { syncPeriodMs: hpaSyncPeriodMs } : {}), ...(hpaDownscaleStabilizationMs !== undefined ? { downscaleStabilizationMs: hpaDownscaleStabilizationMs } : {}) };
    server = await startServer({
      ...rest,
      logger,
      ...(metricResolutionMs ? { metrics: { scrapeIntervalMs: metricResolutionMs } } : {}),
      ...(Object.keys(hpa).length ? { controllerManager: { horizontalPodAutoscaler: hpa } } : {}),
    });
  } catch (err) {
    logger.error("server failed to start", { err });
    return 1;
  }
  process.stdout.write(`k8ts server listening on ${server.url}\nkubeconfig: ${server.kubeconfigPath}\n`);
  const running = server;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info("shutting down", { signal });
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      running.stop().then(resolve, (err) => {
        logger.error("shutdown failed", { err });
        resolve();
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return 0;
};

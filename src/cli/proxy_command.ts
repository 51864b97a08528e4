// `k8ts proxy`: kube-proxy for one node. Watches Services and EndpointSlices and programs the node's packet rules
// (iptables via iptables-restore, or one nftables table), optionally inside the node's network namespace.
import { hostname } from "node:os";
import type { Command } from "./main.js";
import { apiClientFromFlags, parseDuration, parseFlagsOrExit } from "./command_support.js";
import { execRunner } from "../proxy/command_runner.js";
import { startHealthz, type HealthzServer } from "../proxy/healthz.js";
import { parseBindAddress, type MetricsEndpoint } from "../util/metrics/metrics_server.js";
import { startMetricsEndpoint } from "./metrics_endpoint.js";
import { createBackend } from "../proxy/backends.js";
import { Proxier } from "../proxy/proxier.js";
import type { ProxyMode, RuleBackend } from "../proxy/types.js";
import { createLogger } from "../util/log.js";

const USAGE = `usage: k8ts proxy [flags]

flags:
  --mode MODE                 iptables (default) or nftables (one table "ip k8ts-proxy"); IPVS cannot run here
  --node-name NAME            this node's name: endpoints on it count as local (default: the hostname)
  --kubeconfig PATH           kubeconfig to reach the API server (default $KUBECONFIG or ~/.kube/config)
  --server URL                API server URL instead of a kubeconfig (e.g. http://127.0.0.1:6443)
  --netns NAME                program the network namespace /var/run/netns/NAME instead of the current one
  --cluster-cidr CIDR         pod network; traffic to cluster IPs from outside it is masqueraded
  --min-sync-period DUR       least time between two rule syncs (default 1s)
  --sync-period DUR           full resync period (default 30s)
  --healthz-bind-address A:P  serve /healthz there (e.g. 127.0.0.1:10256); off by default
  --metrics-bind-address A:P  serve /metrics (Prometheus text, plain HTTP) there (e.g. 127.0.0.1:10249); off by default
  --cleanup                   remove every rule of the chosen mode and exit
`;

export interface ProxyFlags {
  mode: ProxyMode;
  nodeName?: string;
  kubeconfig?: string;
  server?: string;
  netns?: string;
  clusterCIDR?: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  healthz?: { host: string; port: number };
  /** HOST:PORT of the /metrics endpoint (off when absent). */
  metricsBindAddress?: string;
  cleanup?: boolean;
  help?: boolean;
}

/** A duration flag, with an error that names the flag. */
function parseDurationFlag(flag: string, v: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new Error(`invalid ${flag} ${JSON.stringify(v)}: want a duration like 1s or 500ms`);
  }
}

const VALUED = ["--mode", "--node-name", "--kubeconfig", "--server", "--netns", "--cluster-cidr", "--min-sync-period", "--sync-period", "--healthz-bind-address", "--metrics-bind-address"];

/** Parses `--flag value` and `--flag=value`; throws naming the bad flag. */
export function parseProxyFlags(args: string[]): ProxyFlags {
  const out: ProxyFlags = { mode: "iptables", minSyncPeriodMs: 1000, syncPeriodMs: 30_000 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    if (arg === "--cleanup") {
      out.cleanup = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUED.includes(flag)) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    switch (flag) {
      case "--mode":
        if (value === "ipvs") throw new Error("--mode ipvs is not supported: IPVS is not available in this kernel; use iptables or nftables");
        if (value !== "iptables" && value !== "nftables") throw new Error(`invalid --mode ${JSON.stringify(value)}: must be iptables or nftables`);
        out.mode = value;
        break;
      case "--node-name":
        out.nodeName = value;
        break;
      case "--kubeconfig":
        out.kubeconfig = value;
        break;
      case "--server":
        out.server = value;
        break;
      case "--netns":
        if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`invalid --netns ${JSON.stringify(value)}: a name under /var/run/netns`);
        out.netns = value;
        break;
      case "--cluster-cidr":
        if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value)) throw new Error(`invalid --cluster-cidr ${JSON.stringify(value)}: want an IPv4 CIDR like 10.244.0.0/16`);
        out.clusterCIDR = value;
        break;
      case "--min-sync-period":
        out.minSyncPeriodMs = parseDurationFlag(flag, value);
        break;
      case "--sync-period":
        out.syncPeriodMs = parseDurationFlag(flag, value);
        if (out.syncPeriodMs <= 0) throw new Error("--sync-period must be positive");
        break;
      case "--metrics-bind-address":
        parseBindAddress(value);
        out.metricsBindAddress = value;
        break;
      case "--healthz-bind-address": {
        const m = /^(.*):(\d+)$/.exec(value);
        if (!m || Number(m[2]) > 65535) throw new Error(`invalid --healthz-bind-address ${JSON.stringify(value)}: want HOST:PORT`);
        out.healthz = { host: m[1]!.replace(/^\[(.*)\]$/, "$1") || "0.0.0.0", port: Number(m[2]) };
        break;
      }
    }
  }
  if (out.kubeconfig && out.server) throw new Error("give --kubeconfig or --server, not both");
  return out;
}

export const proxyCommand: Command = async (args) => {
  const parsed = parseFlagsOrExit("proxy", args, { parse: parseProxyFlags, usage: USAGE });
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags = parsed.flags;
  const nodeName = flags.nodeName ?? hostname();
  const logger = createLogger({ fields: { component: "kube-proxy" } });
  const runner = execRunner({ netns: flags.netns });
  const backendOpts = { runner, clusterCIDR: flags.clusterCIDR };
  const backend: RuleBackend = createBackend(flags.mode, backendOpts);
  const otherMode: RuleBackend = createBackend(flags.mode === "nftables" ? "iptables" : "nftables", backendOpts);
  if (flags.cleanup) {
    try {
      await backend.cleanup();
      logger.info("rules removed", { mode: flags.mode, netns: flags.netns });
      return 0;
    } catch (err) {
      logger.error("cleanup failed", { err });
      return 1;
    }
  }
  const client = apiClientFromFlags(flags, { userAgent: "k8ts-proxy", logger });
  if (!client) return 1;
  const proxier = new Proxier({ client, nodeName, backend, runner, minSyncIntervalMs: flags.minSyncPeriodMs, syncPeriodMs: flags.syncPeriodMs, log: logger });
  let metricsEndpoint: MetricsEndpoint | undefined;
  try {
    if (flags.metricsBindAddress) metricsEndpoint = await startMetricsEndpoint(flags.metricsBindAddress, () => [proxier.metrics.registry], logger);
  } catch (err) {
    logger.error("cannot serve metrics", { err, address: flags.metricsBindAddress });
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
  let healthz: HealthzServer | undefined;
  try {
    if (flags.healthz) {
      // Two missed periodic syncs (or a long run of failed retries) make the proxy unhealthy.
      healthz = await startHealthz(flags.healthz.host, flags.healthz.port, { lastSync: () => proxier.lastSuccessfulSync(), maxAgeMs: 2 * flags.syncPeriodMs + flags.minSyncPeriodMs });
      logger.info("healthz serving", { url: healthz.url });
    }
    logger.info("proxy starting", { mode: flags.mode, node: nodeName, netns: flags.netns, server: client.server });
    // Rules a previous run left in the other mode would catch service traffic first: remove them, as Kubernetes
    // does on start. Best effort: that mode's tool may not even be installed.
    await otherMode.cleanup().catch((err: unknown) => logger.debug("no leftover rules of the other mode removed", { mode: otherMode.mode, err }));
    // Rules stay in place on exit, as Kubernetes' do: traffic keeps flowing while the proxy restarts.
    await proxier.run(ac.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await healthz?.close();
    await metricsEndpoint?.close();
    client.close();
  }
  return 0;
};

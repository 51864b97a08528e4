// `k8ts dns`: cluster DNS (what CoreDNS is in a kubeadm cluster). Serves <svc>.<ns>.svc.<domain> and friends from
// Services, EndpointSlices and Pods on UDP and TCP, forwards other names to --upstream servers, and optionally
// serves /health, /ready and /metrics on --health.
import { readFileSync } from "node:fs";
import type { Command } from "./main.js";
import { apiClientFromFlags, parseFlagsOrExit } from "./command_support.js";
import { ClusterDns, DEFAULT_CLUSTER_DOMAIN } from "../dns/cluster_dns.js";
import type { PodRecordsMode } from "../dns/kube_records.js";
import { DEFAULT_TTL } from "../dns/kube_handler.js";
import { parseResolvConf } from "../api/pod_dns.js";
import { parseHostPort, type HostPort } from "../dns/types.js";
import { createLogger } from "../util/log.js";

const USAGE = `usage: k8ts dns --listen ADDR:PORT [flags]

flags:
  --kubeconfig PATH        kubeconfig to reach the API server (default $KUBECONFIG or ~/.kube/config)
  --server URL             API server URL instead of a kubeconfig (e.g. http://127.0.0.1:6443)
  --listen ADDR:PORT       where to serve DNS over UDP and TCP (e.g. 10.96.0.10:53, 127.0.0.1:5353)
  --cluster-domain DOMAIN  the cluster's DNS domain (default ${DEFAULT_CLUSTER_DOMAIN})
  --upstream ADDR:PORT     server for names outside the cluster domain; repeat or separate with commas for
                           several (tried in order), or give a resolv.conf path (/etc/resolv.conf) to use its
                           nameservers. Without one, such names are REFUSED.
  --ttl SECONDS            TTL of cluster records (default ${DEFAULT_TTL})
  --pods MODE              pod records <a-b-c-d>.<ns>.pod.<domain>: verified (default: only existing pods,
                           also PTR of pod IPs), insecure (any address), disabled
  --health ADDR:PORT       HTTP port serving /health, /ready and /metrics
`;

export interface DnsFlags {
  kubeconfig?: string;
  server?: string;
  listen?: HostPort;
  clusterDomain?: string;
  upstreams: HostPort[];
  ttl?: number;
  pods?: PodRecordsMode;
  health?: HostPort;
  help?: boolean;
}

const VALUED = ["--kubeconfig", "--server", "--listen", "--cluster-domain", "--upstream", "--ttl", "--pods", "--health"];

function upstreamsOf(value: string, readFile: (p: string) => string): HostPort[] {
  if (value.startsWith("/")) {
    const servers = parseResolvConf(readFile(value)).servers;
    if (servers.length === 0) throw new Error(`--upstream ${value}: no nameserver lines`);
    return servers.map((s) => parseHostPort(s.includes(":") && !s.startsWith("[") ? `[${s}]` : s));
  }
  return value.split(",").map((v) => parseHostPort(v.trim()));
}

/** Parses `--flag value` and `--flag=value`; throws naming the bad flag. */
export function parseDnsFlags(args: string[], readFile: (p: string) => string = (p) => readFileSync(p, "utf8")): DnsFlags {
  const out: DnsFlags = { upstreams: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUED.includes(flag)) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    switch (flag) {
      case "--kubeconfig":
        out.kubeconfig = value;
        break;
      case "--server":
        out.server = value;
        break;
      case "--listen":
        out.listen = parseHostPort(value);
        break;
      case "--cluster-domain":
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/.test(value)) throw new Error(`--cluster-domain ${JSON.stringify(value)} is not a DNS domain`);
        out.clusterDomain = value.replace(/\.$/, "");
        break;
      case "--upstream":
        out.upstreams.push(...upstreamsOf(value, readFile));
        break;
      case "--ttl":
        out.ttl = Number(value);
        // Bounded like CoreDNS's ttl option (0-3600).
        if (!Number.isInteger(out.ttl) || out.ttl < 0 || out.ttl > 3600) throw new Error(`--ttl ${value} must be whole seconds from 0 to 3600`);
        break;
      case "--pods":
        if (value !== "verified" && value !== "insecure" && value !== "disabled") throw new Error(`--pods ${value} must be verified, insecure or disabled`);
        out.pods = value;
        break;
      case "--health":
        out.health = parseHostPort(value);
        break;
    }
  }
  if (out.kubeconfig && out.server) throw new Error("give --kubeconfig or --server, not both");
  if (!out.help && !out.listen) throw new Error("--listen is required");
  return out;
}

export const dnsCommand: Command = async (args) => {
  const parsed = parseFlagsOrExit("dns", args, { parse: parseDnsFlags, usage: USAGE });
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags = parsed.flags;
  const logger = createLogger({ fields: { component: "dns" } });
  const client = apiClientFromFlags(flags, { userAgent: "k8ts-dns", logger });
  if (!client) return 1;
  const dns = new ClusterDns({
    client,
    listen: flags.listen!,
    clusterDomain: flags.clusterDomain,
    ttl: flags.ttl,
    upstreams: flags.upstreams,
    podRecords: flags.pods,
    health: flags.health,
    log: logger,
  });
  const ac = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info("shutting down", { signal });
    ac.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await dns.run(ac.signal);
  } catch (err) {
    logger.error("cluster dns failed", { err });
    return 1;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    client.close();
  }
  return 0;
};

// (Lives in api/ so both the kubelet and the DNS server can use it.)
// The DNS configuration a pod's containers get, as the kubelet computes it from pod.spec.dnsPolicy and
// pod.spec.dnsConfig, in the shape of CRI's DNSConfig (servers, searches, options) and as resolv.conf text.
//   ClusterFirst (default): cluster DNS, searches <ns>.svc.<domain> svc.<domain> <domain> + the host's, ndots:5;
//                           a host-network pod falls back to Default.
//   ClusterFirstWithHostNet: ClusterFirst even for host-network pods.
//   Default:                the node's resolv.conf.
//   None:                   only pod.spec.dnsConfig.
// pod.spec.dnsConfig is merged on top: nameservers appended, searches put first, options replacing by name.
// The names resolvers expand are the client's business: with ndots:5, "web" and "web.other" try the search list
// before the name itself, so in-cluster short names reach the cluster DNS.
import type { Pod } from "kubernetes-types/core/v1.js";

/** CRI runtime.v1.DNSConfig. */
export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** The cluster DNS service address of DESIGN.md (10.96.0.10, inside the service CIDR 10.96.0.0/12). */
export const CLUSTER_DNS_IP = "10.96.0.10";
/** ndots:5 so names of up to 4 dots (<svc>.<ns>.svc.cluster) try the search list first, as Kubernetes sets. */
export const CLUSTER_NDOTS = 5;
/** glibc's historical limit of name servers; more are ignored by resolvers anyway. */
export const MAX_NAMESERVERS = 3;
/** Kubernetes' limits on the search list (MaxDNSSearchPaths, MaxDNSSearchListChars). */
export const MAX_SEARCHES = 32;
export const MAX_SEARCH_CHARS = 2048;

export interface PodDnsOptions {
  /** Cluster DNS server addresses (the kubelet's --cluster-dns); default [10.96.0.10]. */
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The node's own resolver configuration (parseResolvConf of /etc/resolv.conf), for Default and the host searches. */
  host?: DnsConfig;
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/** The search list cut to Kubernetes' limits: at most 32 domains and 2048 characters, the earliest kept. */
function fitSearches(searches: string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of unique(searches.map((x) => x.replace(/\.$/, "")).filter(Boolean))) {
    const add = out.length === 0 ? s.length : s.length + 1;
    if (out.length >= MAX_SEARCHES || chars + add > MAX_SEARCH_CHARS) break;
    out.push(s);
    chars += add;
  }
  return out;
}

/** Options by name ("ndots:5" is named "ndots"); later ones replace earlier ones of the same name. */
function mergeOptions(base: string[], over: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...over]) byName.set(o.split(":")[0]!, o);
  return [...byName.values()];
}

export function podDnsConfig(pod: Pod, opts: PodDnsOptions = {}): DnsConfig {
  const domain = (opts.clusterDomain ?? "cluster.local").replace(/^\.|\.$/g, "");
  const host: DnsConfig = opts.host ?? { servers: [], searches: [], options: [] };
  const clusterDNS = opts.clusterDNS ?? [CLUSTER_DNS_IP];
  const ns = pod.metadata?.namespace ?? "default";
  let policy = pod.spec?.dnsPolicy ?? "ClusterFirst";
  if (policy === "ClusterFirst" && pod.spec?.hostNetwork) policy = "Default";
  if ((policy === "ClusterFirst" || policy === "ClusterFirstWithHostNet") && clusterDNS.length === 0) policy = "Default";
  let cfg: DnsConfig;
  switch (policy) {
    case "None":
      cfg = { servers: [], searches: [], options: [] };
      break;
    case "ClusterFirst":
    case "ClusterFirstWithHostNet": {
      const cluster = [`${ns}.svc.${domain}`, `svc.${domain}`, domain];
      cfg = { servers: [...clusterDNS], searches: [...cluster, ...host.searches], options: [`ndots:${CLUSTER_NDOTS}`] };
      break;
    }
    default:
      cfg = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg.servers = [...cfg.servers, ...(extra.nameservers ?? [])];
    cfg.searches = [...(extra.searches ?? []), ...cfg.searches];
    cfg.options = mergeOptions(cfg.options, (extra.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name ?? "")).filter(Boolean));
  }
  return { servers: unique(cfg.servers).slice(0, MAX_NAMESERVERS), searches: fitSearches(cfg.searches), options: cfg.options };
}

export function renderResolvConf(c: DnsConfig): string {
  const lines: string[] = [];
  if (c.searches.length) lines.push(`search ${c.searches.join(" ")}`);
  for (const s of c.servers) lines.push(`nameserver ${s}`);
  if (c.options.length) lines.push(`options ${c.options.join(" ")}`);
  return lines.join("\n") + "\n";
}

/** Reads resolv.conf text (the node's), keeping what pods inherit: nameservers, search/domain, options. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === "nameserver" && values[0]) out.servers.push(values[0]);
    // The last search or domain line wins, as in glibc.
    else if (key === "search" || key === "domain") out.searches = values;
    else if (key === "options") out.options = mergeOptions(out.options, values);
  }
  return out;
}

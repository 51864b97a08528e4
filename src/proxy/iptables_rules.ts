// The iptables rule set as a pure function of the proxy state, in iptables-restore syntax. Layout (Kubernetes'):
//   nat    PREROUTING, OUTPUT -> KUBE-SERVICES: cluster IP / external IP -> KUBE-SVC-* / KUBE-EXT-*, then local
//          destinations -> KUBE-NODEPORTS -> KUBE-EXT-*; KUBE-SVC-* picks a KUBE-SEP-* (statistic random 1/n, or the
//          remembered one under ClientIP affinity via -m recent); KUBE-SEP-* marks hairpin traffic and DNATs;
//          POSTROUTING -> KUBE-POSTROUTING masquerades whatever carries the 0x4000 mark.
//   filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES reject traffic to ports without endpoints; KUBE-FORWARD accepts
//          marked and established traffic when the FORWARD policy drops.
import { clusterEndpoints, externalEndpoints } from "./service_model.js";
import { extChain, sepChain, svcChain, svlChain } from "./chain_names.js";
import { servicePortName, type EndpointInfo, type ProxyState, type RenderOptions, type ServicePortInfo } from "./types.js";

export type TableName = "filter" | "nat";

/** The mark that asks KUBE-POSTROUTING to masquerade (Kubernetes' default masquerade bit 14). */
export const MASQ_MARK = "0x4000";

/** Chains this proxier owns outright (flushed and rewritten on every sync). */
export const FIXED_CHAINS: Record<TableName, string[]> = {
  filter: ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD"],
  nat: ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"],
};

/** Per-service chains: any such chain not in the desired set is stale and deleted. */
export const PER_SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|SEP)-[A-Z2-7]{16}$/;

/** Rules in built-in chains that hand traffic to ours; ensured present (never duplicated) on every sync. */
export const JUMPS: Record<TableName, Array<{ chain: string; spec: string }>> = {
  filter: [
    { chain: "INPUT", spec: `-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES` },
    { chain: "FORWARD", spec: `-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD` },
    { chain: "FORWARD", spec: `-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
    { chain: "FORWARD", spec: `-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES` },
    { chain: "OUTPUT", spec: `-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
  ],
  nat: [
    { chain: "PREROUTING", spec: `-m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
    { chain: "OUTPUT", spec: `-m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
    { chain: "POSTROUTING", spec: `-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING` },
  ],
};

export interface TableRules {
  /** Every chain of ours in the table, in declaration order. */
  chains: string[];
  /** "-A CHAIN ..." lines. */
  rules: string[];
}

export type IptablesRules = Record<TableName, TableRules>;

const comment = (text: string): string => `-m comment --comment ${JSON.stringify(text)}`;

/** "-m tcp -p tcp [-d IP/32] --dport P": the match of one protocol and destination port. */
function portMatch(p: ServicePortInfo, port: number, ip?: string): string {
  const proto = p.protocol.toLowerCase();
  return `-m ${proto} -p ${proto}${ip ? ` -d ${ip}/32` : ""} --dport ${port}`;
}

/** Probability of taking endpoint i of n given the earlier ones were not taken: 1/(n-i). */
export function probability(i: number, n: number): string {
  return (1 / (n - i)).toFixed(10);
}

function endpointJumps(p: ServicePortInfo, chain: string, eps: EndpointInfo[], out: string[]): void {
  const name = servicePortName(p);
  if (p.affinitySeconds !== undefined) {
    for (const ep of eps) {
      const sep = sepChain(p, ep);
      out.push(`-A ${chain} ${comment(`${name} -> ${ep.ip}:${ep.port}`)} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${p.affinitySeconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(i, eps.length)}` : "";
    out.push(`-A ${chain} ${comment(`${name} -> ${ep.ip}:${ep.port}`)}${stat} -j ${sepChain(p, ep)}`);
  });
}

export function iptablesRules(state: ProxyState, opts: RenderOptions = {}): IptablesRules {
  const filter: TableRules = { chains: [...FIXED_CHAINS.filter], rules: [] };
  const nat: TableRules = { chains: [...FIXED_CHAINS.nat], rules: [] };
  const svcRules: string[] = [];
  const nodePortRules: string[] = [];
  const chainRules: string[] = [];

  filter.rules.push(
    `-A KUBE-FORWARD ${comment("kubernetes forwarding rules")} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-A KUBE-FORWARD ${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  for (const p of state.ports) {
    const name = servicePortName(p);
    const all = p.endpoints;
    const local = all.filter((e) => e.local);
    const internal = clusterEndpoints(p);
    const external = externalEndpoints(p);
    const hasExternal = p.nodePort !== undefined || p.externalIPs.length > 0;
    const svc = svcChain(p);
    const svl = svlChain(p);
    const ext = extChain(p);

    // Traffic with nowhere to go is refused at once rather than left to time out; REJECT when the service has no
    // endpoints at all, DROP when a Local policy leaves none on this node (as Kubernetes does).
    const refuse = (eps: EndpointInfo[]): string => (all.length === 0 ? "REJECT --reject-with icmp-port-unreachable" : eps.length === 0 ? "DROP" : "");
    const internalRefusal = refuse(internal);
    if (internalRefusal) filter.rules.push(`-A KUBE-SERVICES ${comment(`${name} has no ${all.length ? "local " : ""}endpoints`)} ${portMatch(p, p.port, p.clusterIP)} -j ${internalRefusal}`);
    const externalRefusal = hasExternal ? refuse(external) : "";
    if (externalRefusal) {
      for (const ip of p.externalIPs) filter.rules.push(`-A KUBE-EXTERNAL-SERVICES ${comment(`${name} has no ${all.length ? "local " : ""}endpoints`)} ${portMatch(p, p.port, ip)} -j ${externalRefusal}`);
      if (p.nodePort !== undefined) filter.rules.push(`-A KUBE-EXTERNAL-SERVICES ${comment(`${name} has no ${all.length ? "local " : ""}endpoints`)} -m addrtype --dst-type LOCAL ${portMatch(p, p.nodePort)} -j ${externalRefusal}`);
    }
    if (all.length === 0) continue;

    nat.chains.push(svc);
    const usesSvl = (p.internalLocal || p.externalLocal) && local.length > 0;
    if (usesSvl) nat.chains.push(svl);
    // The external chain exists whenever there are endpoints at all: under a Local policy with none on this node it
    // still short-circuits pod and node traffic to the cluster-wide chain; anything else falls through to the
    // filter table's DROP.
    const usesExt = hasExternal && all.length > 0;
    if (usesExt) nat.chains.push(ext);
    for (const ep of all) nat.chains.push(sepChain(p, ep));

    if (internal.length > 0) svcRules.push(`-A KUBE-SERVICES ${comment(`${name} cluster IP`)} ${portMatch(p, p.port, p.clusterIP)} -j ${p.internalLocal ? svl : svc}`);
    if (usesExt) {
      for (const ip of p.externalIPs) svcRules.push(`-A KUBE-SERVICES ${comment(`${name} external IP`)} ${portMatch(p, p.port, ip)} -j ${ext}`);
      if (p.nodePort !== undefined) nodePortRules.push(`-A KUBE-NODEPORTS ${comment(name)} ${portMatch(p, p.nodePort)} -j ${ext}`);
    }

    // Off-cluster sources (the node itself, other hosts) reaching a cluster IP are masqueraded so replies return
    // through this node's conntrack.
    if (opts.clusterCIDR) chainRules.push(`-A ${svc} ${comment(`${name} cluster IP`)} ${portMatch(p, p.port, p.clusterIP)} ! -s ${opts.clusterCIDR} -j KUBE-MARK-MASQ`);
    endpointJumps(p, svc, all, chainRules);
    if (usesSvl) endpointJumps(p, svl, local, chainRules);
    if (usesExt) {
      if (p.externalLocal) {
        // Pods and the node itself keep cluster-wide balancing; only traffic from outside is held to this node.
        if (opts.clusterCIDR) chainRules.push(`-A ${ext} ${comment("pod traffic for " + name + " external destinations")} -s ${opts.clusterCIDR} -j ${svc}`);
        chainRules.push(`-A ${ext} ${comment("masquerade LOCAL traffic for " + name + " external destinations")} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
        chainRules.push(`-A ${ext} ${comment("route LOCAL traffic for " + name + " external destinations")} -m addrtype --src-type LOCAL -j ${svc}`);
        if (local.length > 0) chainRules.push(`-A ${ext} -j ${svl}`);
      } else {
        chainRules.push(`-A ${ext} ${comment("masquerade traffic for " + name + " external destinations")} -j KUBE-MARK-MASQ`);
        chainRules.push(`-A ${ext} -j ${svc}`);
      }
    }
    for (const ep of all) {
      const sep = sepChain(p, ep);
      const proto = p.protocol.toLowerCase();
      const recent = p.affinitySeconds !== undefined ? ` -m recent --name ${sep} --mask 255.255.255.255 --rsource --set` : "";
      chainRules.push(`-A ${sep} ${comment(name)} -s ${ep.ip}/32 -j KUBE-MARK-MASQ`);
      chainRules.push(`-A ${sep} ${comment(name)} -m ${proto} -p ${proto}${recent} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    }
  }

  nat.rules.push(
    ...svcRules,
    `-A KUBE-SERVICES ${comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
    ...nodePortRules,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    `-A KUBE-POSTROUTING ${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`,
    ...chainRules,
  );
  return { filter, nat };
}

// The nftables rule set as a pure function of the proxy state: one table `ip k8ts-proxy`, replaced atomically by
// a single `nft -f` transaction (create-if-missing, delete, define). Dispatch is by verdict maps keyed on
// `ip daddr . meta l4proto . th dport` (cluster and external IPs) and `meta l4proto . th dport` (node ports on
// local addresses); a service chain picks an endpoint with `numgen random mod N vmap`, remembered per client in a
// timeout set under ClientIP affinity. Quirks of nft 1.0.6 honoured here: the nat output hook is given as
// `priority -100`, and a DNAT to a port is preceded by an l4proto match.
import { clusterEndpoints, externalEndpoints } from "./service_model.js";
import { endpointHash, servicePortHash } from "./chain_names.js";
import { servicePortName, type EndpointInfo, type ProxyState, type RenderOptions, type ServicePortInfo } from "./types.js";

export const NFT_TABLE = "k8ts-proxy";
const MARK = "0x4000";

const svc = (p: ServicePortInfo): string => `svc-${servicePortHash(p)}`;
const svl = (p: ServicePortInfo): string => `svl-${servicePortHash(p)}`;
const ext = (p: ServicePortInfo): string => `ext-${servicePortHash(p)}`;
const sep = (p: ServicePortInfo, ep: EndpointInfo): string => `sep-${endpointHash(p, ep)}`;
const affinity = (p: ServicePortInfo, ep: EndpointInfo): string => `affinity-${endpointHash(p, ep)}`;

function map(name: string, type: string, elements: string[]): string[] {
  const lines = [`  map ${name} {`, `    type ${type} : verdict`];
  if (elements.length > 0) lines.push(`    elements = {`, ...elements.map((e, i) => `      ${e}${i < elements.length - 1 ? "," : ""}`), `    }`);
  lines.push(`  }`);
  return lines;
}

function chain(name: string, body: string[], comment?: string): string[] {
  return [`  chain ${name} {`, ...(comment ? [`    comment ${JSON.stringify(comment)}`] : []), ...body.map((l) => `    ${l}`), `  }`];
}

function picker(p: ServicePortInfo, eps: EndpointInfo[]): string[] {
  const body: string[] = [];
  if (p.affinitySeconds !== undefined) for (const ep of eps) body.push(`ip saddr @${affinity(p, ep)} goto ${sep(p, ep)}`);
  if (eps.length === 1) body.push(`goto ${sep(p, eps[0]!)}`);
  else body.push(`numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto ${sep(p, ep)}`).join(", ")} }`);
  return body;
}

/** The whole `nft -f` input: one transaction replacing the table. */
export function nftablesRules(state: ProxyState, opts: RenderOptions = {}): string {
  const serviceIPs: string[] = [];
  const nodePorts: string[] = [];
  const noEndpointIPs: string[] = [];
  const noEndpointNodePorts: string[] = [];
  const sets: string[] = [];
  const chains: string[] = [];

  for (const p of state.ports) {
    const name = servicePortName(p);
    const proto = p.protocol.toLowerCase();
    const all = p.endpoints;
    const local = all.filter((e) => e.local);
    const internal = clusterEndpoints(p);
    const external = externalEndpoints(p);
    const hasExternal = p.nodePort !== undefined || p.externalIPs.length > 0;
    const refusal = (eps: EndpointInfo[]): string => (all.length === 0 ? "goto reject-chain" : eps.length === 0 ? "drop" : "");
    const internalRefusal = refusal(internal);
    if (internalRefusal) noEndpointIPs.push(`${p.clusterIP} . ${proto} . ${p.port} : ${internalRefusal}`);
    const externalRefusal = hasExternal ? refusal(external) : "";
    if (externalRefusal) {
      for (const ip of p.externalIPs) noEndpointIPs.push(`${ip} . ${proto} . ${p.port} : ${externalRefusal}`);
      if (p.nodePort !== undefined) noEndpointNodePorts.push(`${proto} . ${p.nodePort} : ${externalRefusal}`);
    }
    if (all.length === 0) continue;

    const usesSvl = (p.internalLocal || p.externalLocal) && local.length > 0;
    // As in iptables mode: the external chain exists whenever there are endpoints at all, for its short-circuits.
    const usesExt = hasExternal && all.length > 0;
    if (internal.length > 0) serviceIPs.push(`${p.clusterIP} . ${proto} . ${p.port} : goto ${p.internalLocal ? svl(p) : svc(p)}`);
    if (usesExt) {
      for (const ip of p.externalIPs) serviceIPs.push(`${ip} . ${proto} . ${p.port} : goto ${ext(p)}`);
      if (p.nodePort !== undefined) nodePorts.push(`${proto} . ${p.nodePort} : goto ${ext(p)}`);
    }

    const svcBody: string[] = [];
    if (opts.clusterCIDR) svcBody.push(`ip daddr ${p.clusterIP} ip saddr != ${opts.clusterCIDR} jump mark-for-masquerade`);
    chains.push(...chain(svc(p), [...svcBody, ...picker(p, all)], name));
    if (usesSvl) chains.push(...chain(svl(p), picker(p, local), `${name} local endpoints`));
    if (usesExt) {
      const body = p.externalLocal
        ? [
            ...(opts.clusterCIDR ? [`ip saddr ${opts.clusterCIDR} goto ${svc(p)}`] : []),
            `fib saddr type local jump mark-for-masquerade`,
            `fib saddr type local goto ${svc(p)}`,
            ...(local.length > 0 ? [`goto ${svl(p)}`] : []),
          ]
        : [`jump mark-for-masquerade`, `goto ${svc(p)}`];
      chains.push(...chain(ext(p), body, `${name} external destinations`));
    }
    for (const ep of all) {
      const body = [`ip saddr ${ep.ip} jump mark-for-masquerade`];
      if (p.affinitySeconds !== undefined) {
        sets.push(`  set ${affinity(p, ep)} {`, `    type ipv4_addr`, `    flags dynamic,timeout`, `    timeout ${p.affinitySeconds}s`, `  }`);
        body.push(`update @${affinity(p, ep)} { ip saddr }`);
      }
      body.push(`meta l4proto ${proto} dnat to ${ep.ip}:${ep.port}`);
      chains.push(...chain(sep(p, ep), body, `${name} -> ${ep.ip}:${ep.port}`));
    }
  }

  const lines = [
    `table ip ${NFT_TABLE} {}`,
    `delete table ip ${NFT_TABLE}`,
    `table ip ${NFT_TABLE} {`,
    `  comment "rules for Kubernetes services, written by k8ts proxy"`,
    ...map("service-ips", "ipv4_addr . inet_proto . inet_service", serviceIPs),
    ...map("service-nodeports", "inet_proto . inet_service", nodePorts),
    ...map("no-endpoint-services", "ipv4_addr . inet_proto . inet_service", noEndpointIPs),
    ...map("no-endpoint-nodeports", "inet_proto . inet_service", noEndpointNodePorts),
    ...sets,
    // Refusals are checked where traffic arrives after prerouting DNAT (input, forward), so what the external
    // chains short-circuited (pods under a Local policy) has its endpoint as destination and passes; node ports are
    // not checked on output, where the node's own traffic to them is routed cluster-wide (as Kubernetes does).
    ...chain("filter-input", [
      "type filter hook input priority -110; policy accept;",
      "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
      "ct state new fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports",
    ]),
    ...chain("filter-forward", [
      "type filter hook forward priority -110; policy accept;",
      "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
    ]),
    ...chain("filter-output", [
      "type filter hook output priority -110; policy accept;",
      "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
    ]),
    ...chain("nat-prerouting", ["type nat hook prerouting priority -100; policy accept;", "jump services"]),
    ...chain("nat-output", ["type nat hook output priority -100; policy accept;", "jump services"]),
    ...chain("nat-postrouting", ["type nat hook postrouting priority 100; policy accept;", "jump masquerading"]),
    ...chain("reject-chain", ["reject"]),
    ...chain("mark-for-masquerade", [`meta mark set meta mark | ${MARK}`]),
    ...chain("masquerading", [`meta mark & ${MARK} == 0 return`, `meta mark set meta mark ^ ${MARK}`, "masquerade fully-random"]),
    ...chain("services", ["ip daddr . meta l4proto . th dport vmap @service-ips", "fib daddr type local meta l4proto . th dport vmap @service-nodeports"]),
    ...chains,
    `}`,
  ];
  return lines.join("\n") + "\n";
}

/** Input deleting the table (creating it first so the delete cannot fail). */
export function nftablesCleanup(): string {
  return `table ip ${NFT_TABLE} {}\ndelete table ip ${NFT_TABLE}\n`;
}

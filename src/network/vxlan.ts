// The VXLAN device of a node (flannel.1) and the per-peer state that makes it work without learning: for every other
// node a route to its pod subnet via its VTEP address (onlink), a permanent neighbour entry mapping that address to
// its VTEP MAC, and an FDB entry sending that MAC to its underlay IP. Reconciled against what `ip -j` shows, so
// stale entries of departed nodes go away and a restart converges.
import { mustRun } from "./exec.js";
import { subnetAddress } from "./annotations.js";
import type { CommandRunner, NodeLease } from "./types.js";

export const VXLAN_DEVICE = "flannel.1";
/** flannel's VXLAN port (the Linux kernel default 8472, not IANA's 4789). */
export const VXLAN_PORT = 8472;
/** 1500 underlay minus the 50-byte VXLAN encapsulation. */
export const VXLAN_MTU = 1450;

export interface VxlanDeviceOptions {
  vni: number;
  localIP: string;
  /** The pod subnet of this node: flannel.1 gets its network address as a /32. */
  podCIDR: string;
  device?: string;
}

interface IpLink {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; link?: string; learning?: boolean } };
}

async function json<T>(runner: CommandRunner, argv: string[]): Promise<T[]> {
  const res = await runner.run(argv);
  if (res.code !== 0) return [];
  const text = res.stdout.trim();
  return text ? (JSON.parse(text) as T[]) : [];
}

/** The interface carrying an IPv4 address (the underlay device the VXLAN packets leave through). */
export async function deviceWithAddress(runner: CommandRunner, ip: string): Promise<string> {
  const links = await json<{ ifname: string; addr_info?: Array<{ local?: string }> }>(runner, ["ip", "-j", "-4", "addr", "show"]);
  const hit = links.find((l) => l.addr_info?.some((a) => a.local === ip));
  if (!hit) throw new Error(`no interface has the underlay address ${ip}`);
  return hit.ifname;
}

/** Creates (or keeps, when it already matches) the VXLAN device, addresses it and answers its MAC. */
export async function ensureVxlanDevice(runner: CommandRunner, opts: VxlanDeviceOptions): Promise<string> {
  const name = opts.device ?? VXLAN_DEVICE;
  const underlay = await deviceWithAddress(runner, opts.localIP);
  const [existing] = await json<IpLink>(runner, ["ip", "-j", "-d", "link", "show", "dev", name]);
  const data = existing?.linkinfo?.info_data;
  const matches = existing?.linkinfo?.info_kind === "vxlan" && data?.id === opts.vni && data.local === opts.localIP && data.port === VXLAN_PORT && data.learning === false;
  if (existing && !matches) await mustRun(runner, ["ip", "link", "del", name]);
  if (!existing || !matches) {
    await mustRun(runner, ["ip", "link", "add", name, "type", "vxlan", "id", String(opts.vni), "local", opts.localIP, "dev", underlay, "dstport", String(VXLAN_PORT), "nolearning"]);
  }
  await mustRun(runner, ["ip", "link", "set", name, "mtu", String(VXLAN_MTU), "up"]);
  const want = subnetAddress(opts.podCIDR);
  const addrs = await json<{ addr_info?: Array<{ local?: string; prefixlen?: number; family?: string }> }>(runner, ["ip", "-j", "-4", "addr", "show", "dev", name]);
  for (const a of addrs[0]?.addr_info ?? []) if (a.local && a.local !== want) await mustRun(runner, ["ip", "addr", "del", `${a.local}/${a.prefixlen ?? 32}`, "dev", name]);
  await mustRun(runner, ["ip", "addr", "replace", `${want}/32`, "dev", name]);
  const [link] = await json<IpLink>(runner, ["ip", "-j", "link", "show", "dev", name]);
  if (!link?.address) throw new Error(`${name} has no MAC address`);
  return link.address.toLowerCase();
}

export interface PeerChanges {
  added: string[];
  removed: string[];
}

/** Brings routes, neighbours and FDB entries on the VXLAN device to exactly the given peers. */
export async function reconcilePeers(runner: CommandRunner, peers: NodeLease[], device = VXLAN_DEVICE): Promise<PeerChanges> {
  const changes: PeerChanges = { added: [], removed: [] };
  const routes = await json<{ dst: string; gateway?: string }>(runner, ["ip", "-j", "-4", "route", "show", "dev", device]);
  const neighs = await json<{ dst: string; lladdr?: string; state?: string[] }>(runner, ["ip", "-j", "-4", "neigh", "show", "dev", device]);
  const fdb = await json<{ mac: string; dst?: string }>(runner, ["bridge", "-j", "fdb", "show", "dev", device]);
  const wantRoute = new Map(peers.map((p) => [p.podCIDR, subnetAddress(p.podCIDR)]));
  const wantNeigh = new Map(peers.map((p) => [subnetAddress(p.podCIDR), p.vtepMAC]));
  const wantFdb = new Map(peers.map((p) => [p.vtepMAC, p.publicIP]));
  // Removals first: a node that came back with a new MAC or subnet must not leave its old entries behind.
  for (const r of routes) {
    if (r.dst === "default" || wantRoute.get(r.dst) === r.gateway) continue;
    await runner.run(["ip", "route", "del", r.dst, "dev", device]);
    changes.removed.push(r.dst);
  }
  for (const n of neighs) {
    if (wantNeigh.get(n.dst) === n.lladdr?.toLowerCase()) continue;
    await runner.run(["ip", "neigh", "del", n.dst, "dev", device]);
  }
  for (const f of fdb) {
    if (!f.dst || wantFdb.get(f.mac.toLowerCase()) === f.dst) continue;
    await runner.run(["bridge", "fdb", "del", f.mac, "dev", device, "dst", f.dst]);
  }
  const haveRoute = new Set(routes.filter((r) => wantRoute.get(r.dst) === r.gateway).map((r) => r.dst));
  const haveNeigh = new Set(neighs.filter((n) => wantNeigh.get(n.dst) === n.lladdr?.toLowerCase()).map((n) => n.dst));
  const haveFdb = new Set(fdb.filter((f) => f.dst && wantFdb.get(f.mac.toLowerCase()) === f.dst).map((f) => f.mac.toLowerCase()));
  for (const p of peers) {
    const vtep = subnetAddress(p.podCIDR);
    // FDB and neighbour before the route, so the first packet routed to the peer already has somewhere to go.
    if (!haveFdb.has(p.vtepMAC)) await mustRun(runner, ["bridge", "fdb", "replace", p.vtepMAC, "dev", device, "dst", p.publicIP]);
    if (!haveNeigh.has(vtep)) await mustRun(runner, ["ip", "neigh", "replace", vtep, "lladdr", p.vtepMAC, "dev", device, "nud", "permanent"]);
    if (!haveRoute.has(p.podCIDR)) {
      await mustRun(runner, ["ip", "route", "replace", p.podCIDR, "via", vtep, "dev", device, "onlink"]);
      changes.added.push(p.podCIDR);
    }
  }
  return changes;
}

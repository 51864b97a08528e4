// The underlay of a local cluster: a bridge in the host namespace with 10.100.<c>.1/24 (where the API server and
// cluster DNS listen) and one veth per node, whose other end is eth0 in the node's own network namespace with
// 10.100.<c>.<i+2>/24. Nothing else in the host namespace is touched: no host routes beyond the bridge's own
// connected one, no firewall rules; the node namespaces have no default route, so nothing leaves the machine.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

export function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(" ")}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

export const SERVICE_CIDR = "10.96.0.0/12";

export function linkExists(name: string): Promise<boolean> {
  return run("ip", ["link", "show", "dev", name]).then(
    () => true,
    () => false,
  );
}

export function netnsExists(name: string): boolean {
  return existsSync(`/var/run/netns/${name}`);
}

/** The lowest c in 1..254 that no given cluster uses and whose 10.100.c.0/24 no host interface carries. */
export async function freeSubnetIndex(taken: number[]): Promise<number> {
  const addrs = JSON.parse(await run("ip", ["-j", "-4", "addr", "show"])) as Array<{ addr_info?: Array<{ local?: string }> }>;
  const used = new Set(taken);
  for (const l of addrs) for (const a of l.addr_info ?? []) {
    const m = /^10\.100\.(\d+)\./.exec(a.local ?? "");
    if (m) used.add(Number(m[1]));
  }
  for (let c = 1; c <= 254; c++) if (!used.has(c)) return c;
  throw new Error("no free 10.100.<c>.0/24 underlay subnet left for another cluster");
}

const UNDERLAY_LOCK = "/run/k8ts/underlay.lock";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs fn holding the machine-wide underlay lock, so clusters brought up at the same moment (from different state
 * directories, as parallel tests do) never pick the same 10.100.<c>.0/24. The lock is a file holding the owner's
 * pid; one left by a process that died is taken over.
 */
export async function withUnderlayLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync("/run/k8ts", { recursive: true });
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      writeFileSync(UNDERLAY_LOCK, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(UNDERLAY_LOCK, { encoding: "utf8", flag: "a+" }).trim());
      if (owner && !processAlive(owner)) rmSync(UNDERLAY_LOCK, { force: true });
      else await new Promise((r) => setTimeout(r, wait));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(UNDERLAY_LOCK, { force: true });
  }
}

export async function ensureBridge(name: string, hostIP: string): Promise<void> {
  if (!(await linkExists(name))) await run("ip", ["link", "add", name, "type", "bridge"]);
  await run("ip", ["addr", "replace", `${hostIP}/24`, "dev", name]);
  await run("ip", ["link", "set", name, "up"]);
}

export async function deleteLink(name: string): Promise<void> {
  // A veth goes away with its peer's namespace a moment after `ip netns del`: gone is what was asked for.
  await run("ip", ["link", "del", name]).catch((err: Error) => {
    if (!/Cannot find device/.test(err.message)) throw err;
  });
}

/** The node's namespace with its end of the underlay, loopback up and a route for the service range. */
export async function ensureNodeNetns(opts: { netns: string; hostVeth: string; bridge: string; ip: string }): Promise<void> {
  if (!netnsExists(opts.netns)) await run("ip", ["netns", "add", opts.netns]);
  const hasEth0 = await run("ip", ["-n", opts.netns, "link", "show", "dev", "eth0"]).then(
    () => true,
    () => false,
  );
  if (!hasEth0) {
    await deleteLink(opts.hostVeth);
    await run("ip", ["link", "add", opts.hostVeth, "type", "veth", "peer", "name", "eth0", "netns", opts.netns]);
    await run("ip", ["-n", opts.netns, "link", "set", "eth0", "address", underlayMac(opts.ip)]);
  }
  await run("ip", ["link", "set", opts.hostVeth, "master", opts.bridge, "up"]);
  await run("ip", ["-n", opts.netns, "addr", "replace", `${opts.ip}/24`, "dev", "eth0"]);
  await run("ip", ["-n", opts.netns, "link", "set", "eth0", "up"]);
  await run("ip", ["-n", opts.netns, "link", "set", "lo", "up"]);
  // The node's own processes reach cluster IPs (kube-proxy DNATs them in OUTPUT, but routing comes first).
  await run("ip", ["-n", opts.netns, "route", "replace", SERVICE_CIDR, "dev", "eth0"]);
}

/**
 * The MAC of a node's eth0, fixed by its underlay address (locally administered, 02:6b:38 then the address's last
 * three bytes). A node removed and added again gets the same address and so the same MAC: the host's and the other
 * nodes' ARP entries for it (and the VXLAN packets sent by them) stay right, instead of going to the old MAC until
 * the neighbour entry times out, which took 10-20 s.
 */
export function underlayMac(ip: string): string {
  const b = ip.split(".").map(Number);
  return ["02", "6b", "38", ...b.slice(1).map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

/** Deleting the namespace takes its eth0 and so the host end of the veth with it. */
export async function deleteNodeNetns(netns: string, hostVeth: string): Promise<void> {
  if (netnsExists(netns)) await run("ip", ["netns", "del", netns]);
  await deleteLink(hostVeth);
}

/** Destinations routed over the node's VXLAN device. */
export async function vxlanRoutes(netns: string): Promise<string[]> {
  const out = await run("ip", ["-n", netns, "-j", "-4", "route", "show", "dev", "flannel.1"]).catch(() => "[]");
  return (JSON.parse(out.trim() || "[]") as Array<{ dst: string }>).map((r) => r.dst);
}

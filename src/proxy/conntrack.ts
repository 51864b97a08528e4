// UDP has no connection teardown, so conntrack keeps sending a client's datagrams to an endpoint that is gone (or
// keeps refusing them after a service gained its first endpoint). After each successful sync the entries that
// the change made stale are deleted with conntrack(8), as Kubernetes does. TCP needs nothing: a reset ends it.
import { servicePortName, type CommandRunner, type ProxyState, type ServicePortInfo } from "./types.js";
import { silentLogger, type Logger } from "../util/log.js";

const key = (p: ServicePortInfo): string => `${servicePortName(p)}/${p.protocol}`;

/** conntrack -D invocations (arguments after "conntrack") the change from prev to next calls for. */
export function staleConntrackDeletes(prev: ProxyState | undefined, next: ProxyState): string[][] {
  if (!prev) return [];
  const before = new Map(prev.ports.filter((p) => p.protocol === "UDP").map((p) => [key(p), p]));
  const out: string[][] = [];
  const seen = new Set<string>();
  const add = (args: string[]): void => {
    const k = args.join(" ");
    if (!seen.has(k)) (seen.add(k), out.push(["-D", ...args]));
  };
  for (const p of next.ports) {
    if (p.protocol !== "UDP") continue;
    const old = before.get(key(p));
    before.delete(key(p));
    // A port that refused traffic until now: drop the entries that remember the refusal.
    if ((!old || old.endpoints.length === 0) && p.endpoints.length > 0) {
      add(["-p", "udp", "--orig-dst", p.clusterIP, "--orig-port-dst", String(p.port)]);
      for (const ip of p.externalIPs) add(["-p", "udp", "--orig-dst", ip, "--orig-port-dst", String(p.port)]);
      if (p.nodePort !== undefined) add(["-p", "udp", "--orig-port-dst", String(p.nodePort)]);
    }
    if (old) {
      const still = new Set(p.endpoints.map((e) => e.ip));
      for (const ep of old.endpoints) if (!still.has(ep.ip)) for (const args of toEndpoint(old, ep.ip)) add(args);
    }
  }
  // Ports gone altogether: every endpoint they had is stale.
  for (const old of before.values()) for (const ep of old.endpoints) for (const args of toEndpoint(old, ep.ip)) add(args);
  return out;
}

function toEndpoint(p: ServicePortInfo, epIP: string): string[][] {
  const out = [["-p", "udp", "--orig-dst", p.clusterIP, "--dst-nat", epIP]];
  for (const ip of p.externalIPs) out.push(["-p", "udp", "--orig-dst", ip, "--dst-nat", epIP]);
  if (p.nodePort !== undefined) out.push(["-p", "udp", "--orig-port-dst", String(p.nodePort), "--dst-nat", epIP]);
  return out;
}

/**
 * Runs the deletes. Failures are logged, never thrown: conntrack exits 1 when nothing matched, and a missing
 * conntrack binary only costs stale UDP flows, not correctness of the rules.
 */
export async function flushConntrack(runner: CommandRunner, deletes: string[][], opts: { log?: Logger } = {}): Promise<void> {
  const log = opts.log ?? silentLogger;
  for (const args of deletes) {
    try {
      const res = await runner.run(["conntrack", ...args]);
      if (res.code !== 0 && !/0 flow entries/.test(res.stderr)) log.debug("conntrack delete failed", { args: args.join(" "), code: res.code, stderr: res.stderr.trim() });
    } catch (err) {
      log.warn("conntrack unavailable; stale UDP flows are not flushed", { err });
      return;
    }
  }
}

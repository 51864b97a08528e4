// The client half of bench/network.ts, run inside a node's network namespace (nsenter --net), so its traffic takes
// the path a pod's or the node's own traffic takes: kube-proxy's rules, the VXLAN to other nodes. Prints one JSON line.
//   latency <direct ip:port> <service ip:port> <requests>   HTTP GETs, a new connection each, direct and service interleaved
//   dns <ip[,ip...]> <seconds> <concurrency> <sockets>       UDP A queries for kubernetes.default, as fast as answered
import dgram from "node:dgram";
import http from "node:http";
import { encodeMessage } from "../src/dns/encode.js";
import { newQuery, RRType } from "../src/dns/message.js";

function get(target: string): Promise<number> {
  const [host, port] = target.split(":");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host, port: Number(port), path: "/", agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function latency(direct: string, service: string, n: number): Promise<void> {
  // Warm up both paths (and wait out a kube-proxy sync that may still be on its way).
  for (const t of [direct, service]) {
    for (let ok = 0, tries = 0; ok < 20; tries++) {
      try {
        await get(t);
        ok++;
      } catch (err) {
        if (tries > 200) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const out = { direct: [] as number[], service: [] as number[], errors: 0 };
  for (let i = 0; i < n; i++) {
    // Alternate which goes first, so neither path always follows the other.
    const order: Array<["direct" | "service", string]> = i % 2 ? [["direct", direct], ["service", service]] : [["service", service], ["direct", direct]];
    for (const [k, t] of order) {
      try {
        out[k].push(await get(t));
      } catch {
        out.errors++;
      }
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

async function dnsLoad(serverList: string, seconds: number, concurrency: number, socketCount: number): Promise<void> {
  // Several sockets, like many pods' resolvers: each UDP flow is one conntrack entry, so through a Service each
  // socket sticks to the endpoint its first packet was sent to. Direct runs spread the sockets over the given servers.
  const servers = serverList.split(",");
  const socks = await Promise.all(
    Array.from({ length: socketCount }, async () => {
      const s = dgram.createSocket("udp4");
      await new Promise<void>((r) => s.bind(0, r));
      return s;
    }),
  );
  const sent = new Map<number, { t: number; sock: number }>();
  const lat: number[] = [];
  let answered = 0;
  let failed = 0;
  let nextId = 1;
  const end = performance.now() + seconds * 1000;
  const send = (sock: number): void => {
    if (performance.now() > end) return;
    const id = nextId;
    nextId = (nextId % 65535) + 1;
    sent.set(id, { t: performance.now(), sock });
    socks[sock]!.send(encodeMessage(newQuery("kubernetes.default.svc.cluster.local", RRType.A, { id })), 53, servers[sock % servers.length]);
  };
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onMessage = (msg: Buffer): void => {
    const id = msg.readUInt16BE(0);
    const q = sent.get(id);
    if (q === undefined) return;
    sent.delete(id);
    // NOERROR with at least one answer.
    if ((msg[3]! & 0x0f) === 0 && msg.readUInt16BE(6) > 0) {
      answered++;
      lat.push(performance.now() - q.t);
    } else failed++;
    if (performance.now() < end) send(q.sock);
    else if (sent.size === 0) resolveDone();
  };
  for (const s of socks) s.on("message", onMessage);
  // A lost datagram must not stall its slot: resend what went unanswered for a second.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [id, q] of sent) {
      if (now - q.t < 1000) continue;
      sent.delete(id);
      failed++;
      send(q.sock);
    }
    if (now > end + 1500) resolveDone();
  }, 200);
  const t0 = performance.now();
  for (let i = 0; i < concurrency; i++) send(i % socks.length);
  await done;
  const wall = (Math.min(performance.now(), end) - t0) / 1000;
  clearInterval(sweep);
  for (const s of socks) s.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil(p * lat.length) - 1))] ?? NaN;
  process.stdout.write(JSON.stringify({ answered, failed, seconds: wall, qps: answered / wall, p50: q(0.5), p99: q(0.99) }) + "\n");
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "latency") await latency(rest[0]!, rest[1]!, Number(rest[2] ?? 1000));
else if (mode === "dns") await dnsLoad(rest[0]!, Number(rest[1] ?? 5), Number(rest[2] ?? 32), Number(rest[3] ?? 16));
else {
  process.stderr.write("usage: network_child.ts latency DIRECT SERVICE N | dns SERVERS SECONDS CONCURRENCY SOCKETS\n");
  process.exitCode = 2;
}

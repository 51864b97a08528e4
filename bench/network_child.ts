// The client half of bench/network.ts, run inside a node's network namespace (nsenter --net), so its traffic takes
// the path a pod's or the node's own traffic takes: kube-proxy's rules, the VXLAN to other nodes. Prints one JSON line.
//   latency <direct ip:port> <service ip:port> <requests>   HTTP GETs, a new connection each, direct and service interleaved
//   dns <server ip> <seconds> <concurrency>                  UDP A queries for kubernetes.default, as fast as answered
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

async function dnsLoad(server: string, seconds: number, concurrency: number): Promise<void> {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, r));
  const sent = new Map<number, number>();
  const lat: number[] = [];
  let answered = 0;
  let failed = 0;
  let nextId = 1;
  const end = performance.now() + seconds * 1000;
  const send = (): void => {
    if (performance.now() > end) return;
    const id = nextId;
    nextId = (nextId % 65535) + 1;
    sent.set(id, performance.now());
    sock.send(encodeMessage(newQuery("kubernetes.default.svc.cluster.local", RRType.A, { id })), 53, server);
  };
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  sock.on("message", (msg) => {
    const id = msg.readUInt16BE(0);
    const t = sent.get(id);
    if (t === undefined) return;
    sent.delete(id);
    // NOERROR with at least one answer.
    if ((msg[3]! & 0x0f) === 0 && msg.readUInt16BE(6) > 0) {
      answered++;
      lat.push(performance.now() - t);
    } else failed++;
    if (performance.now() < end) send();
    else if (sent.size === 0) resolveDone();
  });
  // A lost datagram must not stall its slot: resend what went unanswered for a second.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [id, t] of sent) {
      if (now - t < 1000) continue;
      sent.delete(id);
      failed++;
      send();
    }
    if (now > end + 1500) resolveDone();
  }, 200);
  const t0 = performance.now();
  for (let i = 0; i < concurrency; i++) send();
  await done;
  const wall = (Math.min(performance.now(), end) - t0) / 1000;
  clearInterval(sweep);
  sock.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil(p * lat.length) - 1))] ?? NaN;
  process.stdout.write(JSON.stringify({ answered, failed, seconds: wall, qps: answered / wall, p50: q(0.5), p99: q(0.99) }) + "\n");
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "latency") await latency(rest[0]!, rest[1]!, Number(rest[2] ?? 1000));
else if (mode === "dns") await dnsLoad(rest[0]!, Number(rest[1] ?? 5), Number(rest[2] ?? 32));
else {
  process.stderr.write("usage: network_child.ts latency DIRECT SERVICE N | dns SERVER SECONDS CONCURRENCY\n");
  process.exitCode = 2;
}

// Fake node agents for bench/autoscaling: one HTTP server answering GET /n/<node>/stats/summary for every node
// with a summary of its pods (one container each, usage plus two custom metrics samples: a counter that grows
// every scrape and a gauge), in its own process so the metrics server's CPU is measured alone.
//   node --import tsx bench/autoscaling_nodes_child.ts NODES PODS_PER_NODE
// Prints {"url": ...} once it listens; stops on SIGTERM.
import http from "node:http";
import type { AddressInfo } from "node:net";

const nodes = Number(process.argv[2] ?? 1000);
const perNode = Number(process.argv[3] ?? 30);
const scrapes = new Map<string, number>();

function body(node: string, i: number, n: number): string {
  const time = new Date().toISOString();
  const pods = [];
  for (let k = 0; k < perNode; k++) {
    const cpu = { time, usageNanoCores: 50_000_000 + k * 1_000_000, usageCoreNanoSeconds: n * 1_000_000_000 + k };
    const memory = { time, workingSetBytes: 32 * 1024 * 1024, usageBytes: 40 * 1024 * 1024 };
    pods.push({
      podRef: { name: `p-${i * perNode + k}`, namespace: "default", uid: `uid-${i * perNode + k}` },
      startTime: time,
      containers: [{ name: "c", startTime: time, cpu, memory }],
      cpu,
      memory,
      customMetrics: {
        time,
        samples: [
          { name: "http_requests_total", labels: { code: "200" }, value: n * 150 + k, counter: true },
          { name: "queue_depth", value: k % 7 },
        ],
      },
    });
  }
  return JSON.stringify({ node: { nodeName: node, startTime: time, cpu: { time, usageNanoCores: 1e9, usageCoreNanoSeconds: n * 1e9 }, memory: { time, workingSetBytes: 1 << 30, usageBytes: 1 << 30 } }, pods });
}

const server = http.createServer((req, res) => {
  const m = /^\/n\/hollow-node-(\d+)\/stats\/summary$/.exec(req.url ?? "");
  if (!m || Number(m[1]) >= nodes) {
    res.writeHead(404);
    res.end();
    return;
  }
  const name = `hollow-node-${m[1]}`;
  const n = (scrapes.get(name) ?? 0) + 1;
  scrapes.set(name, n);
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(body(name, Number(m[1]), n));
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }) + "\n");
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

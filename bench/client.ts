// REST client transports side by side: node:http (the baseline) against http1_pool.ts, the same requests to the
// same servers in the same run, alternating rounds. Each server runs in its own process, so the CPU figures
// (process.cpuUsage of this process) are the client's alone.
//   node --import tsx bench/client.ts [--requests=4000] [--rounds=3]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "../src/client/rest_client.js";
import { resources } from "../src/client/resources.js";
import { firstLine, pool, stopChild } from "./support.js";

const arg = (name: string, dflt: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
const N = arg("requests", 4000);
const ROUNDS = arg("rounds", 3);

// A server that does as little as a server can: reads the body, answers a fixed pod (about 1 KiB of JSON).
const NULL_SERVER = `
const http = require("node:http");
const pod = JSON.stringify({ kind: "Pod", apiVersion: "v1", metadata: { name: "p", namespace: "default", uid: "0b9f", resourceVersion: "12",
  labels: { app: "bench" } }, spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "100m", memory: "64Mi" } } }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }], podIP: "10.0.0.5" } });
const s = http.createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "Content-Type": "application/json" }); res.end(pod); }); });
s.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ url: "http://127.0.0.1:" + s.address().port }) + "\\n"));
process.on("SIGTERM", () => process.exit(0));
`;

async function startChild(args: string[], what: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const line = await firstLine(child, what);
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

interface Figure {
  cpuMsPerReq: number;
  reqPerSec: number;
}

async function measure(n: number, width: number, job: (i: number) => Promise<unknown>): Promise<Figure> {
  await pool(Math.min(200, n), width, job); // warm-up: sockets open, code paths compiled
  const cpu0 = process.cpuUsage();
  const ms = await pool(n, width, job);
  const cpu = process.cpuUsage(cpu0);
  return { cpuMsPerReq: (cpu.user + cpu.system) / 1000 / n, reqPerSec: (n / ms) * 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = mkdtempSync(join(tmpdir(), "bench-client-"));
const nullSrv = await startChild(["-e", NULL_SERVER], "null server");
const apiSrv = await startChild(["--import", "tsx", "bench/apiserver_child.ts", dataDir], "apiserver");
const transports = ["node:http", "pool"] as const;
const clients = (url: string): Record<(typeof transports)[number], Client> => ({
  "node:http": createClient({ server: url, unaryTransport: "node:http" }),
  pool: createClient({ server: url }),
});
const onNull = clients(nullSrv.url);
const onApi = clients(apiSrv.url);

let seq = 0;
const workloads: { name: string; width: number; n: number; job: (c: Client) => (i: number) => Promise<unknown> }[] = [
  { name: "null server, GET, 1 at a time", width: 1, n: N, job: (c) => () => c.request({ method: "GET", path: "/api/v1/namespaces/default/pods/p" }) },
  { name: "null server, GET, 32 concurrent", width: 32, n: N, job: (c) => () => c.request({ method: "GET", path: "/api/v1/namespaces/default/pods/p" }) },
  { name: "API server, GET namespace, 1 at a time", width: 1, n: N, job: (c) => () => c.resource(resources.namespaces).get(undefined, "default") },
  { name: "API server, GET namespace, 32 concurrent", width: 32, n: N, job: (c) => () => c.resource(resources.namespaces).get(undefined, "default") },
  {
    name: "API server, create configmap, 32 concurrent",
    width: 32,
    n: Math.ceil(N / 2),
    job: (c) => () => c.resource(resources.configmaps).create("default", { metadata: { name: `cm-${seq++}`, labels: { app: "bench" } }, data: { k: "v".repeat(200) } }),
  },
];

const results = new Map<string, Record<string, Figure[]>>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of workloads) {
      const order = round % 2 ? [...transports].reverse() : transports;
      for (const t of order) {
        const c = (w.name.startsWith("null") ? onNull : onApi)[t];
        const f = await measure(w.n, w.width, w.job(c));
        const byT = results.get(w.name) ?? {};
        (byT[t] ??= []).push(f);
        results.set(w.name, byT);
        console.log(`round ${round + 1} ${w.name} ${t}: ${f.cpuMsPerReq.toFixed(3)} ms CPU/req, ${f.reqPerSec.toFixed(0)} req/s`);
      }
    }
  }
  console.log(`\nmedians of ${ROUNDS} rounds; ratios are the median of the per-round ratios [range], ${N} requests per figure:`);
  console.log("| workload | node:http CPU ms/req | pool CPU ms/req | CPU node:http/pool | node:http req/s | pool req/s | req/s pool/node:http |");
  console.log("|---|---|---|---|---|---|---|");
  const ratio = (xs: number[]): string => `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`;
  for (const [name, byT] of results) {
    const node = byT["node:http"]!;
    const own = byT.pool!;
    const cpuRatios = node.map((f, i) => f.cpuMsPerReq / own[i]!.cpuMsPerReq);
    const rateRatios = node.map((f, i) => own[i]!.reqPerSec / f.reqPerSec);
    const cell = (fs: Figure[], k: keyof Figure, digits: number): string => median(fs.map((f) => f[k])).toFixed(digits);
    console.log(`| ${name} | ${cell(node, "cpuMsPerReq", 3)} | ${cell(own, "cpuMsPerReq", 3)} | ${ratio(cpuRatios)} | ${cell(node, "reqPerSec", 0)} | ${cell(own, "reqPerSec", 0)} | ${ratio(rateRatios)} |`);
  }
} finally {
  for (const c of [...Object.values(onNull), ...Object.values(onApi)]) c.close();
  await stopChild(nullSrv.child);
  await stopChild(apiSrv.child);
  rmSync(dataDir, { recursive: true, force: true });
}

// API server benchmark (issue 3): with 30,000 pods stored, latency of create, get, update and list at 200
// concurrent requests, and watch fan-out delay to 200 watchers; each beside the same operation made directly on a
// SQLite store in this process (the baseline).
//   node --import tsx bench/apiserver.ts [--pods=30000] [--concurrency=200] [--watchers=200]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite_storage.js";
import type { Storage } from "../src/storage/types.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const PODS = Number(args.get("pods") ?? 30_000);
const CONC = Number(args.get("concurrency") ?? 200);
const WATCHERS = Number(args.get("watchers") ?? 200);
const NAMESPACES = 10;
const SAMPLES = 2000;
const WATCH_WRITES = 50;

const agent = new Agent({ keepAlive: true, maxSockets: CONC + WATCHERS + 10 });
let base = "";

function pod(ns: string, name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { app: "bench", shard: String(name.length % 7) } },
    spec: {
      nodeName: "node-1",
      containers: [{ name: "app", image: "busybox:1.36", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }],
    },
  };
}

function http(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = request(
      { agent, host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers: data ? { "content-type": contentType, "content-length": Buffer.byteLength(data) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

async function expectOk(p: Promise<{ status: number; text: string }>): Promise<string> {
  const r = await p;
  if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.text;
}

/** Runs `total` operations with `conc` in flight; returns sorted latencies in ms. */
async function load(total: number, conc: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return lat.sort((a, b) => a - b);
}

const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));

interface Row {
  what: string;
  api: number[];
  store: number[];
}
const rows: Row[] = [];
function report(what: string, api: number[], store: number[]): void {
  rows.push({ what, api, store });
  process.stdout.write(
    `${what.padEnd(34)} api p50 ${fmt(pct(api, 50)).padStart(8)} p99 ${fmt(pct(api, 99)).padStart(8)} ms | store p50 ${fmt(pct(store, 50)).padStart(7)} p99 ${fmt(pct(store, 99)).padStart(7)} ms | p99 ratio api/store ${(pct(api, 99) / Math.max(pct(store, 99), 0.001)).toFixed(1)}\n`,
  );
}

async function watchFanout(open: (onEvent: (name: string) => void) => Promise<() => void>, write: (i: number) => Promise<void>): Promise<number[]> {
  const sent = new Map<string, number>();
  const delays: number[] = [];
  let pending = 0;
  let wake: (() => void) | undefined;
  const stops: Array<() => void> = [];
  for (let w = 0; w < WATCHERS; w++) {
    stops.push(
      await open((name) => {
        const t = sent.get(name);
        if (t === undefined) return;
        delays.push(performance.now() - t);
        if (--pending === 0) wake?.();
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < WATCH_WRITES; i++) {
    const name = `fan-${i}`;
    pending = WATCHERS;
    const done = new Promise<void>((r) => (wake = r));
    sent.set(name, performance.now());
    await write(i);
    await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  }
  for (const s of stops) s();
  return delays.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-api-"));
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, join(here, "apiserver_child.ts"), join(dir, "server")], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (c) => reject(new Error(`server exited ${c}`)));
    });
    base = (JSON.parse(first) as { url: string }).url;
    const store: Storage = await openSqliteStorage({ path: join(dir, "baseline.db") });
    process.stdout.write(`k8ts API server benchmark: ${PODS} pods, ${CONC} concurrent, ${WATCHERS} watchers, ${cpus().length} cores, Node ${process.version}\n`);

    for (let n = 0; n < NAMESPACES; n++) await expectOk(http("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: `bench-${n}` } }));
    const nsOf = (i: number): string => `bench-${i % NAMESPACES}`;
    const t0 = performance.now();
    const fill = await load(PODS, CONC, (i) => expectOk(http("POST", `/api/v1/namespaces/${nsOf(i)}/pods`, pod(nsOf(i), `p-${i}`))));
    const fillSecs = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const storeFill = await load(PODS, CONC, (i) => store.create(`/registry/pods/${nsOf(i)}/p-${i}`, JSON.stringify(pod(nsOf(i), `p-${i}`))));
    const storeFillSecs = (performance.now() - t1) / 1000;
    process.stdout.write(`filled ${PODS} pods: api ${fillSecs.toFixed(1)} s (${(PODS / fillSecs).toFixed(0)}/s), store ${storeFillSecs.toFixed(1)} s (${(PODS / storeFillSecs).toFixed(0)}/s)\n`);
    report("create (while filling)", fill, storeFill);

    const createApi = await load(SAMPLES, CONC, (i) => expectOk(http("POST", `/api/v1/namespaces/bench-0/pods`, pod("bench-0", `c-${i}`))));
    const createStore = await load(SAMPLES, CONC, (i) => store.create(`/registry/pods/bench-0/c-${i}`, JSON.stringify(pod("bench-0", `c-${i}`))));
    report("create", createApi, createStore);

    const rnd = (i: number): number => (i * 7919) % PODS;
    const getApi = await load(SAMPLES, CONC, (i) => expectOk(http("GET", `/api/v1/namespaces/${nsOf(rnd(i))}/pods/p-${rnd(i)}`)));
    const getStore = await load(SAMPLES, CONC, (i) => store.get(`/registry/pods/${nsOf(rnd(i))}/p-${rnd(i)}`));
    report("get", getApi, getStore);

    // Updates: each request patches a distinct pod's labels (no self-conflicts), like controllers labelling pods.
    const updApi = await load(SAMPLES, CONC, (i) =>
      expectOk(http("PATCH", `/api/v1/namespaces/${nsOf(i)}/pods/p-${i}`, { metadata: { labels: { touched: String(i) } } }, "application/merge-patch+json")),
    );
    const updStore = await load(SAMPLES, CONC, async (i) => {
      const kv = (await store.get(`/registry/pods/${nsOf(i)}/p-${i}`))!;
      const obj = JSON.parse(kv.value) as { metadata: { labels: Record<string, string> } };
      obj.metadata.labels.touched = String(i);
      await store.update(kv.key, JSON.stringify(obj), { expectedRevision: kv.modRevision });
    });
    report("update (patch labels)", updApi, updStore);

    const LISTS_NS = 40;
    const listNsApi = await load(LISTS_NS, 8, () => expectOk(http("GET", `/api/v1/namespaces/bench-3/pods`)));
    const listNsStore = await load(LISTS_NS, 8, () => store.list(`/registry/pods/bench-3/`));
    report(`list one namespace (${PODS / NAMESPACES})`, listNsApi, listNsStore);
    const listAllApi = await load(6, 2, () => expectOk(http("GET", `/api/v1/pods`)));
    const listAllStore = await load(6, 2, () => store.list(`/registry/pods/`));
    report(`list whole cluster (${PODS})`, listAllApi, listAllStore);

    // Watch fan-out: WATCHERS HTTP watches on one namespace's pods; each write's delay until every watcher saw it.
    const rv = (JSON.parse(await expectOk(http("GET", `/api/v1/namespaces/bench-9/pods?limit=1`))) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const fanApi = await watchFanout(
      async (onEvent) => {
        const u = new URL(`/api/v1/namespaces/bench-9/pods?watch=true&resourceVersion=${rv}`, base);
        const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
          let buf = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            buf += d;
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              const e = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
              if (e.type === "ADDED") onEvent(e.object.metadata?.name ?? "");
            }
          });
        });
        req.on("error", () => undefined);
        req.end();
        return () => req.destroy();
      },
      async (i) => void (await expectOk(http("POST", `/api/v1/namespaces/bench-9/pods`, pod("bench-9", `fan-${i}`)))),
    );
    const srev = await store.currentRevision();
    const fanStore = await watchFanout(
      async (onEvent) => {
        const w = store.watch("/registry/pods/bench-9/", {
          sinceRevision: srev,
          onEvents: (evs) => {
            for (const e of evs) if (e.type === "create") onEvent(e.kv.key.slice(e.kv.key.lastIndexOf("/") + 1));
          },
          onError: () => undefined,
        });
        return () => w.stop();
      },
      async (i) => void (await store.create(`/registry/pods/bench-9/fan-${i}`, JSON.stringify(pod("bench-9", `fan-${i}`)))),
    );
    report(`watch fan-out to ${WATCHERS} (write->event)`, fanApi, fanStore);
    await store.close();

    const mut = rows.filter((r) => r.what === "create" || r.what.startsWith("update")).map((r) => pct(r.api, 99));
    process.stdout.write(
      `\ntargets: mutating p99 ${fmt(Math.max(...mut))} ms (target < 25), cluster-wide list p99 ${fmt(pct(listAllApi, 99))} ms (target < 1000), watch fan-out p99 ${fmt(pct(fanApi, 99))} ms (target < 50)\n`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

// API server benchmark (issue 3): with 30,000 pods stored, latency of create, get, update and list at 200
// concurrent requests, and watch fan-out delay to 200 watchers; each beside two baselines measured in the same run:
// the same operation made directly on a SQLite store in this process, and (create, get, patch) the same requests
// to a null Node.js server that only parses and answers JSON (bench/null_server_child.ts), in one process and in
// two (node:cluster). A sweep then shows create p99 against the number of requests in flight.
// Requests go through a keep-alive socket pool (bench/http_load.ts over src/client/http1_pool.ts), cheap enough not
// to be the bottleneck. Each comparison is cut into rounds the contenders take in turn, so load from elsewhere falls
// on all of them alike.
//   node --import tsx bench/apiserver.ts [--pods=30000] [--concurrency=200] [--sweep=200,50,20] [--watchers=200]
//     [--samples=2000] [--rounds=4]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite_storage.js";
import type { Storage } from "../src/storage/types.js";
import { RawHttpClient, type RawResponse } from "./http_load.js";
import { firstLine, processCpuSec, stopChild } from "./support.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const PODS = Number(args.get("pods") ?? 30_000);
const CONC = Number(args.get("concurrency") ?? 200);
const WATCHERS = Number(args.get("watchers") ?? 200);
const SWEEP = (args.get("sweep") ?? "200,50,20").split(",").map(Number);
const NAMESPACES = 10;
const SAMPLES = Number(args.get("samples") ?? 2000);
/** Requests made and thrown away before each measured phase, so JIT and connection setup are not measured. */
const WARMUP = 400;
/** Rounds each comparison is cut into, taken in turn by its contenders (see interleaved). */
const ROUNDS = Number(args.get("rounds") ?? 4);
const WATCH_WRITES = 50;

// node:http is kept only for the watch phase (long-lived streams, where its per-request cost does not matter).
const watchAgent = new Agent({ keepAlive: true, maxSockets: WATCHERS + 10 });

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

async function expectOk(p: Promise<RawResponse>): Promise<string> {
  const r = await p;
  if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.text;
}

/**
 * Runs `warm` + `total` operations with `conc` in flight; answers the sorted latencies of the last `total` in ms.
 * The first `warm` warm the JIT and the connections and fill the queue: measured requests all meet a queue in its
 * steady state, never the empty one at the start. `onMeasure` runs as the first measured request is issued.
 */
async function load(total: number, conc: number, op: (i: number) => Promise<unknown>, warm = 0, onMeasure?: () => void): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  const all = warm + total;
  if (warm === 0) onMeasure?.();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < all) {
        const i = next++;
        if (i === warm && warm > 0) onMeasure?.();
        const t0 = performance.now();
        await op(i);
        if (i >= warm) lat.push(performance.now() - t0);
      }
    }),
  );
  return lat.sort((a, b) => a - b);
}

const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));

/** CPU seconds the processes (all their threads) have used, from /proc; 0 for any whose figure is unreadable. */
function cpuSecs(pids: number[]): number {
  let secs = 0;
  for (const pid of pids) secs += processCpuSec(pid) || 0;
  return secs;
}

/** A server under load: the k8ts API server or a null floor; `pids` are its processes (for CPU per request). */
interface Target {
  name: string;
  client: RawHttpClient;
  pids: number[];
}

interface Measured {
  lat: number[];
  perSec: number;
  /** Server CPU per request in ms (every process and thread of the server). */
  serverMs: number;
  /** Load generator CPU per request in ms (this process). */
  clientMs: number;
}

/** `n` operations with `conc` in flight, after `warm` unmeasured ones (see load). */
async function measure(n: number, conc: number, op: (i: number) => Promise<unknown>, pids: number[] = [], warm = 0): Promise<Measured> {
  let s0 = 0;
  let c0 = process.cpuUsage();
  let t0 = 0;
  const lat = await load(n, conc, op, warm, () => {
    s0 = cpuSecs(pids);
    c0 = process.cpuUsage();
    t0 = performance.now();
  });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { lat, perSec: (n / wall) * 1000, serverMs: ((cpuSecs(pids) - s0) * 1000) / n, clientMs: (c.user + c.system) / 1000 / n };
}

function line(what: string, who: string, m: Measured): void {
  const cpu = m.serverMs > 0 ? ` | server CPU ${m.serverMs.toFixed(3)} ms/req` : "";
  process.stdout.write(
    `${what.padEnd(30)} ${who.padEnd(10)} p50 ${fmt(pct(m.lat, 50)).padStart(7)} p99 ${fmt(pct(m.lat, 99)).padStart(7)} ms | ${m.perSec.toFixed(0).padStart(6)}/s${cpu} | client CPU ${m.clientMs.toFixed(3)} ms/req\n`,
  );
}

interface Row {
  what: string;
  api: Measured;
  store: Measured;
  floor?: Measured;
  floor2?: Measured;
}
const rows: Row[] = [];
function report(row: Row): void {
  rows.push(row);
  line(row.what, "api", row.api);
  line("", "store", row.store);
  if (row.floor) line("", "floor x1", row.floor);
  if (row.floor2) line("", "floor x2", row.floor2);
  const ratios = [`api/store ${(pct(row.api.lat, 99) / Math.max(pct(row.store.lat, 99), 0.001)).toFixed(1)}`];
  if (row.floor) ratios.push(`api/floor ${(pct(row.api.lat, 99) / pct(row.floor.lat, 99)).toFixed(1)}`);
  process.stdout.write(`${"".padEnd(30)} p99 ratio ${ratios.join(", ")}\n`);
}

async function startChild(script: string, argv: string[]): Promise<{ child: ChildProcess; url: string; pids: number[] }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, join(here, script), ...argv], { stdio: ["ignore", "pipe", "inherit"] });
  const first = JSON.parse(await firstLine(child, script)) as { url: string; pids?: number[] };
  return { child, url: first.url, pids: first.pids ?? [child.pid!] };
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
  const children: ChildProcess[] = [];
  const clients: RawHttpClient[] = [];
  const width = Math.max(CONC, ...SWEEP);
  try {
    const k8ts = await startChild("apiserver_child.ts", [join(dir, "server")]);
    children.push(k8ts.child);
    const api: Target = { name: "api", client: new RawHttpClient(k8ts.url, width), pids: k8ts.pids };
    clients.push(api.client);
    const http = (method: string, path: string, body?: unknown, contentType?: string): Promise<RawResponse> =>
      api.client.request(method, path, body === undefined ? undefined : JSON.stringify(body), contentType);
    const store: Storage = await openSqliteStorage({ path: join(dir, "baseline.db") });
    process.stdout.write(
      `k8ts API server benchmark: ${PODS} pods, ${CONC} concurrent, sweep ${SWEEP.join("/")}, ${WATCHERS} watchers, ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n` +
        `client: keep-alive HTTP/1.1 socket pool (bench/http_load.ts over src/client/http1_pool.ts); floor: bench/null_server_child.ts (x1: one process, x2: node:cluster, 2 workers)\n`,
    );

    await api.client.warm(CONC);
    for (let n = 0; n < NAMESPACES; n++) await expectOk(http("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: `bench-${n}` } }));
    const nsOf = (i: number): string => `bench-${i % NAMESPACES}`;
    const fill = await measure(PODS, CONC, (i) => expectOk(http("POST", `/api/v1/namespaces/${nsOf(i)}/pods`, pod(nsOf(i), `p-${i}`))), api.pids);
    const storeFill = await measure(PODS, CONC, (i) => store.create(`/registry/pods/${nsOf(i)}/p-${i}`, JSON.stringify(pod(nsOf(i), `p-${i}`))));
    report({ what: `create (fill ${PODS})`, api: fill, store: storeFill });

    // The floor answers what k8ts answered: one response of each operation, captured now, is its template.
    const last = PODS - 1;
    const templates = {
      create: await expectOk(http("POST", `/api/v1/namespaces/bench-0/pods`, pod("bench-0", "template-0"))),
      get: await expectOk(http("GET", `/api/v1/namespaces/${nsOf(last)}/pods/p-${last}`)),
      patch: await expectOk(
        http("PATCH", `/api/v1/namespaces/${nsOf(last)}/pods/p-${last}`, { metadata: { labels: { touched: "template" } } }, "application/merge-patch+json"),
      ),
    };
    writeFileSync(join(dir, "templates.json"), JSON.stringify(templates));
    process.stdout.write(`response sizes (bytes, the floor answers the same): create ${templates.create.length}, get ${templates.get.length}, patch ${templates.patch.length}\n`);
    const floors: Target[] = [];
    for (const [name, procs] of [["floor x1", "1"], ["floor x2", "2"]] as const) {
      const f = await startChild("null_server_child.ts", [join(dir, "templates.json"), procs]);
      children.push(f.child);
      floors.push({ name, client: new RawHttpClient(f.url, width), pids: f.pids });
      clients.push(floors.at(-1)!.client);
    }
    const [floor1, floor2] = floors as [Target, Target];

    const req = (c: RawHttpClient, method: string, path: string, body?: unknown, contentType?: string): Promise<string> =>
      expectOk(c.request(method, path, body === undefined ? undefined : JSON.stringify(body), contentType));
    type Op = (i: number) => Promise<unknown>;
    /** One server's (or the store's) part in a comparison: `op(i)` measured, `warm(i)` thrown away, never the same i twice. */
    interface Contender {
      pids: number[];
      client?: RawHttpClient;
      op: Op;
      warm: Op;
    }
    const over = (t: Target, op: (c: RawHttpClient, i: number) => Promise<unknown>, warm: (c: RawHttpClient, i: number) => Promise<unknown>): Contender => ({
      pids: t.pids,
      client: t.client,
      op: (i) => op(t.client, i),
      warm: (i) => warm(t.client, i),
    });
    const create = (prefix: string) => (c: RawHttpClient, i: number) => req(c, "POST", `/api/v1/namespaces/bench-0/pods`, pod("bench-0", `${prefix}-${i}`));
    const rnd = (i: number): number => (i * 7919) % PODS;
    const get = (c: RawHttpClient, i: number): Promise<string> => req(c, "GET", `/api/v1/namespaces/${nsOf(rnd(i))}/pods/p-${rnd(i)}`);
    // Updates: each request patches a distinct pod's labels (no self-conflicts), like controllers labelling pods;
    // measured on pods 0..SAMPLES-1, warm-ups on the pods after them.
    const patch = (offset: number) => (c: RawHttpClient, i: number) =>
      req(c, "PATCH", `/api/v1/namespaces/${nsOf(i + offset)}/pods/p-${i + offset}`, { metadata: { labels: { touched: String(i) } } }, "application/merge-patch+json");
    const storeCreate = (prefix: string) => (i: number) => store.create(`/registry/pods/bench-0/${prefix}-${i}`, JSON.stringify(pod("bench-0", `${prefix}-${i}`)));
    const storeGet = (i: number) => store.get(`/registry/pods/${nsOf(rnd(i))}/p-${rnd(i)}`);
    const storeUpdate = (offset: number) => async (j: number) => {
      const i = j + offset;
      const kv = (await store.get(`/registry/pods/${nsOf(i)}/p-${i}`))!;
      const obj = JSON.parse(kv.value) as { metadata: { labels: Record<string, string> } };
      obj.metadata.labels.touched = String(i);
      await store.update(kv.key, JSON.stringify(obj), { expectedRevision: kv.modRevision });
    };

    /**
     * SAMPLES operations on each contender with `conc` in flight, in ROUNDS rounds taken in turn (A B C A B C ...), so
     * a burst of load from elsewhere on the shared machine falls on every contender alike. Each round opens with
     * throw-away operations that fill the queue (WARMUP in the first round, which also warms the JIT; `conc` after).
     */
    const interleaved = async (cs: Contender[], conc: number): Promise<Measured[]> => {
      const per = Math.ceil(SAMPLES / ROUNDS);
      const acc = cs.map(() => ({ lat: [] as number[], wall: 0, server: 0, client: 0, n: 0 }));
      let warmed = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const w = r === 0 ? WARMUP : conc;
        for (const [k, c] of cs.entries()) {
          await c.client?.warm(conc);
          const m = await measure(per, conc, (i) => (i < w ? c.warm(warmed + i) : c.op(r * per + i - w)), c.pids, w);
          const a = acc[k]!;
          a.lat.push(...m.lat);
          a.wall += (per / m.perSec) * 1000;
          a.server += m.serverMs * per;
          a.client += m.clientMs * per;
          a.n += per;
        }
        warmed += w;
      }
      return acc.map((a) => ({ lat: a.lat.sort((x, y) => x - y), perSec: (a.n / a.wall) * 1000, serverMs: a.server / a.n, clientMs: a.client / a.n }));
    };
    type ClientOp = (c: RawHttpClient, i: number) => Promise<unknown>;
    const compare = async (what: string, op: ClientOp, warm: ClientOp, store: Contender): Promise<Row> => {
      const [a, f1, f2, s] = await interleaved([...[api, floor1, floor2].map((t) => over(t, op, warm)), store], CONC);
      const row = { what, api: a!, floor: f1!, floor2: f2!, store: s! };
      report(row);
      return row;
    };

    // The API server is warm from the fill; the floors get as many mixed requests before any is measured.
    for (const f of [floor1, floor2]) {
      await f.client.warm(CONC);
      await load(Math.min(PODS, 10_000), CONC, (i) => [create("prime"), get, patch(0)][i % 3]!(f.client, i));
    }
    const cr = await compare("create", create("c"), create("wc"), { pids: [], op: storeCreate("c"), warm: storeCreate("wc") });
    await compare("get", get, get, { pids: [], op: storeGet, warm: storeGet });
    const up = await compare("update (merge patch of labels)", patch(0), patch(SAMPLES), { pids: [], op: storeUpdate(0), warm: storeUpdate(SAMPLES) });

    // Create p99 against concurrency: at which number in flight 25 ms is reachable, for k8ts and for the floor.
    const sweep: Array<{ conc: number; api: Measured; floor: Measured; floor2: Measured }> = [];
    for (const conc of SWEEP) {
      const [a, f1, f2] = await interleaved(
        [api, floor1, floor2].map((t) => over(t, create(`s${conc}`), create(`ws${conc}`))),
        conc,
      );
      const m = { conc, api: a!, floor: f1!, floor2: f2! };
      sweep.push(m);
      process.stdout.write(
        `create at ${String(conc).padStart(3)} in flight: p99 api ${fmt(pct(m.api.lat, 99))} ms (${m.api.perSec.toFixed(0)}/s), floor x1 ${fmt(pct(m.floor.lat, 99))} ms (${m.floor.perSec.toFixed(0)}/s), floor x2 ${fmt(pct(m.floor2.lat, 99))} ms (${m.floor2.perSec.toFixed(0)}/s)\n`,
      );
    }

    const LISTS_NS = 40;
    const listNsApi = await measure(LISTS_NS, 8, () => expectOk(http("GET", `/api/v1/namespaces/bench-3/pods`)), api.pids);
    const listNsStore = await measure(LISTS_NS, 8, () => store.list(`/registry/pods/bench-3/`));
    report({ what: `list one namespace (${PODS / NAMESPACES})`, api: listNsApi, store: listNsStore });
    const listAllApi = await measure(6, 2, () => expectOk(http("GET", `/api/v1/pods`)), api.pids);
    const listAllStore = await measure(6, 2, () => store.list(`/registry/pods/`));
    report({ what: `list whole cluster (${PODS})`, api: listAllApi, store: listAllStore });

    // Watch fan-out: WATCHERS HTTP watches on one namespace's pods; each write's delay until every watcher saw it.
    const rv = (JSON.parse(await expectOk(http("GET", `/api/v1/namespaces/bench-9/pods?limit=1`))) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const fanApi = await watchFanout(
      async (onEvent) => {
        const u = new URL(`/api/v1/namespaces/bench-9/pods?watch=true&resourceVersion=${rv}`, k8ts.url);
        const req = request({ agent: watchAgent, host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
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
    const asMeasured = (lat: number[]): Measured => ({ lat, perSec: 0, serverMs: 0, clientMs: 0 });
    report({ what: `watch fan-out to ${WATCHERS}`, api: asMeasured(fanApi), store: asMeasured(fanStore) });
    await store.close();

    // Markdown for docs/benchmarks.md.
    const ms = (m: Measured | undefined, p: number): string => (m ? `${fmt(pct(m.lat, p))} ms` : "-");
    const cpu = (m: Measured | undefined): string => (m && m.serverMs > 0 ? m.serverMs.toFixed(3) : "-");
    process.stdout.write(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n\n`);
    process.stdout.write("| operation | API p50 / p99 | store p50 / p99 | floor x1 p50 / p99 | floor x2 p50 / p99 | p99 API/floor x1 | API / floor x1 req/s | server CPU ms/req API / floor x1 |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (const r of rows) {
      const ratio = r.floor ? (pct(r.api.lat, 99) / pct(r.floor.lat, 99)).toFixed(1) : "-";
      const rate = r.api.perSec > 0 ? `${r.api.perSec.toFixed(0)} / ${r.floor ? r.floor.perSec.toFixed(0) : "-"}` : "-";
      process.stdout.write(
        `| ${r.what} | ${ms(r.api, 50)} / ${ms(r.api, 99)} | ${ms(r.store, 50)} / ${ms(r.store, 99)} | ${ms(r.floor, 50)} / ${ms(r.floor, 99)} | ${ms(r.floor2, 50)} / ${ms(r.floor2, 99)} | ${ratio} | ${rate} | ${cpu(r.api)} / ${cpu(r.floor)} |\n`,
      );
    }
    process.stdout.write("\n| creates in flight | API p99 | floor x1 p99 | floor x2 p99 | API / floor x1 / floor x2 req/s |\n| --- | --- | --- | --- | --- |\n");
    for (const m of sweep) {
      process.stdout.write(`| ${m.conc} | ${ms(m.api, 99)} | ${ms(m.floor, 99)} | ${ms(m.floor2, 99)} | ${m.api.perSec.toFixed(0)} / ${m.floor.perSec.toFixed(0)} / ${m.floor2.perSec.toFixed(0)} |\n`);
    }
    // One event loop serves a queue of N requests at S ms of CPU each in N x S ms: a bound no tuning of waits removes.
    const bound = (m: Measured): string => `${fmt(CONC * m.serverMs)} ms`;
    process.stdout.write(
      `\nqueue bound at ${CONC} in flight (in flight x server CPU per request): create api ${bound(cr.api)}, floor x1 ${bound(cr.floor!)}; update api ${bound(up.api)}, floor x1 ${bound(up.floor!)}\n`,
    );
    const mut = [cr.api, up.api].map((m) => pct(m.lat, 99));
    process.stdout.write(
      `\ntargets: mutating p99 ${fmt(Math.max(...mut))} ms (target < 25; null floor x1 ${fmt(Math.max(pct(cr.floor!.lat, 99), pct(up.floor!.lat, 99)))} ms at the same ${CONC} in flight), cluster-wide list p99 ${fmt(pct(listAllApi.lat, 99))} ms (target < 1000), watch fan-out p99 ${fmt(pct(fanApi, 99))} ms (target < 50)\n`,
    );
  } finally {
    for (const c of clients) c.close();
    watchAgent.destroy();
    for (const ch of children) await stopChild(ch);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

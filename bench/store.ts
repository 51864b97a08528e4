// Storage benchmark: the SQLite and etcd backends, same machine, same run, same workload.
//   node --import tsx bench/store.ts [--backend=both|sqlite|etcd] [--scale=1] [--rounds=5]
// Both stores stay open for the whole run; each round measures every figure on both back to back. Prints each
// figure per round, then medians and the SQLite/etcd ratio. etcd is a real single-member etcd started on loopback
// with a temp data dir (src/storage/etcd/testing.ts); SQLite a temp database file.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { isStorageError } from "../src/storage/errors.js";
import { openEtcdStorage } from "../src/storage/etcd/etcd_storage.js";
import { startEtcd } from "../src/storage/etcd/testing.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite_storage.js";
import type { KeyValue, Storage, Watch } from "../src/storage/types.js";
import { silentLogger } from "../src/util/log.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const which = args.get("backend") ?? "both";
const scale = Number(args.get("scale") ?? "1");
const n = (x: number) => Math.max(1, Math.round(x * scale));

const SEQ_CREATES = n(1000);
const WRITERS = 32;
const CREATES_PER_WRITER = n(100);
const CAS_WORKERS = 32;
const CAS_KEYS = 4;
const CAS_PER_WORKER = n(25);
const LIST_KEYS = 10_000;
const LIST_RUNS = 5;
const WATCHERS = 100;
const WATCH_WRITES = n(300);
/** A typical small object (a ConfigMap-sized JSON document). */
const VALUE = JSON.stringify({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "x", namespace: "default", labels: { app: "bench" } }, data: { k: "v".repeat(400) } });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function sequentialCreates(store: Storage, root: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < SEQ_CREATES; i++) await store.create(`${root}/seq/${i}`, VALUE);
  return SEQ_CREATES / ((performance.now() - t0) / 1000);
}

async function concurrentCreates(store: Storage, root: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < CREATES_PER_WRITER; i++) await store.create(`${root}/par/${w}/${i}`, VALUE);
    }),
  );
  return (WRITERS * CREATES_PER_WRITER) / ((performance.now() - t0) / 1000);
}

/** CAS_WORKERS read-modify-write loops over CAS_KEYS counters: successful updates per second, and conflicts. */
async function contendedCas(store: Storage, root: string): Promise<{ perSec: number; conflicts: number }> {
  for (let k = 0; k < CAS_KEYS; k++) await store.create(`${root}/cas/${k}`, "0");
  let conflicts = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CAS_WORKERS }, async (_, w) => {
      const key = `${root}/cas/${w % CAS_KEYS}`;
      let cur: KeyValue = (await store.get(key))!;
      for (let done = 0; done < CAS_PER_WORKER; ) {
        try {
          cur = await store.update(key, String(Number(cur.value) + 1), { expectedRevision: cur.modRevision });
          done++;
        } catch (err) {
          if (!isStorageError(err, "Conflict") || !err.current) throw err;
          conflicts++;
          cur = err.current;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  let total = 0;
  for (let k = 0; k < CAS_KEYS; k++) total += Number((await store.get(`${root}/cas/${k}`))!.value);
  if (total !== CAS_WORKERS * CAS_PER_WORKER) throw new Error(`CAS lost updates: ${total} != ${CAS_WORKERS * CAS_PER_WORKER}`);
  return { perSec: total / secs, conflicts };
}

/** Median time of a full (unpaged) list of LIST_KEYS keys. */
async function listLarge(store: Storage, root: string): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < LIST_KEYS; i = next++) await store.create(`${root}/list/${String(i).padStart(5, "0")}`, VALUE);
    }),
  );
  const times: number[] = [];
  for (let r = 0; r < LIST_RUNS; r++) {
    const t0 = performance.now();
    const res = await store.list(`${root}/list/`);
    times.push(performance.now() - t0);
    if (res.items.length !== LIST_KEYS) throw new Error(`list returned ${res.items.length} items`);
  }
  return times.sort((a, b) => a - b)[Math.floor(LIST_RUNS / 2)]!;
}

/** WATCHERS watches on one prefix; one write at a time; latency from issuing the write to each delivery. */
async function watchLatency(store: Storage, root: string): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  const issued = new Map<string, number>();
  let pending = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const since = await store.currentRevision();
  const watches: Watch[] = [];
  for (let w = 0; w < WATCHERS; w++) {
    watches.push(
      store.watch(`${root}/watch/`, {
        sinceRevision: since,
        onEvents: (events) => {
          const now = performance.now();
          for (const e of events) samples.push(now - issued.get(e.kv.key)!);
          pending -= events.length;
          if (pending <= 0) wake?.();
        },
        onError: (err) => {
          failure = err;
          wake?.();
        },
      }),
    );
  }
  try {
    // Warm-up: wait until every watch delivers one event, so all are established before measuring (a watch
    // still being set up when a write lands is a start-up cost, not delivery latency).
    pending += WATCHERS;
    const ready = new Promise<void>((resolve) => (wake = resolve));
    issued.set(`${root}/watch/warmup`, performance.now());
    await store.create(`${root}/watch/warmup`, VALUE);
    if (pending > 0) await ready;
    if (failure) throw failure;
    samples.length = 0;
    for (let i = 0; i < WATCH_WRITES; i++) {
      const key = `${root}/watch/${i}`;
      pending += WATCHERS;
      const delivered = new Promise<void>((resolve) => (wake = resolve));
      issued.set(key, performance.now());
      await store.create(key, VALUE);
      if (pending > 0) await delivered;
      if (failure) throw failure;
    }
  } finally {
    for (const w of watches) w.stop();
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

type Backend = "sqlite" | "etcd";

/** One figure: how to measure it on a store, how to print it, and which direction is better. */
interface Workload {
  name: string;
  run: (store: Storage, root: string) => Promise<number[]>;
  labels: string[];
  digits: number;
  better: "higher" | "lower";
}

const WORKLOADS: Workload[] = [
  { name: "creates, 1 writer", run: async (s, r) => [await sequentialCreates(s, r)], labels: ["creates/s, 1 writer"], digits: 0, better: "higher" },
  { name: `creates, ${WRITERS} writers`, run: async (s, r) => [await concurrentCreates(s, r)], labels: [`creates/s, ${WRITERS} concurrent writers`], digits: 0, better: "higher" },
  {
    name: "contended CAS",
    run: async (s, r) => {
      const c = await contendedCas(s, r);
      return [c.perSec, c.conflicts];
    },
    labels: [`CAS updates/s, ${CAS_WORKERS} workers on ${CAS_KEYS} keys`, "CAS conflicts"],
    digits: 0,
    better: "higher",
  },
  { name: `list ${LIST_KEYS}`, run: async (s, r) => [await listLarge(s, r)], labels: [`list of ${LIST_KEYS} keys (ms)`], digits: 1, better: "lower" },
  {
    name: "watch latency",
    run: async (s, r) => {
      const w = await watchLatency(s, r);
      return [w.p50, w.p99];
    },
    labels: [`watch latency p50, ${WATCHERS} watchers (ms)`, `watch latency p99, ${WATCHERS} watchers (ms)`],
    digits: 2,
    better: "lower",
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function etcdVersion(): string {
  try {
    return execFileSync("/usr/bin/etcd", ["--version"], { encoding: "utf8" }).split("\n")[0]!.replace("etcd Version: ", "");
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const rounds = Number(args.get("rounds") ?? "5");
  console.log(`# bench/store ${new Date().toISOString()} node ${process.version}, etcd ${etcdVersion()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, scale ${scale}, ${rounds} rounds`);
  const backends = (["sqlite", "etcd"] as const).filter((b) => which === "both" || which === b);
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-sqlite-"));
  const etcd = backends.includes("etcd") ? await startEtcd({ members: 1 }) : undefined;
  const stores = new Map<Backend, Storage>();
  // results[backend][label] = one value per round
  const results: Record<Backend, Map<string, number[]>> = { sqlite: new Map(), etcd: new Map() };
  try {
    if (backends.includes("sqlite")) stores.set("sqlite", await openSqliteStorage({ path: join(dir, "state.db"), logger: silentLogger }));
    if (etcd) stores.set("etcd", await openEtcdStorage({ endpoints: etcd.endpoints, logger: silentLogger }));
    for (let r = 0; r < rounds; r++) {
      console.log(`round ${r + 1}`);
      for (const [wi, w] of WORKLOADS.entries()) {
        // Each figure is measured on both backends back to back, in alternating order, so both see the same
        // machine conditions (other jobs on a shared machine change fsync and CPU times from minute to minute).
        const order = (r + wi) % 2 === 0 ? backends : [...backends].reverse();
        for (const b of order) {
          const values = await w.run(stores.get(b)!, `/bench/r${r}`);
          w.labels.forEach((label, i) => {
            const list = results[b].get(label) ?? [];
            list.push(values[i]!);
            results[b].set(label, list);
          });
          console.log(`  ${b.padEnd(6)} ${w.labels.map((l, i) => `${l}: ${values[i]!.toFixed(w.digits)}`).join(", ")}`);
        }
      }
    }
  } finally {
    for (const s of stores.values()) await s.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (backends.length < 2) return;
  console.log(`\nMedians of ${rounds} rounds; the ratio is the median of the per-round ratios (each round measures both back to back).\n`);
  console.log("| figure | SQLite | etcd | SQLite/etcd | ratio range |\n|---|---|---|---|---|");
  for (const w of WORKLOADS) {
    for (const label of w.labels) {
      const s = results.sqlite.get(label)!;
      const e = results.etcd.get(label)!;
      const ratios = s.map((v, i) => v / e[i]!);
      const better = label === "CAS conflicts" ? "" : ` (${w.better} is better)`;
      console.log(`| ${label} | ${median(s).toFixed(w.digits)} | ${median(e).toFixed(w.digits)} | ${median(ratios).toFixed(2)}${better} | ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)} |`);
    }
  }
}

await main();

// Storage benchmark: the SQLite and etcd backends, same machine, same run, same workload.
//   node --import tsx bench/store.ts [--backend=both|sqlite|etcd] [--scale=1] [--rounds=3]
// Prints each figure per backend and round, then the medians and the ratio SQLite/etcd. etcd is a real single-member etcd started on
// loopback with a temp data dir (src/storage/etcd/testing.ts); SQLite a temp database file.
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

interface Figures {
  createsPerSec1: number;
  createsPerSec32: number;
  casPerSec: number;
  casConflicts: number;
  listMs: number;
  watchP50Ms: number;
  watchP99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function sequentialCreates(store: Storage): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < SEQ_CREATES; i++) await store.create(`/bench/seq/${i}`, VALUE);
  return SEQ_CREATES / ((performance.now() - t0) / 1000);
}

async function concurrentCreates(store: Storage): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < CREATES_PER_WRITER; i++) await store.create(`/bench/par/${w}/${i}`, VALUE);
    }),
  );
  return (WRITERS * CREATES_PER_WRITER) / ((performance.now() - t0) / 1000);
}

/** CAS_WORKERS read-modify-write loops over CAS_KEYS counters: successful updates per second, and conflicts. */
async function contendedCas(store: Storage): Promise<{ perSec: number; conflicts: number }> {
  for (let k = 0; k < CAS_KEYS; k++) await store.create(`/bench/cas/${k}`, "0");
  let conflicts = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CAS_WORKERS }, async (_, w) => {
      const key = `/bench/cas/${w % CAS_KEYS}`;
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
  for (let k = 0; k < CAS_KEYS; k++) total += Number((await store.get(`/bench/cas/${k}`))!.value);
  if (total !== CAS_WORKERS * CAS_PER_WORKER) throw new Error(`CAS lost updates: ${total} != ${CAS_WORKERS * CAS_PER_WORKER}`);
  return { perSec: total / secs, conflicts };
}

/** Median time of a full (unpaged) list of LIST_KEYS keys. */
async function listLarge(store: Storage): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < LIST_KEYS; i = next++) await store.create(`/bench/list/${String(i).padStart(5, "0")}`, VALUE);
    }),
  );
  const times: number[] = [];
  for (let r = 0; r < LIST_RUNS; r++) {
    const t0 = performance.now();
    const res = await store.list("/bench/list/");
    times.push(performance.now() - t0);
    if (res.items.length !== LIST_KEYS) throw new Error(`list returned ${res.items.length} items`);
  }
  return times.sort((a, b) => a - b)[Math.floor(LIST_RUNS / 2)]!;
}

/** WATCHERS watches on one prefix; one write at a time; latency from issuing the write to each delivery. */
async function watchLatency(store: Storage): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  const issued = new Map<string, number>();
  let pending = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const since = await store.currentRevision();
  const watches: Watch[] = [];
  for (let w = 0; w < WATCHERS; w++) {
    watches.push(
      store.watch("/bench/watch/", {
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
    issued.set("/bench/watch/warmup", performance.now());
    await store.create("/bench/watch/warmup", VALUE);
    if (pending > 0) await ready;
    if (failure) throw failure;
    samples.length = 0;
    for (let i = 0; i < WATCH_WRITES; i++) {
      const key = `/bench/watch/${i}`;
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

async function measure(name: string, store: Storage): Promise<Figures> {
  const log = (what: string, v: string) => console.log(`  ${name.padEnd(6)} ${what.padEnd(34)} ${v}`);
  const createsPerSec1 = await sequentialCreates(store);
  log("creates/s, 1 writer", createsPerSec1.toFixed(0));
  const createsPerSec32 = await concurrentCreates(store);
  log(`creates/s, ${WRITERS} writers`, createsPerSec32.toFixed(0));
  const cas = await contendedCas(store);
  log(`CAS updates/s, ${CAS_WORKERS} workers on ${CAS_KEYS} keys`, `${cas.perSec.toFixed(0)} (${cas.conflicts} conflicts)`);
  const listMs = await listLarge(store);
  log(`list ${LIST_KEYS} keys (ms, median)`, listMs.toFixed(1));
  const w = await watchLatency(store);
  log(`watch latency, ${WATCHERS} watchers (ms)`, `p50 ${w.p50.toFixed(2)} p99 ${w.p99.toFixed(2)}`);
  return { createsPerSec1, createsPerSec32, casPerSec: cas.perSec, casConflicts: cas.conflicts, listMs, watchP50Ms: w.p50, watchP99Ms: w.p99 };
}

async function benchSqlite(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-sqlite-"));
  const store = await openSqliteStorage({ path: join(dir, "state.db"), logger: silentLogger });
  try {
    return await measure("sqlite", store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchEtcd(): Promise<Figures> {
  const etcd = await startEtcd({ members: 1 });
  try {
    const store = await openEtcdStorage({ endpoints: etcd.endpoints, logger: silentLogger });
    try {
      return await measure("etcd", store);
    } finally {
      await store.close();
    }
  } finally {
    await etcd.stop();
  }
}

function etcdVersion(): string {
  try {
    return execFileSync("/usr/bin/etcd", ["--version"], { encoding: "utf8" }).split("\n")[0]!.replace("etcd Version: ", "");
  } catch {
    return "unknown";
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianFigures(all: Figures[]): Figures {
  const keys = Object.keys(all[0]!) as (keyof Figures)[];
  return Object.fromEntries(keys.map((k) => [k, median(all.map((f) => f[k]))])) as unknown as Figures;
}

async function main(): Promise<void> {
  const rounds = Number(args.get("rounds") ?? "3");
  console.log(`# bench/store ${new Date().toISOString()} node ${process.version}, etcd ${etcdVersion()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, scale ${scale}, ${rounds} rounds`);
  const results: Record<"sqlite" | "etcd", Figures[]> = { sqlite: [], etcd: [] };
  const backends = (["sqlite", "etcd"] as const).filter((b) => which === "both" || which === b);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so a machine busy with other work in one period does not favour one backend.
    const order = r % 2 === 0 ? backends : [...backends].reverse();
    console.log(`round ${r + 1}`);
    for (const b of order) results[b].push(b === "sqlite" ? await benchSqlite() : await benchEtcd());
  }
  if (backends.length < 2) return;
  const sqlite = medianFigures(results.sqlite);
  const etcd = medianFigures(results.etcd);
  const row = (what: string, s: number, e: number, digits: number, better: "higher" | "lower") =>
    console.log(`| ${what} | ${s.toFixed(digits)} | ${e.toFixed(digits)} | ${(s / e).toFixed(2)} (${better} is better) |`);
  console.log(`\nMedians of ${rounds} rounds:\n\n| figure | SQLite | etcd | SQLite/etcd |\n|---|---|---|---|`);
  row("creates/s, 1 writer", sqlite.createsPerSec1, etcd.createsPerSec1, 0, "higher");
  row(`creates/s, ${WRITERS} concurrent writers`, sqlite.createsPerSec32, etcd.createsPerSec32, 0, "higher");
  row(`CAS updates/s, ${CAS_WORKERS} workers on ${CAS_KEYS} keys`, sqlite.casPerSec, etcd.casPerSec, 0, "higher");
  row(`list of ${LIST_KEYS} keys (ms)`, sqlite.listMs, etcd.listMs, 1, "lower");
  row(`watch latency p50, ${WATCHERS} watchers (ms)`, sqlite.watchP50Ms, etcd.watchP50Ms, 2, "lower");
  row(`watch latency p99, ${WATCHERS} watchers (ms)`, sqlite.watchP99Ms, etcd.watchP99Ms, 2, "lower");
  console.log(`\nCAS conflicts (median): SQLite ${sqlite.casConflicts}, etcd ${etcd.casConflicts}`);
}

await main();

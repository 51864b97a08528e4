// Registry CPU per request (the layers under the HTTP server: generic store, strategies, validation, unknown-field
// detection, managed fields, watch cache, SQLite store with its writer thread), without HTTP. Pod creates and
// merge patches of pod labels go straight to the registry's pod store, 200 in flight, beside the baseline of the same
// writes made directly on the SQLite store (no registry), in the same process and in alternating rounds, so load
// from elsewhere falls on both alike. CPU is process CPU (process.cpuUsage: main thread and writer thread).
//   node --import tsx bench/registry.ts [--pods=4000] [--rounds=3] [--concurrency=200]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { StoredObject } from "../src/api/object.js";
import { schemaResolver } from "../src/api/openapi/schemas.js";
import { createRegistry } from "../src/registry/registry.js";
import type { RequestContext, ResourceStore } from "../src/registry/rest.js";
import { ALL_RESOURCES } from "../src/registry/resources/all.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite_storage.js";
import type { Storage } from "../src/storage/types.js";
import { silentLogger } from "../src/util/log.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const PODS = Number(args.get("pods") ?? 4000);
const ROUNDS = Number(args.get("rounds") ?? 3);
const CONC = Number(args.get("concurrency") ?? 200);
const NS = "bench-0";

function pod(name: string): StoredObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { app: "bench", shard: "1" } },
    spec: { nodeName: "node-1", containers: [{ name: "app", image: "busybox:1.36", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
  };
}

function ctx(): RequestContext {
  return { namespace: NS, version: "v1", user: { username: "bench", groups: [] }, dryRun: false, fieldValidation: "Strict", warnings: [], fieldManager: "bench" };
}

/** Runs fn(i) for i in [0, n) with CONC in flight; returns process CPU microseconds per call. */
async function cpuPerOp(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-bench-registry-"));
  let regStorage: Storage | undefined;
  let rawStorage: Storage | undefined;
  try {
    regStorage = await openSqliteStorage({ path: join(dir, "registry.db"), compactIntervalMs: 0, logger: silentLogger });
    rawStorage = await openSqliteStorage({ path: join(dir, "raw.db"), compactIntervalMs: 0, logger: silentLogger });
    const registry = createRegistry({ storage: regStorage, resources: ALL_RESOURCES, resolver: schemaResolver() });
    await registry.start();
    await registry.store("", "namespaces")!.create({ ...ctx(), namespace: undefined }, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    const pods: ResourceStore = registry.store("", "pods")!;
    const raw = rawStorage;
    const rows: { round: number; regCreate: number; rawCreate: number; regPatch: number; rawPatch: number }[] = [];
    // Warm-up (JIT), not measured.
    await cpuPerOp(400, (i) => pods.create(ctx(), pod(`warm-${i}`)));
    await cpuPerOp(400, (i) => raw.create(`/registry/pods/${NS}/warm-${i}`, JSON.stringify(pod(`warm-${i}`))));
    for (let r = 0; r < ROUNDS; r++) {
      const regCreate = await cpuPerOp(PODS, (i) => pods.create(ctx(), pod(`r${r}-${i}`)));
      const rawCreate = await cpuPerOp(PODS, (i) => raw.create(`/registry/pods/${NS}/r${r}-${i}`, JSON.stringify(pod(`r${r}-${i}`))));
      const regPatch = await cpuPerOp(PODS, (i) => pods.patch(ctx(), `r${r}-${i}`, { type: "merge", body: { metadata: { labels: { round: `p${r}-${i}` } } } }));
      const rawPatch = await cpuPerOp(PODS, async (i) => {
        const key = `/registry/pods/${NS}/r${r}-${i}`;
        const kv = (await raw.get(key))!;
        const obj = JSON.parse(kv.value) as StoredObject;
        obj.metadata.labels = { ...obj.metadata.labels, round: `p${r}-${i}` };
        return raw.update(key, JSON.stringify(obj), { expectedRevision: kv.modRevision });
      });
      rows.push({ round: r + 1, regCreate, rawCreate, regPatch, rawPatch });
    }
    await registry.stop();
    const us = (v: number) => v.toFixed(0).padStart(6);
    console.log(`registry CPU per request, ${PODS} pods per round, ${CONC} in flight, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log("round  create us (registry / store = ratio)   merge patch us (registry / store = ratio)");
    for (const x of rows) {
      console.log(`${String(x.round).padStart(5)}  ${us(x.regCreate)} / ${us(x.rawCreate)} = ${(x.regCreate / x.rawCreate).toFixed(2)}            ${us(x.regPatch)} / ${us(x.rawPatch)} = ${(x.regPatch / x.rawPatch).toFixed(2)}`);
    }
    const med = (f: (x: (typeof rows)[number]) => number) => rows.map(f).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
    console.log(`median  create ${med((x) => x.regCreate).toFixed(0)} us (store ${med((x) => x.rawCreate).toFixed(0)} us), merge patch ${med((x) => x.regPatch).toFixed(0)} us (store ${med((x) => x.rawPatch).toFixed(0)} us)`);
  } finally {
    await regStorage?.close();
    await rawStorage?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

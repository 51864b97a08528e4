// Under endless churn on a few keys, background compaction keeps the database file bounded while every key keeps
// its latest value.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { silentLogger } from "../../util/log.js";
import type { KeyValue } from "../types.js";
import { openSqliteStorage } from "./sqlite_storage.js";

const MiB = 1024 * 1024;
const TOTAL_WRITES = 100_000;
/** Each lane owns one key; lanes run concurrently so group commit batches them (with synchronous=FULL every
 *  commit is an fsync, so fewer lanes would make the test slow, not different). */
const LANES = 100;
const RETAIN = 1000;
/** Generous bounds: live data is ~100 keys, retained history ~RETAIN rows of ~150 bytes. */
const DB_BOUND = 4 * MiB;
/** The WAL is reset after each checkpoint and truncated to journal_size_limit, plus one batch's growth. */
const DB_PLUS_WAL_BOUND = 24 * MiB;

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

test("the database file stays bounded under 100,000 updates while values stay correct", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-sqlite-bounded-"));
  const path = join(dir, "state.db");
  const store = await openSqliteStorage({ path, compactIntervalMs: 20, retainRevisions: RETAIN, logger: silentLogger });
  try {
    const padding = "p".repeat(100);
    const expected = new Map<string, string>();
    let written = 0;
    let maxDb = 0;
    let maxDbWal = 0;
    const sample = async () => {
      const db = await fileSize(path);
      maxDb = Math.max(maxDb, db);
      maxDbWal = Math.max(maxDbWal, db + (await fileSize(path + "-wal")));
    };
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const key = `/registry/churn/${lane}`;
        let kv: KeyValue = await store.create(key, "0");
        written++;
        for (let n = 1; written < TOTAL_WRITES; n++) {
          const value = `${n}:${padding}`;
          if (n % 97 === 0) {
            // Delete and re-create now and then, so tombstones are compacted too.
            await store.delete(key, { expectedRevision: kv.modRevision });
            kv = await store.create(key, value);
            written += 2;
          } else {
            kv = await store.update(key, value, { expectedRevision: kv.modRevision });
            written++;
          }
          expected.set(key, value);
          if (lane === 0 && n % 500 === 0) await sample();
        }
      }),
    );
    await sample();
    assert.ok(written >= TOTAL_WRITES);
    assert.ok(maxDb < DB_BOUND, `database file reached ${maxDb} bytes (bound ${DB_BOUND})`);
    assert.ok(maxDbWal < DB_PLUS_WAL_BOUND, `database + WAL reached ${maxDbWal} bytes (bound ${DB_PLUS_WAL_BOUND})`);

    const list = await store.list("/registry/churn/");
    assert.equal(list.items.length, LANES);
    for (const kv of list.items) assert.equal(kv.value, expected.get(kv.key), `latest value of ${kv.key}`);
    for (const [key, value] of expected) assert.equal((await store.get(key))?.value, value);
    const rev = await store.currentRevision();
    assert.ok(rev >= TOTAL_WRITES);
    // Compaction keeps up: what is left is about RETAIN revisions (plus what arrived since the last tick).
    assert.ok((await store.compactedRevision()) > rev - 20 * RETAIN, `compacted ${await store.compactedRevision()} of ${rev}`);

    const raw = new Database(path);
    try {
      const rows = raw.prepare("SELECT COUNT(*) FROM kv").pluck().get() as number;
      assert.ok(rows < 20 * RETAIN, `${rows} rows left in the log`);
      raw.pragma("wal_checkpoint(TRUNCATE)");
      const after = (await fileSize(path)) + (await fileSize(path + "-wal"));
      assert.ok(after < DB_BOUND, `database + WAL after a checkpoint is ${after} bytes (bound ${DB_BOUND})`);
    } finally {
      raw.close();
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

// SQLite-specific behaviour beyond the conformance suite: long replays, compaction against replaying watchers,
// revisions across reopen after compaction, group commit edge cases.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { isStorageError } from "../errors.js";
import type { Storage, WatchEvent } from "../types.js";
import { silentLogger } from "../../util/log.js";
import { openSqliteStorage } from "./sqlite_storage.js";

describe("sqlite storage", () => {
  let dir = "";
  let path = "";
  const open: Storage[] = [];
  const openStore = async (opts: { compactIntervalMs?: number; retainRevisions?: number } = {}) => {
    const s = await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-sqlite-"));
    path = join(dir, "state.db");
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a watch replaying thousands of rows while writers run delivers each change once, in order", async () => {
    const store = await openStore();
    const revs: number[] = [];
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      for (let j = 0; j < 50; j++) revs.push((await store.create(`/r/${i}/${j}`, "v")).modRevision);
    }));
    const got: number[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    let target = Infinity;
    const w = store.watch("/r/", {
      sinceRevision: 0,
      onEvents: (events: WatchEvent[]) => {
        for (const e of events) got.push(e.kv.modRevision);
        if (got.length > 0 && got[got.length - 1]! >= target) done();
      },
      onError: (err) => assert.fail(err),
    });
    // More writes while the replay is under way (it reads 1000 rows per step).
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      for (let j = 0; j < 30; j++) revs.push((await store.create(`/r/late${i}/${j}`, "v")).modRevision);
    }));
    target = Math.max(...revs);
    if (got.length > 0 && got[got.length - 1]! >= target) done();
    await finished;
    w.stop();
    assert.deepEqual(got, [...revs].sort((a, b) => a - b));
  });

  it("an explicit compact() that overtakes a replaying watch ends it with Expired", async () => {
    const store = await openStore();
    let kv = await store.create("/c/a", "0");
    for (let i = 1; i < 3000; i++) kv = await store.update("/c/a", String(i), { expectedRevision: kv.modRevision });
    const errors: Error[] = [];
    let seen = 0;
    const w = store.watch("/c/", { sinceRevision: 0, onEvents: (e) => (seen += e.length), onError: (err) => errors.push(err) });
    await new Promise((resolve) => setImmediate(resolve)); // the first replay step runs
    await store.compact(kv.modRevision);
    await new Promise((resolve) => setTimeout(resolve, 50));
    w.stop();
    assert.ok(seen > 0 && seen < 3000, `the watch saw ${seen} events before compaction`);
    assert.equal(errors.length, 1);
    assert.ok(isStorageError(errors[0], "Expired"));
  });

  it("background compaction waits for replaying watchers, and keeps history within retainRevisions", async () => {
    const store = await openStore({ compactIntervalMs: 5, retainRevisions: 10 });
    let kv = await store.create("/b/a", "0");
    for (let i = 1; i < 100; i++) kv = await store.update("/b/a", String(i), { expectedRevision: kv.modRevision });
    const deadline = Date.now() + 20_000;
    while ((await store.compactedRevision()) < kv.modRevision - 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await store.compactedRevision(), kv.modRevision - 10);
    assert.equal((await store.list("/b/", { revision: kv.modRevision - 10 })).items[0]?.value, "89");

    // One tick's 3000 creates commit together; a watch from before them starts before any timer can fire, and
    // its multi-step replay must not be overtaken by the 5 ms compaction timer.
    const since = await store.currentRevision();
    const created = await Promise.all(Array.from({ length: 3000 }, (_, i) => store.create(`/b/many/${i}`, "v")));
    const last = created[created.length - 1]!.modRevision;
    const errors: Error[] = [];
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      const w = store.watch("/b/many/", {
        sinceRevision: since,
        onEvents: (events) => {
          count += events.length;
          if (events[events.length - 1]!.kv.modRevision === last) {
            w.stop();
            resolve();
          }
        },
        onError: (err) => {
          errors.push(err);
          reject(err);
        },
      });
    });
    assert.equal(count, 3000);
    assert.deepEqual(errors, []);
    while ((await store.compactedRevision()) < last - 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await store.compactedRevision(), last - 10, "compaction resumes once the watch is live");
  });

  it("revision and compaction survive reopen even when the newest rows were compacted away", async () => {
    const first = await openStore();
    await first.create("/x/a", "1");
    const del = await first.delete("/x/a");
    await first.compact(del.modRevision);
    await first.close();
    const again = await openStore();
    assert.equal(await again.currentRevision(), del.modRevision);
    assert.equal(await again.compactedRevision(), del.modRevision);
    const b = await again.create("/x/a", "2");
    assert.equal(b.modRevision, del.modRevision + 1);
    await assert.rejects(again.list("/x/", { revision: del.modRevision - 1 }), (e) => isStorageError(e, "Expired"));
  });

  it("writes of one tick commit together, each with its own check and revision", async () => {
    const store = await openStore();
    const results = await Promise.allSettled([store.create("/t/x", "1"), store.create("/t/x", "2"), store.create("/t/y", "3"), store.delete("/t/x")]);
    assert.equal(results[0].status, "fulfilled");
    assert.ok(results[1].status === "rejected" && isStorageError(results[1].reason, "KeyExists"));
    assert.equal(results[2].status, "fulfilled");
    assert.ok(results[3].status === "fulfilled" && results[3].value.value === "1", "a later write of the tick sees the earlier ones");
    const revs = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.modRevision] : []));
    assert.deepEqual(revs, [revs[0], revs[0]! + 1, revs[0]! + 2]);
  });

  it("close() commits writes already accepted", async () => {
    const first = await openStore();
    const pending = first.create("/p/a", "kept");
    await first.close();
    assert.equal((await pending).value, "kept");
    const again = await openStore();
    assert.equal((await again.get("/p/a"))?.value, "kept");
  });

  it("rejects compact() beyond the current revision and a continue token for another prefix", async () => {
    const store = await openStore();
    await store.create("/q/a", "1");
    await store.create("/q/b", "1");
    await assert.rejects(store.compact(100), (e) => isStorageError(e, "FutureRevision"));
    const page = await store.list("/q/", { limit: 1 });
    await assert.rejects(store.list("/other/", { continue: page.continue }), (e) => isStorageError(e, "InvalidContinue"));
  });
});

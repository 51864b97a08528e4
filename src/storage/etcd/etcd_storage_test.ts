// etcd-specific behaviour beyond the shared conformance suite: key prefixes, compaction seen across clients,
// unreachable clusters.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isStorageError } from "../errors.js";
import type { WatchEvent } from "../types.js";
import { EtcdStorage, openEtcdStorage, prefixEnd } from "./etcd_storage.js";
import { freePort, startEtcd, type EtcdCluster } from "./testing.js";

describe("prefixEnd", () => {
  it("increments the last byte that can be incremented", () => {
    assert.deepEqual(prefixEnd(Buffer.from("/a/")), Buffer.from("/a0"));
    assert.deepEqual(prefixEnd(Buffer.from([0x2f, 0x61, 0xff])), Buffer.from([0x2f, 0x62]));
    assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
  });
});

describe("etcd storage", { timeout: 120_000 }, () => {
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcd({ members: 1 });
  });
  after(async () => {
    await etcd?.stop();
  });

  it("keeps stores with different key prefixes apart, and stores keys under the prefix in etcd", async () => {
    const a = await openEtcdStorage({ endpoints: etcd.endpoints, prefix: "/tenant-a" });
    const b = await openEtcdStorage({ endpoints: etcd.endpoints, prefix: "/tenant-b" });
    const raw = await openEtcdStorage({ endpoints: etcd.endpoints });
    try {
      const since = await a.currentRevision();
      const seen: WatchEvent[] = [];
      const errors: Error[] = [];
      const w = b.watch("/registry/", { sinceRevision: since, onEvents: (evs) => seen.push(...evs), onError: (e) => errors.push(e) });
      await a.create("/registry/x", "from a");
      const fromB = await b.create("/registry/x", "from b");
      assert.equal((await a.get("/registry/x"))?.value, "from a");
      assert.deepEqual((await b.list("/registry/")).items.map((kv) => kv.value), ["from b"]);
      assert.equal((await raw.get("/tenant-a/registry/x"))?.value, "from a");
      while (seen.length === 0 && errors.length === 0) await new Promise((r) => setTimeout(r, 10));
      w.stop();
      assert.deepEqual(errors, []);
      assert.deepEqual(seen.map((e) => [e.type, e.kv.key, e.kv.modRevision]), [["create", "/registry/x", fromB.modRevision]]);
    } finally {
      await Promise.all([a.close(), b.close(), raw.close()]);
    }
  });

  it("reports the member's etcd version", async () => {
    const store = new EtcdStorage({ endpoints: etcd.endpoints });
    try {
      const status = await store.memberStatus();
      assert.match(status.version, /^3\.\d+\.\d+/);
      assert.ok(status.dbSizeBytes > 0);
    } finally {
      await store.close();
    }
  });

  it("rejects a key prefix that is not a path", () => {
    for (const prefix of ["tenant", "/tenant/"]) {
      assert.throws(() => new EtcdStorage({ endpoints: etcd.endpoints, prefix }), (err: unknown) => isStorageError(err, "InvalidKey"));
    }
  });

  it("reports a compaction made by another client", async () => {
    const mine = await openEtcdStorage({ endpoints: etcd.endpoints, prefix: "/mine" });
    const other = await openEtcdStorage({ endpoints: etcd.endpoints, prefix: "/other" });
    try {
      let kv = await mine.create("/k", "0");
      for (let i = 1; i < 40; i++) kv = await mine.update("/k", String(i), { expectedRevision: kv.modRevision });
      const target = kv.modRevision - 7;
      await other.compact(target);
      assert.equal(await mine.compactedRevision(), target);
      await assert.rejects(mine.list("/", { revision: target - 1 }), (err: unknown) => isStorageError(err, "Expired") && /oldest available is \d+/.test((err as Error).message));
      await other.compact(target - 3); // older than what is compacted: nothing to do
      assert.equal(await other.compactedRevision(), target);
    } finally {
      await Promise.all([mine.close(), other.close()]);
    }
  });

  it("fails to open with Unavailable when no endpoint answers", async () => {
    const endpoints = [`127.0.0.1:${await freePort()}`];
    await assert.rejects(openEtcdStorage({ endpoints, retryBudgetMs: 300 }), (err: unknown) => isStorageError(err, "Unavailable"));
  });

  it("ends a watch with Unavailable when no member answers for the retry budget", async () => {
    const lone = await startEtcd({ members: 1 });
    const store = await openEtcdStorage({ endpoints: lone.endpoints, retryBudgetMs: 500 });
    try {
      const events: WatchEvent[] = [];
      const errors: Error[] = [];
      store.watch("/w/", { sinceRevision: await store.currentRevision(), onEvents: (evs) => events.push(...evs), onError: (e) => errors.push(e) });
      const kv = await store.create("/w/a", "1");
      while (events.length === 0) await new Promise((r) => setTimeout(r, 10));
      await lone.kill(0);
      while (errors.length === 0) await new Promise((r) => setTimeout(r, 20));
      assert.equal(errors.length, 1);
      assert.ok(isStorageError(errors[0], "Unavailable"), String(errors[0]));
      assert.deepEqual(events.map((e) => e.kv.modRevision), [kv.modRevision]);
    } finally {
      await store.close();
      await lone.stop();
    }
  });
});

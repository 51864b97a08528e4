// Conformance: single-key semantics (get/create/update/delete), revisions, validation, limits, close, reopen.
import assert from "node:assert/strict";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./keys.js";
import { assertKv, rejectsWith, storageTest, WatchCollector, type MakeFixture } from "./conformance_helpers.js";
import { isStorageError, type StorageErrorCode } from "./errors.js";
import type { Storage } from "./types.js";

export function kvTests(make: MakeFixture): void {
  storageTest(make, "get of an absent key is null", async ({ store, root }) => {
    assert.equal(await store.get(`${root}/missing`), null);
  });

  storageTest(make, "create then get returns the value with createRevision = modRevision", async ({ store, root }) => {
    const before = await store.currentRevision();
    const kv = await store.create(`${root}/a`, '{"x":1}');
    assert.equal(kv.key, `${root}/a`);
    assert.equal(kv.value, '{"x":1}');
    assert.ok(kv.modRevision > before, `create revision ${kv.modRevision} must exceed the previous current revision ${before}`);
    assert.equal(kv.createRevision, kv.modRevision);
    assertKv(await store.get(`${root}/a`), { key: `${root}/a`, value: '{"x":1}', createRevision: kv.modRevision, modRevision: kv.modRevision }, "get after create");
    assert.equal(await store.currentRevision(), kv.modRevision);
  });

  storageTest(make, "values round-trip exactly: empty, unicode, newlines", async ({ store, root }) => {
    const values = ["", "héllo wörld ✓ 日本語 🚀", "line1\nline2\r\n\ttab", '{"a":"\\u0000"}'];
    for (const [i, v] of values.entries()) {
      await store.create(`${root}/v${i}`, v);
      assert.equal((await store.get(`${root}/v${i}`))?.value, v, `value ${JSON.stringify(v)}`);
    }
  });

  storageTest(make, "create of an existing key fails with KeyExists and changes nothing", async ({ store, root }) => {
    const kv = await store.create(`${root}/a`, "one");
    const rev = await store.currentRevision();
    await rejectsWith(store.create(`${root}/a`, "two"), "KeyExists", "second create");
    assertKv(await store.get(`${root}/a`), { key: kv.key, value: "one", createRevision: kv.createRevision, modRevision: kv.modRevision }, "value kept");
    assert.equal(await store.currentRevision(), rev, "a failed write does not bump the revision");
  });

  storageTest(make, "update is a compare-and-swap on modRevision", async ({ store, root }) => {
    const a = await store.create(`${root}/a`, "v1");
    const b = await store.update(`${root}/a`, "v2", { expectedRevision: a.modRevision });
    assert.equal(b.value, "v2");
    assert.equal(b.createRevision, a.createRevision, "update keeps createRevision");
    assert.ok(b.modRevision > a.modRevision);
    assertKv(await store.get(`${root}/a`), { key: `${root}/a`, value: "v2", createRevision: a.createRevision, modRevision: b.modRevision }, "get after update");

    const err = await rejectsWith(store.update(`${root}/a`, "v3", { expectedRevision: a.modRevision }), "Conflict", "stale update");
    assertKv(err.current, { key: `${root}/a`, value: "v2", createRevision: a.createRevision, modRevision: b.modRevision }, "Conflict carries the current kv");
    assert.equal((await store.get(`${root}/a`))?.value, "v2", "stale update changed nothing");

    const c = await store.update(`${root}/a`, "v3", { expectedRevision: err.current!.modRevision });
    assert.ok(c.modRevision > b.modRevision);
  });

  storageTest(make, "update of an absent key fails with KeyNotFound", async ({ store, root }) => {
    await rejectsWith(store.update(`${root}/nope`, "x", { expectedRevision: 1 }), "KeyNotFound", "update absent");
    assert.equal(await store.get(`${root}/nope`), null);
  });

  storageTest(make, "delete returns the last state at the delete's revision; preconditions apply", async ({ store, root }) => {
    await rejectsWith(store.delete(`${root}/nope`), "KeyNotFound", "delete absent");
    const a = await store.create(`${root}/a`, "v1");
    const b = await store.update(`${root}/a`, "v2", { expectedRevision: a.modRevision });
    const err = await rejectsWith(store.delete(`${root}/a`, { expectedRevision: a.modRevision }), "Conflict", "delete with a stale precondition");
    assertKv(err.current, { key: `${root}/a`, value: "v2", createRevision: a.createRevision, modRevision: b.modRevision }, "Conflict carries the current kv");
    assert.equal((await store.get(`${root}/a`))?.value, "v2", "failed delete kept the key");

    const d = await store.delete(`${root}/a`, { expectedRevision: b.modRevision });
    assert.equal(d.key, `${root}/a`);
    assert.equal(d.value, "v2", "delete returns the last value");
    assert.equal(d.createRevision, a.createRevision);
    assert.ok(d.modRevision > b.modRevision, "delete has its own revision");
    assert.equal(await store.currentRevision(), d.modRevision);
    assert.equal(await store.get(`${root}/a`), null);
    await rejectsWith(store.delete(`${root}/a`), "KeyNotFound", "second delete");
    await rejectsWith(store.update(`${root}/a`, "x", { expectedRevision: b.modRevision }), "KeyNotFound", "update after delete");

    const e = await store.create(`${root}/a`, "again");
    assert.ok(e.createRevision > d.modRevision, "a re-created key has a new createRevision");
    assert.equal(e.createRevision, e.modRevision);
    const f = await store.delete(`${root}/a`);
    assert.equal(f.value, "again", "delete without precondition");
  });

  storageTest(make, "an update against the previous incarnation of a re-created key conflicts", async ({ store, root }) => {
    const a = await store.create(`${root}/a`, "old");
    await store.delete(`${root}/a`);
    const b = await store.create(`${root}/a`, "new");
    const err = await rejectsWith(store.update(`${root}/a`, "x", { expectedRevision: a.modRevision }), "Conflict", "update of old incarnation");
    assert.equal(err.current?.modRevision, b.modRevision);
  });

  storageTest(make, "revisions strictly increase and are shared across keys", async ({ store, root }) => {
    const revs: number[] = [];
    const a = await store.create(`${root}/a`, "1");
    revs.push(a.modRevision);
    revs.push((await store.create(`${root}/b`, "1")).modRevision);
    revs.push((await store.update(`${root}/a`, "2", { expectedRevision: a.modRevision })).modRevision);
    revs.push((await store.create(`${root}/c/d`, "1")).modRevision);
    revs.push((await store.delete(`${root}/b`)).modRevision);
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions ${revs.join(",")} must strictly increase`);
    for (const r of revs) assert.ok(Number.isSafeInteger(r) && r > 0, `revision ${r} is a positive safe integer`);
    assert.equal(await store.currentRevision(), revs.at(-1));
  });

  storageTest(make, "values up to MAX_VALUE_BYTES are stored; larger ones fail with ValueTooLarge", async ({ store, root }) => {
    const big = "x".repeat(MAX_VALUE_BYTES);
    const kv = await store.create(`${root}/big`, big);
    assert.equal((await store.get(`${root}/big`))?.value.length, MAX_VALUE_BYTES);
    const list = await store.list(`${root}/`);
    assert.equal(list.items[0]?.value, big);
    await rejectsWith(store.create(`${root}/big2`, big + "x"), "ValueTooLarge", "create over the limit");
    await rejectsWith(store.update(`${root}/big`, big + "x", { expectedRevision: kv.modRevision }), "ValueTooLarge", "update over the limit");
    // The limit counts UTF-8 bytes, not characters.
    await rejectsWith(store.create(`${root}/wide`, "é".repeat(MAX_VALUE_BYTES / 2 + 1)), "ValueTooLarge", "multi-byte value over the limit");
    assert.equal(await store.get(`${root}/big2`), null);
    assert.equal((await store.get(`${root}/big`))?.modRevision, kv.modRevision);
  });

  storageTest(make, "bad keys fail with InvalidKey on every operation", async ({ store, root }) => {
    const bad = ["", "no-leading-slash", `${root}/a/../b`, `${root}/./b`, `${root}/a\u0000b`, `${root}/a\nb`, `/${"k".repeat(MAX_KEY_BYTES)}`];
    for (const key of bad) {
      const what = `key ${JSON.stringify(key.slice(0, 40))}`;
      await rejectsWith(store.get(key), "InvalidKey", `get ${what}`);
      await rejectsWith(store.create(key, "v"), "InvalidKey", `create ${what}`);
      await rejectsWith(store.update(key, "v", { expectedRevision: 1 }), "InvalidKey", `update ${what}`);
      await rejectsWith(store.delete(key), "InvalidKey", `delete ${what}`);
      await rejectsWith(store.list(key), "InvalidKey", `list ${what}`);
      await watchRejects(store, key, "InvalidKey", what);
    }
  });

  storageTest(make, "after close() every operation fails with Closed and watches end without error", async ({ store, root }) => {
    await store.create(`${root}/a`, "v");
    const w = new WatchCollector();
    store.watch(`${root}/`, w.options(await store.currentRevision()));
    await store.close();
    await store.close(); // idempotent
    await rejectsWith(store.get(`${root}/a`), "Closed", "get after close");
    await rejectsWith(store.create(`${root}/b`, "v"), "Closed", "create after close");
    await rejectsWith(store.update(`${root}/a`, "v", { expectedRevision: 1 }), "Closed", "update after close");
    await rejectsWith(store.delete(`${root}/a`), "Closed", "delete after close");
    await rejectsWith(store.list(`${root}/`), "Closed", "list after close");
    await rejectsWith(store.currentRevision(), "Closed", "currentRevision after close");
    await rejectsWith(store.compact(1), "Closed", "compact after close");
    await watchRejects(store, `${root}/`, "Closed", "after close");
    assert.deepEqual(w.errors.map((e) => e.message), [], "a pending watch ends without error on close");
  });

  storageTest(make, "data and revisions persist across close and reopen", async ({ fx, store, root }) => {
    if (!fx.reopen) return;
    const a = await store.create(`${root}/a`, "1");
    const a2 = await store.update(`${root}/a`, "2", { expectedRevision: a.modRevision });
    await store.create(`${root}/b`, "gone");
    const del = await store.delete(`${root}/b`);
    await store.close();
    const again = await fx.reopen();
    try {
      assertKv(await again.get(`${root}/a`), { key: `${root}/a`, value: "2", createRevision: a.createRevision, modRevision: a2.modRevision }, "value after reopen");
      assert.equal(await again.get(`${root}/b`), null, "deleted key stays deleted");
      assert.ok((await again.currentRevision()) >= del.modRevision, "revision survives reopen");
      const c = await again.create(`${root}/c`, "new");
      assert.ok(c.modRevision > del.modRevision, "new writes after reopen get higher revisions");
      const listed = await again.list(`${root}/`);
      assert.deepEqual(listed.items.map((kv) => kv.key), [`${root}/a`, `${root}/c`]);
    } finally {
      await again.close();
    }
  });
}

/** A watch that cannot start may throw at once or report through onError; either way with `code`. */
async function watchRejects(store: Storage, prefix: string, code: StorageErrorCode, what: string): Promise<void> {
  const w = new WatchCollector();
  let handle;
  try {
    handle = store.watch(prefix, w.options(0));
  } catch (err) {
    assert.ok(isStorageError(err, code), `watch ${what}: expected ${code}, got ${String(err)}`);
    return;
  }
  try {
    await w.waitFor(() => w.errors.length > 0, `watch ${what} to report ${code}`);
    assert.ok(isStorageError(w.errors[0], code), `watch ${what}: expected ${code}, got ${String(w.errors[0])}`);
    assert.equal(w.events.length, 0);
  } finally {
    handle.stop();
  }
}

// Conformance: list (prefix, order, one revision, paging, remaining, old revisions) and compaction.
import assert from "node:assert/strict";
import { byteCompare, plain, rejectsWith, storageTest, type MakeFixture } from "./conformance_helpers.js";
import type { KeyValue, ListResult, Storage } from "./types.js";

async function listAll(store: Storage, prefix: string, limit: number, between?: (page: ListResult) => Promise<void>) {
  const pages: ListResult[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(prefix, { limit, continue: cont });
    pages.push(page);
    cont = page.continue;
    if (cont && between) await between(page);
  } while (cont);
  return pages;
}

export function listTests(make: MakeFixture): void {
  storageTest(make, "list returns the prefix's keys in key order at the current revision", async ({ store, root }) => {
    const names = ["m", "a", "z", "b/c", "B", "a0", "a-1", "~", "_x"];
    const created = new Map<string, KeyValue>();
    for (const n of names) created.set(`${root}/p/${n}`, await store.create(`${root}/p/${n}`, `v-${n}`));
    await store.create(`${root}/other`, "not in the prefix");
    await store.create(`${root}/p`, "the prefix itself without slash");
    const res = await store.list(`${root}/p/`);
    const expectedKeys = [...created.keys()].sort(byteCompare);
    assert.deepEqual(res.items.map((kv) => kv.key), expectedKeys);
    for (const kv of res.items) assert.deepEqual(plain(kv), plain(created.get(kv.key)!));
    assert.equal(res.revision, await store.currentRevision());
    assert.equal(res.continue, undefined);
    assert.deepEqual((await store.list(`${root}/nothing/`)).items, []);
  });

  storageTest(make, "a prefix '/a/' does not match '/ab' keys", async ({ store, root }) => {
    await store.create(`${root}/a/1`, "in");
    await store.create(`${root}/ab`, "out");
    await store.create(`${root}/ab/1`, "out");
    await store.create(`${root}/a`, "out");
    assert.deepEqual((await store.list(`${root}/a/`)).items.map((kv) => kv.key), [`${root}/a/1`]);
  });

  storageTest(make, "paging with limit and continue covers every key once with correct remaining counts", async ({ store, root }) => {
    const keys: string[] = [];
    for (let i = 0; i < 23; i++) {
      keys.push(`${root}/k/${String(i).padStart(3, "0")}`);
      await store.create(keys[i]!, String(i));
    }
    const pages = await listAll(store, `${root}/k/`, 5);
    assert.deepEqual(pages.map((p) => p.items.length), [5, 5, 5, 5, 3]);
    assert.deepEqual(pages.flatMap((p) => p.items.map((kv) => kv.key)), keys);
    let left = keys.length;
    for (const p of pages) {
      left -= p.items.length;
      if (p.continue !== undefined) assert.equal(p.remaining, left, "remaining counts the items after this page");
      else assert.ok(p.remaining === undefined || p.remaining === 0, "the last page has nothing remaining");
      assert.equal(p.revision, pages[0]!.revision, "every page reports the first page's revision");
    }
    const exact = await listAll(store, `${root}/k/`, 23);
    assert.equal(exact.length, 1, "a limit equal to the count needs no continue");
    const one = await listAll(store, `${root}/k/`, 1);
    assert.equal(one.length, 23);
  });

  storageTest(make, "later pages stay at the first page's revision while writes happen", async ({ store, root }) => {
    const initial = new Map<string, KeyValue>();
    for (let i = 0; i < 12; i++) {
      const key = `${root}/k/${String(i).padStart(2, "0")}`;
      initial.set(key, await store.create(key, `v${i}`));
    }
    let n = 0;
    const pages = await listAll(store, `${root}/k/`, 4, async () => {
      // Between pages: change keys already listed, keys not yet listed, delete one, add new ones.
      n++;
      const later = `${root}/k/${String(4 * n + 2).padStart(2, "0")}`;
      const cur = await store.get(later);
      if (cur) await store.update(later, "changed", { expectedRevision: cur.modRevision });
      await store.delete(`${root}/k/${String(4 * n + 3).padStart(2, "0")}`);
      await store.create(`${root}/k/${String(4 * n).padStart(2, "0")}x`, "new");
      await store.create(`${root}/k/99-${n}`, "new at end");
    });
    const seen = pages.flatMap((p) => p.items.map(plain));
    assert.deepEqual(seen, [...initial.values()].map(plain), "the paged list equals the state at the first page's revision");
    for (const p of pages) assert.equal(p.revision, pages[0]!.revision);
    assert.ok((await store.currentRevision()) > pages[0]!.revision);
  });

  storageTest(make, "list at an older revision returns the state then", async ({ store, root }) => {
    const a = await store.create(`${root}/a`, "a1");
    const b = await store.create(`${root}/b`, "b1");
    const then = await store.currentRevision();
    await store.update(`${root}/a`, "a2", { expectedRevision: a.modRevision });
    await store.delete(`${root}/b`);
    const c = await store.create(`${root}/c`, "c1");
    const old = await store.list(`${root}/`, { revision: then });
    assert.equal(old.revision, then);
    assert.deepEqual(old.items.map(plain), [plain(a), plain(b)]);
    const now = await store.list(`${root}/`);
    assert.deepEqual(now.items.map((kv) => kv.value), ["a2", "c1"]);
    assert.equal(now.revision, c.modRevision);
    const paged = await store.list(`${root}/`, { revision: then, limit: 1 });
    assert.deepEqual(paged.items.map(plain), [plain(a)]);
    assert.ok(paged.continue);
    const rest = await store.list(`${root}/`, { continue: paged.continue });
    assert.deepEqual(rest.items.map(plain), [plain(b)]);
    assert.equal(rest.revision, then);
  });

  storageTest(make, "list at a future revision fails with FutureRevision", async ({ store, root }) => {
    await store.create(`${root}/a`, "v");
    const cur = await store.currentRevision();
    await rejectsWith(store.list(`${root}/`, { revision: cur + 1000 }), "FutureRevision", "list at a future revision");
  });

  storageTest(make, "an invalid continue token fails with InvalidContinue", async ({ store, root }) => {
    await store.create(`${root}/a`, "v");
    await rejectsWith(store.list(`${root}/`, { continue: "not-a-token" }), "InvalidContinue", "garbage continue");
  });

  storageTest(make, "compaction: old revisions fail with Expired, current data and later history stay", async ({ store, root }) => {
    const a = await store.create(`${root}/a`, "a1");
    const b = await store.create(`${root}/b`, "b1");
    const a2 = await store.update(`${root}/a`, "a2", { expectedRevision: a.modRevision });
    const gone = await store.create(`${root}/gone`, "x");
    await store.delete(`${root}/gone`);
    const mid = await store.currentRevision();
    const a3 = await store.update(`${root}/a`, "a3", { expectedRevision: a2.modRevision });
    const c = await store.create(`${root}/c`, "c1");

    await store.compact(mid);
    assert.ok((await store.compactedRevision()) >= mid, "compactedRevision reports the compaction");
    assert.ok((await store.compactedRevision()) <= mid, "compaction does not go beyond the requested revision");
    await rejectsWith(store.list(`${root}/`, { revision: a.modRevision }), "Expired", "list before the compacted revision");
    await rejectsWith(store.list(`${root}/`, { revision: mid - 1 }), "Expired", "list just before the compacted revision");
    assert.ok(gone.modRevision < mid);

    const atMid = await store.list(`${root}/`, { revision: mid });
    assert.deepEqual(atMid.items.map((kv) => `${kv.key.slice(root.length)}=${kv.value}`), ["/a=a2", "/b=b1"], "state at the compacted revision stays readable");
    const now = await store.list(`${root}/`);
    assert.deepEqual(now.items.map(plain), [plain(a3), plain(b), plain(c)]);
    assert.equal(await store.get(`${root}/gone`), null);
    assert.deepEqual(plain((await store.get(`${root}/b`))!), plain(b), "a key untouched since before the compaction keeps its revisions");

    const cur = await store.currentRevision();
    await store.compact(cur);
    assert.deepEqual((await store.list(`${root}/`)).items.map(plain), [plain(a3), plain(b), plain(c)], "compacting at the current revision keeps every live key");
    const d = await store.update(`${root}/b`, "b2", { expectedRevision: b.modRevision });
    assert.ok(d.modRevision > cur, "writes continue after compaction");
  });

  storageTest(make, "a continue token whose revision was compacted fails with Expired", async ({ store, root }) => {
    for (let i = 0; i < 4; i++) await store.create(`${root}/k${i}`, "v");
    const first = await store.list(`${root}/`, { limit: 2 });
    assert.ok(first.continue);
    const k0 = await store.get(`${root}/k0`);
    await store.update(`${root}/k0`, "changed", { expectedRevision: k0!.modRevision });
    await store.compact(await store.currentRevision());
    await rejectsWith(store.list(`${root}/`, { continue: first.continue }), "Expired", "continue after compaction");
  });
}

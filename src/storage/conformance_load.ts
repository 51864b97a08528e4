// Conformance: many concurrent writers; compare-and-swap under contention.
import assert from "node:assert/strict";
import { storageTest, type MakeFixture } from "./conformance_helpers.js";
import { isStorageError } from "./errors.js";
import type { KeyValue } from "./types.js";

export function loadTests(make: MakeFixture): void {
  storageTest(make, "32 concurrent writers x 50 creates: every create succeeds with its own revision", async ({ store, root }) => {
    const writers = 32;
    const each = 50;
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const out: KeyValue[] = [];
        for (let i = 0; i < each; i++) out.push(await store.create(`${root}/w${String(w).padStart(2, "0")}/${String(i).padStart(2, "0")}`, `${w}:${i}`));
        return out;
      }),
    );
    const all = results.flat();
    assert.equal(new Set(all.map((kv) => kv.modRevision)).size, writers * each, "every write has a distinct revision");
    for (const perWriter of results) {
      for (let i = 1; i < perWriter.length; i++) assert.ok(perWriter[i]!.modRevision > perWriter[i - 1]!.modRevision, "one writer's sequential writes get increasing revisions");
    }
    const list = await store.list(`${root}/`);
    assert.equal(list.items.length, writers * each);
    assert.equal(list.revision, Math.max(...all.map((kv) => kv.modRevision)));
    const byKey = new Map(all.map((kv) => [kv.key, kv]));
    for (const kv of list.items) assert.equal(kv.value, byKey.get(kv.key)?.value);
  });

  storageTest(make, "20 compare-and-swap incrementers on one key: the value equals the successful updates", async ({ store, root }) => {
    const key = `${root}/counter`;
    await store.create(key, "0");
    const workers = 20;
    const incrementsEach = 10;
    let conflicts = 0;
    const successRevs: number[] = [];
    await Promise.all(
      Array.from({ length: workers }, async () => {
        let cur = (await store.get(key))!;
        for (let done = 0; done < incrementsEach; ) {
          try {
            cur = await store.update(key, String(Number(cur.value) + 1), { expectedRevision: cur.modRevision });
            successRevs.push(cur.modRevision);
            done++;
          } catch (err) {
            if (!isStorageError(err, "Conflict")) throw err;
            conflicts++;
            assert.ok(err.current, "Conflict carries the current kv");
            assert.ok(err.current.modRevision > cur.modRevision, "the current kv is newer than the stale one");
            cur = err.current;
          }
        }
      }),
    );
    const final = (await store.get(key))!;
    assert.equal(Number(final.value), workers * incrementsEach, `final value after ${successRevs.length} successful updates and ${conflicts} conflicts`);
    assert.equal(new Set(successRevs).size, successRevs.length);
    assert.equal(final.modRevision, Math.max(...successRevs));
  });
}

// Conformance: watch (replay, live, ordering, prefix isolation, stop, compaction, racing writers).
import assert from "node:assert/strict";
import { describeEvents, plain, rejectsWith, sleep, storageTest, WatchCollector, type MakeFixture } from "./conformance_helpers.js";
import { isStorageError } from "./errors.js";
import type { KeyValue, Storage } from "./types.js";

function expectOrdered(w: WatchCollector, revisions: number[], what: string): void {
  const got = w.events.map((e) => e.kv.modRevision);
  assert.deepEqual(got, revisions, `${what}: events ${describeEvents(w.events)}`);
}

/** Writes `count` changes under prefix (creates, updates, deletes), returning every acknowledged revision. */
async function churn(store: Storage, prefix: string, count: number): Promise<number[]> {
  const revs: number[] = [];
  const live = new Map<string, KeyValue>();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i % 7}`;
    const cur = live.get(key);
    if (!cur) {
      const kv = await store.create(key, `c${i}`);
      live.set(key, kv);
      revs.push(kv.modRevision);
    } else if (i % 5 === 0) {
      revs.push((await store.delete(key, { expectedRevision: cur.modRevision })).modRevision);
      live.delete(key);
    } else {
      const kv = await store.update(key, `u${i}`, { expectedRevision: cur.modRevision });
      live.set(key, kv);
      revs.push(kv.modRevision);
    }
  }
  return revs;
}

export function watchTests(make: MakeFixture): void {
  storageTest(make, "watch from an old revision replays every later change with types and prevKv, then goes live", async ({ store, root }) => {
    const start = await store.currentRevision();
    const a1 = await store.create(`${root}/a`, "a1");
    const a2 = await store.update(`${root}/a`, "a2", { expectedRevision: a1.modRevision });
    const b1 = await store.create(`${root}/b`, "b1");
    const del = await store.delete(`${root}/a`);
    const w = new WatchCollector();
    const h = store.watch(`${root}/`, w.options(start));
    try {
      await w.waitForRevision(del.modRevision);
      const b2 = await store.update(`${root}/b`, "b2", { expectedRevision: b1.modRevision });
      await w.waitForRevision(b2.modRevision);
      const summary = w.events.map((e) => ({ type: e.type, kv: plain(e.kv), prevKv: e.prevKv && plain(e.prevKv) }));
      assert.deepEqual(summary, [
        { type: "create", kv: plain(a1), prevKv: undefined },
        { type: "update", kv: plain(a2), prevKv: plain(a1) },
        { type: "create", kv: plain(b1), prevKv: undefined },
        { type: "delete", kv: { key: a2.key, value: "a2", createRevision: a1.createRevision, modRevision: del.modRevision }, prevKv: plain(a2) },
        { type: "update", kv: plain(b2), prevKv: plain(b1) },
      ]);
    } finally {
      h.stop();
    }
  });

  storageTest(make, "watch from the current revision sees only new changes", async ({ store, root }) => {
    await store.create(`${root}/old`, "x");
    const w = new WatchCollector();
    const h = store.watch(`${root}/`, w.options(await store.currentRevision()));
    try {
      const n = await store.create(`${root}/new`, "y");
      await w.waitForRevision(n.modRevision);
      expectOrdered(w, [n.modRevision], "only the new create");
    } finally {
      h.stop();
    }
  });

  storageTest(make, "watch prefix isolation: '/a/' sees neither '/ab' nor '/a'", async ({ store, root }) => {
    const w = new WatchCollector();
    const h = store.watch(`${root}/a/`, w.options(await store.currentRevision()));
    try {
      await store.create(`${root}/ab`, "no");
      await store.create(`${root}/ab/x`, "no");
      await store.create(`${root}/a`, "no");
      const yes = await store.create(`${root}/a/x`, "yes");
      await store.create(`${root}/b/x`, "no");
      const last = await store.create(`${root}/a/y`, "yes");
      await w.waitForRevision(last.modRevision);
      expectOrdered(w, [yes.modRevision, last.modRevision], "only keys under /a/");
    } finally {
      h.stop();
    }
  });

  storageTest(make, "stop() ends delivery", async ({ store, root }) => {
    const w = new WatchCollector();
    const h = store.watch(`${root}/`, w.options(await store.currentRevision()));
    const first = await store.create(`${root}/1`, "x");
    await w.waitForRevision(first.modRevision);
    h.stop();
    h.stop(); // idempotent
    const probe = new WatchCollector();
    const ph = store.watch(`${root}/`, probe.options(first.modRevision));
    try {
      const second = await store.create(`${root}/2`, "x");
      await probe.waitForRevision(second.modRevision);
      await sleep(50);
      expectOrdered(w, [first.modRevision], "nothing after stop()");
      assert.deepEqual(w.errors, []);
    } finally {
      ph.stop();
    }
  });

  storageTest(make, "watch from a compacted revision fails with Expired; from the compacted revision it works", async ({ store, root }) => {
    const a = await store.create(`${root}/a`, "1");
    const a2 = await store.update(`${root}/a`, "2", { expectedRevision: a.modRevision });
    const a3 = await store.update(`${root}/a`, "3", { expectedRevision: a2.modRevision });
    await store.compact(a3.modRevision);
    const a4 = await store.update(`${root}/a`, "4", { expectedRevision: a3.modRevision });
    const w = new WatchCollector();
    const h = store.watch(`${root}/`, w.options(a.modRevision));
    try {
      await w.waitFor(() => w.errors.length > 0, "an Expired error");
      assert.ok(isStorageError(w.errors[0], "Expired"), `expected Expired, got ${String(w.errors[0])}`);
      assert.equal(w.errors.length, 1, "onError is called at most once");
      assert.equal(w.events.length, 0, "no events from an expired watch");
    } finally {
      h.stop();
    }
    const ok = new WatchCollector();
    const h2 = store.watch(`${root}/`, ok.options(a3.modRevision));
    try {
      await ok.waitForRevision(a4.modRevision);
      expectOrdered(ok, [a4.modRevision], "events after the compacted revision");
      assert.deepEqual(plain(ok.events[0]!.prevKv!), plain(a3), "prevKv from the compacted revision is kept");
    } finally {
      h2.stop();
    }
    await rejectsWith(store.list(`${root}/`, { revision: a2.modRevision }), "Expired", "list at a compacted revision");
  });

  storageTest(make, "watches started while writers run see every change after their revision exactly once", async ({ store, root }) => {
    const writers = 4;
    const perWriter = 120;
    const acked: number[][] = [];
    const running = Array.from({ length: writers }, async (_, i) => {
      acked[i] = await churn(store, `${root}/w${i}/`, perWriter);
    });
    // Start watches at different moments during the writes, each from the then-current revision or older.
    const watches: { since: number; w: WatchCollector; stop: () => void }[] = [];
    for (let i = 0; i < 6; i++) {
      await sleep(i * 3);
      const cur = await store.currentRevision();
      const since = i % 2 === 0 ? cur : Math.max(0, cur - 25);
      const w = new WatchCollector();
      const h = store.watch(`${root}/`, w.options(since));
      watches.push({ since, w, stop: () => h.stop() });
    }
    await Promise.all(running);
    const all = acked.flat().sort((x, y) => x - y);
    const last = all.at(-1)!;
    try {
      for (const { since, w } of watches) {
        await w.waitForRevision(last);
        const expected = all.filter((r) => r > since);
        expectOrdered(w, expected, `watch since ${since}`);
      }
    } finally {
      for (const w of watches) w.stop();
    }
  });

  storageTest(make, "concurrent watchers on one prefix all get the same events", async ({ store, root }) => {
    const since = await store.currentRevision();
    const ws = Array.from({ length: 8 }, () => new WatchCollector());
    const hs = ws.map((w) => store.watch(`${root}/`, w.options(since)));
    try {
      const revs = await churn(store, `${root}/k`, 60);
      for (const w of ws) {
        await w.waitForRevision(revs.at(-1)!);
        expectOrdered(w, revs, "each watcher");
      }
    } finally {
      for (const h of hs) h.stop();
    }
  });
}

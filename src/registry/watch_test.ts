import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import type { Status } from "../machinery/errors.js";
import type { WatchStream } from "./rest.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";
import { EventCollector } from "./testing/watch_collector.js";

let h: Harness;
const collectors: EventCollector[] = [];
afterEach(async () => {
  for (const c of collectors.splice(0)) c.stream.stop();
  await h?.close();
});

function collect(stream: WatchStream, opts?: ConstructorParameters<typeof EventCollector>[1]) {
  const c = new EventCollector(stream, opts);
  collectors.push(c);
  return c;
}

const rvOf = (e: { object: unknown }) => Number((e.object as StoredObject).metadata.resourceVersion);

describe("watch cache: watches", () => {
  it("sees every change in order while writers race, exactly once", async () => {
    h = await harness();
    const start = await h.widgets.list(ctx(undefined), {});
    const w = collect(await h.widgets.watch(ctx(undefined), { resourceVersion: start.metadata.resourceVersion }));
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const ns = `ns${i}`;
        for (let j = 0; j < 25; j++) {
          const name = `w${j % 5}`;
          try {
            const r = await h.widgets.patch(ctx(ns), name, { type: "merge", body: { spec: { size: j } } });
            acked.push(Number(r.object.metadata.resourceVersion));
          } catch {
            acked.push(Number((await h.widgets.create(ctx(ns), widget(name, { size: j }))).metadata.resourceVersion));
          }
          if (j % 7 === 6) acked.push(Number((await h.widgets.delete(ctx(ns), name, {})).object.metadata.resourceVersion));
        }
      }),
    );
    acked.sort((a, b) => a - b);
    await w.waitForCount(acked.length);
    assert.deepEqual(w.events.map(rvOf), acked);
    assert.ok(w.events.every((e) => e.type !== "ERROR"));
  });

  it('resourceVersion "" / "0" start with ADDED for the current state; an exact version replays what followed it', async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a"));
    const b = await h.widgets.create(ctx("default"), widget("b"));
    const zero = collect(await h.widgets.watch(ctx("default"), { resourceVersion: "0" }));
    const empty = collect(await h.widgets.watch(ctx("default"), {}));
    await zero.waitForCount(2);
    await empty.waitForCount(2);
    assert.deepEqual(zero.summary(), ["ADDED a", "ADDED b"]);
    assert.deepEqual(empty.summary(), ["ADDED a", "ADDED b"]);
    await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { size: 3 } } });
    const from = collect(await h.widgets.watch(ctx("default"), { resourceVersion: b.metadata.resourceVersion }));
    await from.waitForCount(1);
    assert.deepEqual(from.summary(), ["MODIFIED a"]);
    await zero.waitForCount(3);
    assert.deepEqual(zero.summary().slice(2), ["MODIFIED a"]);
    await h.widgets.delete(ctx("default"), "b", {});
    await from.waitForCount(2);
    const del = from.events[1]!;
    assert.equal(del.type, "DELETED");
    assert.equal((del.object as StoredObject).metadata.name, "b");
    assert.equal((del.object as StoredObject).apiVersion, "example.com/v1");
  });

  it("a version older than the history window gets an ERROR 410 Expired and the stream ends", async () => {
    h = await harness({ watchHistorySize: 5 });
    const first = await h.widgets.create(ctx("default"), widget("a", { size: 0 }));
    for (let i = 1; i <= 20; i++) await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { size: i } } });
    const w = collect(await h.widgets.watch(ctx("default"), { resourceVersion: first.metadata.resourceVersion }));
    await w.waitFor(() => w.closed, "the stream to end");
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]!.type, "ERROR");
    const s = w.events[0]!.object as Status;
    assert.equal(s.code, 410);
    assert.equal(s.reason, "Expired");
    assert.match(s.message ?? "", new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`));
  });

  it("selectors: an object that stops matching is DELETED, one that starts matching is ADDED", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", { color: "red" }, { labels: { app: "x" } }));
    const byLabel = collect(await h.widgets.watch(ctx("default"), { labelSelector: "app=x", resourceVersion: "0" }));
    const byField = collect(await h.widgets.watch(ctx("default"), { fieldSelector: "spec.color=red", resourceVersion: "0" }));
    await byLabel.waitForCount(1);
    await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { metadata: { labels: { app: "y" } } } });
    await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { metadata: { labels: { app: "x" } }, spec: { color: "green" } } });
    await h.widgets.create(ctx("default"), widget("b", { color: "blue" }, { labels: { app: "z" } }));
    await byLabel.waitForCount(3);
    await byField.waitForCount(3);
    assert.deepEqual(byLabel.summary(), ["ADDED a", "DELETED a", "ADDED a"]);
    assert.deepEqual(byField.summary(), ["ADDED a", "MODIFIED a", "DELETED a"]);
    const gone = byLabel.events[1]!.object as StoredObject;
    assert.equal(gone.metadata.labels?.app, "x", "the DELETED event carries the last matching state");
    assert.equal(rvOf(byLabel.events[1]!) < rvOf(byLabel.events[2]!), true);
  });

  it("filters by namespace and by metadata.name", async () => {
    h = await harness();
    const ns = collect(await h.widgets.watch(ctx("one"), {}));
    const named = collect(await h.widgets.watch(ctx(undefined), { fieldSelector: "metadata.name=b" }));
    await h.widgets.create(ctx("one"), widget("a"));
    await h.widgets.create(ctx("two"), widget("b"));
    await h.widgets.create(ctx("one"), widget("b"));
    await ns.waitForCount(2);
    await named.waitForCount(2);
    assert.deepEqual(ns.summary(), ["ADDED a", "ADDED b"]);
    assert.deepEqual(named.events.map((e) => (e.object as StoredObject).metadata.namespace), ["two", "one"]);
  });

  it("unsupported field labels are a 400", async () => {
    h = await harness();
    const s = await statusOf(h.widgets.watch(ctx("default"), { fieldSelector: "spec.foo=bar" }));
    assert.equal(s.code, 400);
    assert.equal(s.message, "field label not supported: spec.foo");
    assert.equal((await statusOf(h.widgets.list(ctx("default"), { fieldSelector: "spec.foo=bar" }))).code, 400);
  });

  it("sendInitialEvents ends the initial state with an annotated bookmark; periodic bookmarks carry only kind and resourceVersion", async () => {
    h = await harness({ tuning: { bookmarkIntervalMs: 30 } });
    await h.widgets.create(ctx("default"), widget("a"));
    const w = collect(await h.widgets.watch(ctx("default"), { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersion: "" }));
    await w.waitForCount(2);
    assert.deepEqual(w.summary().slice(0, 2), ["ADDED a", "BOOKMARK"]);
    const end = w.events[1]!.object as StoredObject;
    assert.deepEqual(end.metadata.annotations, { "k8s.io/initial-events-end": "true" });
    assert.equal(end.kind, "Widget");
    await w.waitForCount(3);
    const periodic = w.events[2]!.object as StoredObject;
    assert.equal(w.events[2]!.type, "BOOKMARK");
    assert.deepEqual(Object.keys(periodic.metadata), ["resourceVersion"]);
    assert.equal(periodic.metadata.resourceVersion, String(h.registry.cacheRevision()));
  });

  it("ends after timeoutSeconds; stop() ends it too", async () => {
    h = await harness();
    const w = collect(await h.widgets.watch(ctx("default"), { timeoutSeconds: 0.05 }));
    await w.waitFor(() => w.closed, "close after the timeout");
    const s = collect(await h.widgets.watch(ctx("default"), {}));
    s.stream.stop();
    await s.waitFor(() => s.closed, "close after stop");
  });

  it("a consumer that stops reading is dropped with a 410 ERROR; other watchers are unaffected", async () => {
    h = await harness({ tuning: { watchBuffer: 5 } });
    const slow = collect(await h.widgets.watch(ctx("default"), {}), { onEvent: () => false });
    const fast = collect(await h.widgets.watch(ctx("default"), {}));
    for (let i = 0; i < 12; i++) await h.widgets.create(ctx("default"), widget(`w${i}`));
    await fast.waitForCount(12);
    await slow.waitFor(() => slow.closed, "the slow watcher to be dropped");
    const last = slow.events.at(-1)!;
    assert.equal(last.type, "ERROR");
    assert.equal((last.object as Status).code, 410);
  });

  it("backpressure: onEvent returning false pauses delivery until resume()", async () => {
    h = await harness();
    let paused = true;
    const w = collect(await h.widgets.watch(ctx("default"), {}), { onEvent: () => !paused });
    for (let i = 0; i < 3; i++) await h.widgets.create(ctx("default"), widget(`w${i}`));
    await w.waitForCount(1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(w.events.length, 1);
    paused = false;
    w.stream.resume?.();
    await w.waitForCount(3);
  });

  it("the registry holds exactly one storage watch however many clients watch", async () => {
    h = await harness();
    for (let i = 0; i < 5; i++) collect(await h.widgets.watch(ctx("default"), {}));
    collect(await h.pods.watch(ctx("default"), {}));
    assert.equal(h.storage.openWatches(), 1);
  });

  it("watch at a version ahead of the cache waits for it, then 504 when it never comes", async () => {
    h = await harness({ tuning: { tooLargeResourceVersionWaitMs: 50 } });
    const s = await statusOf(h.widgets.watch(ctx("default"), { resourceVersion: "999999" }));
    assert.equal(s.code, 504);
    assert.match(s.message ?? "", /Too large resource version/);
  });

  it("list (paged) then watch from the list's version reconstructs the final state while writers race", async () => {
    h = await harness();
    for (let i = 0; i < 20; i++) await h.widgets.create(ctx("default"), widget(`w${i}`, { size: 0 }));
    let stop = false;
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        const name = `w${n % 25}`;
        if (n % 9 === 0) await h.widgets.delete(ctx("default"), name, {}).catch(() => undefined);
        else await h.widgets.patch(ctx("default"), name, { type: "merge", body: { spec: { size: n } } }).catch(() => h.widgets.create(ctx("default"), widget(name, { size: n })));
      }
    })();
    // The reflector pattern: a paged consistent list, then a watch from its resourceVersion.
    const state = new Map<string, number>();
    let page = await h.widgets.list(ctx("default"), { limit: 6 });
    const rv = page.metadata.resourceVersion!;
    for (;;) {
      for (const o of page.items) state.set(o.metadata.name!, (o.spec as { size: number }).size);
      if (!page.metadata.continue) break;
      page = await h.widgets.list(ctx("default"), { limit: 6, continue: page.metadata.continue });
    }
    const w = collect(await h.widgets.watch(ctx("default"), { resourceVersion: rv }));
    await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await writer;
    const final = await h.widgets.list(ctx("default"), {});
    await w.waitFor(() => w.events.length > 0 && rvOf(w.events.at(-1)!) >= Number(final.metadata.resourceVersion), "the watch to reach the final version");
    for (const e of w.events) {
      const o = e.object as StoredObject;
      if (e.type === "DELETED") state.delete(o.metadata.name!);
      else state.set(o.metadata.name!, (o.spec as { size: number }).size);
    }
    const expected = new Map(final.items.map((o) => [o.metadata.name!, (o.spec as { size: number }).size]));
    assert.deepEqual([...state.entries()].sort(), [...expected.entries()].sort());
  });
});

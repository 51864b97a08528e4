import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Status } from "../machinery/errors.js";
import { storageErrors } from "../storage/errors.js";
import type { Storage, WatchOptions } from "../storage/types.js";
import { createMemoryStorage } from "./testing/memory_storage.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";
import { EventCollector } from "./testing/watch_collector.js";

let h: Harness;
afterEach(async () => h?.close());

/** A storage whose registry watch can be broken on demand. */
function breakableStorage(): { storage: Storage; fail: () => void } {
  const inner = createMemoryStorage();
  let last: WatchOptions | undefined;
  const storage: Storage = Object.create(inner) as Storage;
  storage.watch = (prefix, opts) => {
    last = opts;
    return inner.watch(prefix, opts);
  };
  return { storage, fail: () => last?.onError(storageErrors.expired(1, 2)) };
}

describe("watch cache", () => {
  it("a lost storage watch ends client watches with 410 and the cache re-lists and serves again", async () => {
    const b = breakableStorage();
    h = await harness({ storage: b.storage });
    await h.widgets.create(ctx("default"), widget("a"));
    const w = new EventCollector(await h.widgets.watch(ctx("default"), {}));
    await w.waitForCount(1);
    b.fail();
    await w.waitFor(() => w.closed, "the watch to end");
    assert.equal(w.events.at(-1)!.type, "ERROR");
    assert.equal((w.events.at(-1)!.object as Status).code, 410);
    await h.widgets.create(ctx("default"), widget("b"));
    const again = new EventCollector(await h.widgets.watch(ctx("default"), {}));
    await again.waitForCount(2);
    assert.deepEqual(again.summary(), ["ADDED a", "ADDED b"]);
    again.stream.stop();
  });

  it("stopping the registry ends every watch without an error", async () => {
    h = await harness();
    const w = new EventCollector(await h.widgets.watch(ctx("default"), {}));
    await h.registry.stop();
    await w.waitFor(() => w.closed, "the watch to end");
    assert.ok(w.events.every((e) => e.type !== "ERROR"));
  });

  it("subresources a resource lacks are 404", async () => {
    h = await harness();
    await h.gadgets.create(ctx(undefined), { metadata: { name: "g" } });
    assert.equal((await statusOf(h.gadgets.get(ctx(undefined), "g", { subresource: "status" }))).code, 404);
    assert.equal((await statusOf(h.gadgets.get(ctx(undefined), "g", { subresource: "scale" }))).code, 404);
    assert.equal((await statusOf(h.widgets.update(ctx("default"), "x", widget("x"), { subresource: "finalize" }))).code, 404);
  });

  it("a restarted registry primes its cache from storage", async () => {
    const storage = createMemoryStorage();
    h = await harness({ storage });
    await h.widgets.create(ctx("default"), widget("a"));
    await h.registry.stop();
    const second = await harness({ storage });
    try {
      const l = await second.widgets.list(ctx("default"), { resourceVersion: "0" });
      assert.deepEqual(l.items.map((o) => o.metadata.name), ["a"]);
    } finally {
      await second.close();
    }
  });

  it("a consumer that throws ends only its own watch", async () => {
    h = await harness();
    const bad = new EventCollector(await h.widgets.watch(ctx("default"), {}), {
      onEvent: () => {
        throw new Error("consumer bug");
      },
    });
    const good = new EventCollector(await h.widgets.watch(ctx("default"), {}));
    await h.widgets.create(ctx("default"), widget("a"));
    await h.widgets.create(ctx("default"), widget("b"));
    await bad.waitFor(() => bad.closed, "the throwing watch to end");
    await good.waitForCount(2);
    good.stream.stop();
  });

  it("an undecodable stored value is skipped; the cache keeps serving", async () => {
    h = await harness();
    await h.storage.create("/registry/example.com/widgets/default/broken", "not json");
    await h.widgets.create(ctx("default"), widget("ok"));
    const l = await h.widgets.list(ctx("default"), { resourceVersion: "0" });
    await new Promise((r) => setTimeout(r, 20));
    const again = await h.widgets.list(ctx("default"), {});
    assert.deepEqual(again.items.map((o) => o.metadata.name), ["ok"]);
    assert.ok(l.items.every((o) => o.metadata.name !== "broken"));
  });
});

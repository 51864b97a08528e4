import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const names = (l: { items: { metadata: { name?: string } }[] }) => l.items.map((o) => o.metadata.name);

describe("generic store: list", () => {
  it("a consistent list sees every acknowledged write, with the list's revision as resourceVersion", async () => {
    h = await harness();
    for (const n of ["c", "a", "b"]) await h.widgets.create(ctx("default"), widget(n));
    const l = await h.widgets.list(ctx("default"), {});
    assert.equal(l.kind, "WidgetList");
    assert.equal(l.apiVersion, "example.com/v1");
    assert.deepEqual(names(l), ["a", "b", "c"]);
    assert.equal(l.metadata.resourceVersion, String(await h.storage.currentRevision()));
    const cached = await h.widgets.list(ctx("default"), { resourceVersion: "0" });
    assert.deepEqual(names(cached), ["a", "b", "c"]);
  });

  it("paging: limit/continue pages stay at the first page's revision while writes happen", async () => {
    h = await harness();
    for (let i = 0; i < 10; i++) await h.widgets.create(ctx("default"), widget(`w${i}`, {}, { labels: { even: String(i % 2 === 0) } }));
    const first = await h.widgets.list(ctx("default"), { limit: 4 });
    assert.deepEqual(names(first), ["w0", "w1", "w2", "w3"]);
    assert.ok(first.metadata.continue);
    assert.equal(first.metadata.remainingItemCount, 6);
    await h.widgets.delete(ctx("default"), "w5", {});
    await h.widgets.create(ctx("default"), widget("w99"));
    const second = await h.widgets.list(ctx("default"), { limit: 4, continue: first.metadata.continue });
    const third = await h.widgets.list(ctx("default"), { limit: 4, continue: second.metadata.continue });
    assert.deepEqual([...names(second), ...names(third)], ["w4", "w5", "w6", "w7", "w8", "w9"]);
    assert.equal(third.metadata.continue, undefined);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    const evens = await h.widgets.list(ctx("default"), { limit: 2, labelSelector: "even=true" });
    assert.deepEqual(names(evens), ["w0", "w2"]);
    assert.equal(evens.metadata.remainingItemCount, undefined, "a filtered list does not know what remains");
  });

  it("an expired continue token or exact version is a 410", async () => {
    h = await harness();
    for (let i = 0; i < 4; i++) await h.widgets.create(ctx("default"), widget(`w${i}`));
    const first = await h.widgets.list(ctx("default"), { limit: 2 });
    await h.widgets.patch(ctx("default"), "w0", { type: "merge", body: { spec: { size: 1 } } });
    await h.storage.compact(await h.storage.currentRevision());
    const s = await statusOf(h.widgets.list(ctx("default"), { limit: 2, continue: first.metadata.continue }));
    assert.equal(s.code, 410);
    assert.match(s.message ?? "", /continue parameter is too old/);
    const exact = await statusOf(h.widgets.list(ctx("default"), { resourceVersion: first.metadata.resourceVersion, resourceVersionMatch: "Exact" }));
    assert.equal(exact.code, 410);
  });

  it("an exact resourceVersion lists the state at that revision", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a"));
    const at = await h.widgets.list(ctx("default"), {});
    await h.widgets.create(ctx("default"), widget("b"));
    const exact = await h.widgets.list(ctx("default"), { resourceVersion: at.metadata.resourceVersion, resourceVersionMatch: "Exact" });
    assert.deepEqual(names(exact), ["a"]);
    assert.equal(exact.metadata.resourceVersion, at.metadata.resourceVersion);
    const notOlder = await h.widgets.list(ctx("default"), { resourceVersion: at.metadata.resourceVersion });
    assert.ok(Number(notOlder.metadata.resourceVersion) >= Number(at.metadata.resourceVersion), "not older than the version asked for");
    assert.equal(names(notOlder)[0], "a");
  });

  it("label and field selectors across namespaces", async () => {
    h = await harness();
    await h.widgets.create(ctx("one"), widget("a", { color: "red" }, { labels: { tier: "web" } }));
    await h.widgets.create(ctx("two"), widget("b", { color: "red" }, { labels: { tier: "db" } }));
    await h.widgets.create(ctx("two"), widget("c", { color: "green" }, { labels: { tier: "web" } }));
    assert.deepEqual(names(await h.widgets.list(ctx(undefined), { labelSelector: "tier in (web)" })), ["a", "c"]);
    assert.deepEqual(names(await h.widgets.list(ctx(undefined), { fieldSelector: "spec.color=red,metadata.namespace!=one" })), ["b"]);
    assert.deepEqual(names(await h.widgets.list(ctx("two"), { labelSelector: "tier", limit: 1 })), ["b"]);
    const bad = await statusOf(h.widgets.list(ctx(undefined), { labelSelector: "a b c" }));
    assert.equal(bad.code, 400);
  });
});

// The watch cache holding the object a write encoded instead of parsing the stored text again (adopt.ts,
// WatchCache.offer): what it holds must be exactly what parsing would give, over the real SQLite backend.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite_storage.js";
import type { Storage } from "../storage/types.js";
import { silentLogger } from "../util/log.js";
import { jsonOf } from "../util/json_cache.js";
import { freezeJsonData, textWithResourceVersion } from "./adopt.js";
import { written } from "./codec.js";
import { createRegistry, type RegistryHandle } from "./registry.js";
import type { ResourceStore } from "./rest.js";
import { ALL_TEST_RESOURCES, ctx, widget } from "./testing/fixtures.js";

describe("freezeJsonData", () => {
  it("evens out what JSON leaves out and keeps the rest, so the value equals its JSON round trip, and freezes it", () => {
    const v: Record<string, unknown> = { a: 1, gone: undefined, z: -0, list: [1, undefined, -0, "x", { b: undefined, c: [null, true] }], nested: { deep: { x: "y", u: undefined } } };
    assert.equal(freezeJsonData(v), true);
    assert.deepEqual(v, JSON.parse(JSON.stringify(v)));
    assert.deepEqual(Object.keys(v), ["a", "z", "list", "nested"]);
    assert.ok(Object.is(v.z, 0));
    assert.ok(Object.is((v.list as unknown[])[2], 0));
    const frozen = (x: unknown): boolean => typeof x !== "object" || x === null || (Object.isFrozen(x) && Object.values(x).every(frozen));
    assert.ok(frozen(v));
  });

  it("refuses what JSON would rewrite", () => {
    class Thing {
      x = 1;
    }
    for (const bad of [{ d: new Date(0) }, { n: Number.NaN }, { i: Infinity }, { f: () => 1 }, { s: Symbol("s") }, { b: 1n }, { t: new Thing() }, { j: { toJSON: () => "x" } }, { m: new Map() }, [Object.create(null)], { deep: [{ x: -Infinity }] }]) {
      assert.equal(freezeJsonData(bad), false, `${String(Object.keys(bad))}`);
    }
  });

  it("takes frozen values as the watch cache's: not walked again", () => {
    const cached = Object.freeze({ a: Object.freeze({ b: 1 }) });
    const v = { shared: cached, own: { c: undefined } };
    assert.equal(freezeJsonData(v), true);
    assert.equal(v.shared, cached);
    assert.deepEqual(v, { shared: { a: { b: 1 } }, own: {} });
  });
});

describe("textWithResourceVersion", () => {
  it("is JSON.stringify of the object with resourceVersion first in metadata", () => {
    const cases: Record<string, unknown>[] = [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { a: "\"metadata\":{" } }, spec: { x: [1, { metadata: {} }] } },
      { kind: "Thing", n: 3, flag: true, nothing: null, skipped: undefined, metadata: {}, data: "x" },
      { metadata: { name: "first" } },
    ];
    for (const c of cases) {
      const stored = JSON.stringify(c);
      c.metadata = { resourceVersion: "42", ...(c.metadata as object) };
      assert.equal(textWithResourceVersion(c, stored, "42"), JSON.stringify(c));
    }
  });

  it("gives up where the text before metadata is not plain fields", () => {
    const obj = { spec: { a: 1 }, metadata: { resourceVersion: "1", name: "x" } };
    assert.equal(textWithResourceVersion(obj, JSON.stringify({ spec: { a: 1 }, metadata: { name: "x" } }), "1"), undefined);
    assert.equal(textWithResourceVersion({ kind: "K" }, `{"kind":"K"}`, "1"), undefined);
  });
});

describe("written", () => {
  it("names the write's resourceVersion, on a copy when the cache froze the object at another write's", () => {
    const frozen = Object.freeze({ apiVersion: "v1", kind: "ConfigMap", metadata: Object.freeze({ name: "c", resourceVersion: "5" }) }) as StoredObject;
    assert.equal(written(frozen, { key: "k", value: "", createRevision: 1, modRevision: 5 }), frozen);
    const copy = written(frozen, { key: "k", value: "", createRevision: 1, modRevision: 7 });
    assert.equal(copy.metadata.resourceVersion, "7");
    assert.equal(frozen.metadata.resourceVersion, "5");
  });
});

describe("written objects in the watch cache (SQLite)", () => {
  let dir: string;
  let storage: Storage;
  let registry: RegistryHandle;
  let widgets: ResourceStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "k8ts-adopt-"));
    storage = await openSqliteStorage({ path: join(dir, "state.db"), compactIntervalMs: 0, logger: silentLogger });
    registry = createRegistry({ storage, resources: ALL_TEST_RESOURCES });
    await registry.start();
    widgets = registry.store("example.com", "widgets") as ResourceStore;
    await (registry.store("", "namespaces") as ResourceStore).create(ctx(undefined), { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  });

  after(async () => {
    await registry.stop();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The cache's object and what parsing the stored value gives, resourceVersion set as the cache sets it. */
  async function cachedAndParsed(name: string): Promise<{ cached: StoredObject; parsed: StoredObject }> {
    const cached = await widgets.get(ctx("default"), name, { resourceVersion: "0" });
    const kv = (await storage.get(`/registry/example.com/widgets/default/${name}`))!;
    const parsed = JSON.parse(kv.value) as StoredObject;
    (parsed.metadata as { resourceVersion?: string }).resourceVersion = String(kv.modRevision);
    return { cached, parsed };
  }

  it("a create's answer is the cache's object: frozen, with the write's resourceVersion, equal to the stored text", async () => {
    const created = await widgets.create(ctx("default"), widget("a", { size: 3, note: undefined, tags: ["x", undefined] }));
    const { cached, parsed } = await cachedAndParsed("a");
    assert.equal(created, cached, "the cache holds the object the write encoded, not a parse of it");
    assert.ok(Object.isFrozen(cached) && Object.isFrozen(cached.metadata) && Object.isFrozen(cached.spec));
    assert.deepEqual(cached, parsed);
    assert.equal(jsonOf(cached), JSON.stringify(cached));
    assert.equal(Object.keys(cached.metadata)[0], "resourceVersion");
    assert.equal(cached.metadata.resourceVersion, String((await storage.get("/registry/example.com/widgets/default/a"))!.modRevision));
    assert.deepEqual((cached.spec as { tags: unknown[] }).tags, ["x", null]);
    assert.equal("note" in (cached.spec as object), false);
  });

  it("an update's result is cached the same way, and a later update of the frozen object works on a copy", async () => {
    const cur = await widgets.get(ctx("default"), "a");
    const next = { ...cur, spec: { size: 4 } };
    const { object: updated } = await widgets.update(ctx("default"), "a", next);
    const { cached, parsed } = await cachedAndParsed("a");
    assert.equal(updated, cached);
    assert.deepEqual(cached, parsed);
    assert.equal(jsonOf(cached), JSON.stringify(cached));
    assert.equal(Object.keys(cached.metadata)[0], "resourceVersion");
    const again = await widgets.update(ctx("default"), "a", { ...cached, spec: { size: 5 } });
    assert.equal((again.object.spec as { size: number }).size, 5);
    assert.deepEqual((await cachedAndParsed("a")).cached, (await cachedAndParsed("a")).parsed);
  });

  it("concurrent writes to one key: each answer is the object at its own revision, the cache the last", async () => {
    const gadgets = registry.store("example.com", "gadgets") as ResourceStore;
    await gadgets.create(ctx(undefined), { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" }, spec: { n: 0 } });
    const put = (n: number) => gadgets.update(ctx(undefined), "g", { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" }, spec: { n } });
    const results = await Promise.all([1, 2, 3, 4].map(put));
    const revisions = results.map((r) => Number(r.object.metadata.resourceVersion));
    assert.equal(new Set(revisions).size, 4, "every write has its own revision");
    const cached = await gadgets.get(ctx(undefined), "g", { resourceVersion: "0" });
    const last = results[revisions.indexOf(Math.max(...revisions))]!.object;
    assert.equal(cached, last);
    const kv = (await storage.get("/registry/example.com/gadgets/g"))!;
    assert.deepEqual(cached, { ...(JSON.parse(kv.value) as StoredObject), metadata: { ...(JSON.parse(kv.value) as StoredObject).metadata, resourceVersion: String(kv.modRevision) } });
  });
});

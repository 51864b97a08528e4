import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

describe("generic store: create and get", () => {
  it("creates with server-owned metadata and reads it back", async () => {
    h = await harness();
    const c = ctx("default", { fieldManager: "tester" });
    const w = await h.widgets.create(c, widget("a", { size: 1 }));
    const m = w.metadata;
    assert.match(m.uid ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(m.creationTimestamp, "2026-01-01T00:00:00Z");
    assert.equal(m.generation, 1);
    assert.equal(m.namespace, "default");
    assert.ok(Number(m.resourceVersion) > 0);
    assert.equal((w.spec as { color: string }).color, "blue", "strategy defaults ran");
    assert.equal(m.managedFields?.[0]?.manager, "tester");
    assert.equal(m.managedFields?.[0]?.operation, "Update");
    const got = await h.widgets.get(ctx("default"), "a");
    assert.deepEqual(got, w);
    assert.equal(w.apiVersion, "example.com/v1");
    assert.equal(w.kind, "Widget");
  });

  it("stores JSON in the storage version under the resource's key, without resourceVersion", async () => {
    h = await harness();
    await h.widgets.create(ctx("ns1", { version: "v1beta1" }), { apiVersion: "example.com/v1beta1", kind: "Widget", metadata: { name: "w" }, spec: { count: 3 } });
    const kv = await h.storage.get("/registry/example.com/widgets/ns1/w");
    const stored = JSON.parse(kv!.value);
    assert.equal(stored.apiVersion, "example.com/v1");
    assert.equal(stored.spec.size, 3);
    assert.equal(stored.metadata.resourceVersion, undefined);
    const v1 = await h.widgets.get(ctx("ns1"), "w");
    assert.equal((v1.spec as { size: number }).size, 3);
    const beta = await h.widgets.get(ctx("ns1", { version: "v1beta1" }), "w");
    assert.equal((beta.spec as { count: number }).count, 3);
    assert.equal(beta.apiVersion, "example.com/v1beta1");
    await h.gadgets.create(ctx(undefined), { metadata: { name: "g" } });
    assert.ok(await h.storage.get("/registry/example.com/gadgets/g"), "cluster-scoped key has no namespace segment");
  });

  it("generateName appends 5 characters from Kubernetes' alphabet", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("", {}, { generateName: "web-" }));
    assert.match(w.metadata.name ?? "", /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("rejects duplicates, bad names, namespace mismatches, bad labels and strategy errors", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a"));
    const dup = await statusOf(h.widgets.create(ctx("default"), widget("a")));
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, "AlreadyExists");
    assert.equal(dup.message, 'widgets.example.com "a" already exists');
    const bad = await statusOf(h.widgets.create(ctx("default"), widget("Bad_Name")));
    assert.equal(bad.code, 422);
    assert.match(bad.message ?? "", /^Widget\.example\.com "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const none = await statusOf(h.widgets.create(ctx("default"), widget("")));
    assert.match(none.message ?? "", /metadata\.name: Required value: name or generateName is required/);
    const ns = await statusOf(h.widgets.create(ctx("default"), widget("b", {}, { namespace: "other" })));
    assert.equal(ns.code, 400);
    assert.equal(ns.message, "the namespace of the provided object does not match the namespace sent on the request");
    const labels = await statusOf(h.widgets.create(ctx("default"), widget("c", {}, { labels: { "bad key!": "x" } })));
    assert.equal(labels.code, 422);
    assert.match(labels.message ?? "", /metadata\.labels/);
    const strat = await statusOf(h.widgets.create(ctx("default"), widget("d", { size: -1 })));
    assert.match(strat.message ?? "", /spec\.size: Invalid value: -1: must be greater than or equal to 0/);
  });

  it("get: 404 with Kubernetes' message; resourceVersion 0 reads the cache", async () => {
    h = await harness();
    const nf = await statusOf(h.widgets.get(ctx("default"), "nope"));
    assert.equal(nf.code, 404);
    assert.equal(nf.message, 'widgets.example.com "nope" not found');
    const w = await h.widgets.create(ctx("default"), widget("a"));
    const cached = await h.widgets.get(ctx("default"), "a", { resourceVersion: w.metadata.resourceVersion });
    assert.equal(cached.metadata.resourceVersion, w.metadata.resourceVersion, "a read at the write's version waits for the cache");
  });

  it("dry-run create validates and answers but stores nothing", async () => {
    h = await harness();
    const rev = await h.storage.currentRevision();
    const w = await h.widgets.create(ctx("default", { dryRun: true }), widget("a"));
    assert.equal(w.metadata.name, "a");
    assert.ok(w.metadata.uid);
    assert.equal(await h.storage.currentRevision(), rev);
    assert.equal(await h.storage.get("/registry/example.com/widgets/default/a"), null);
    await h.widgets.create(ctx("default"), widget("b"));
    assert.equal((await statusOf(h.widgets.create(ctx("default", { dryRun: true }), widget("b")))).code, 409);
  });

  it("fieldValidation: Strict rejects unknown fields, Warn warns, Ignore ignores", async () => {
    h = await harness({
      resolver: { resolve: () => ({ type: "object" }), forKind: () => "Widget" },
      findUnknownFields: (obj) => ((obj as { spec?: { foo?: unknown } }).spec?.foo !== undefined ? ["spec.foo"] : []),
    });
    const strict = await statusOf(h.widgets.create(ctx("default", { fieldValidation: "Strict" }), widget("a", { foo: 1 })));
    assert.equal(strict.code, 400);
    assert.equal(strict.message, 'strict decoding error: unknown field "spec.foo"');
    const warnCtx = ctx("default", { fieldValidation: "Warn" });
    await h.widgets.create(warnCtx, widget("b", { foo: 1 }));
    assert.deepEqual(warnCtx.warnings, ['unknown field "spec.foo"']);
    const ignore = ctx("default");
    await h.widgets.create(ignore, widget("c", { foo: 1 }));
    assert.deepEqual(ignore.warnings, []);
  });
});

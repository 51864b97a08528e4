import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const spec = (o: StoredObject) => o.spec as Record<string, unknown>;

describe("generic store: patch", () => {
  it("merge, json and strategic (without a schema: merge rules) patches", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", { size: 1, tags: ["x"] }));
    let r = await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { size: 2 } } });
    assert.equal(spec(r.object).size, 2);
    assert.deepEqual(spec(r.object).tags, ["x"]);
    r = await h.widgets.patch(ctx("default"), "a", { type: "json", body: [{ op: "add", path: "/spec/tags/-", value: "y" }] });
    assert.deepEqual(spec(r.object).tags, ["x", "y"]);
    r = await h.widgets.patch(ctx("default"), "a", { type: "strategic", body: { metadata: { labels: { l: "v" } } } });
    assert.deepEqual(r.object.metadata.labels, { l: "v" });
    assert.equal(r.object.metadata.generation, 3);
    const bad = await statusOf(h.widgets.patch(ctx("default"), "a", { type: "json", body: [{ op: "test", path: "/spec/size", value: 99 }] }));
    assert.ok(bad.code >= 400 && bad.code < 500);
    assert.equal((await statusOf(h.widgets.patch(ctx("default"), "missing", { type: "merge", body: {} }))).code, 404);
  });

  it("admitPatched sees (and may change or reject) the patched object before it is written", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const seen: string[] = [];
    const c = ctx("default", {
      admitPatched: async (op, obj, old) => {
        seen.push(`${op} ${spec(old!).size}->${spec(obj).size}`);
        if (spec(obj).size === 13) throw new Error("unlucky");
        obj.metadata.labels = { admitted: "yes" };
      },
    });
    const r = await h.widgets.patch(c, "a", { type: "merge", body: { spec: { size: 2 } } });
    assert.deepEqual(seen, ["UPDATE 1->2"]);
    assert.deepEqual(r.object.metadata.labels, { admitted: "yes" });
    await assert.rejects(h.widgets.patch(c, "a", { type: "merge", body: { spec: { size: 13 } } }), /unlucky/);
    assert.equal(spec(await h.widgets.get(ctx("default"), "a")).size, 2);
  });

  it("a resourceVersion in the patch is a precondition", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { size: 2 } } });
    const s = await statusOf(h.widgets.patch(ctx("default"), "a", { type: "merge", body: { metadata: { resourceVersion: w.metadata.resourceVersion }, spec: { size: 3 } } }));
    assert.equal(s.code, 409);
  });

  it("patch of the status subresource changes only status", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const r = await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { size: 5 }, status: { size: 1 } } }, { subresource: "status" });
    assert.equal(spec(r.object).size, 1);
    assert.deepEqual(r.object.status, { size: 1 });
  });

  it("dry-run patch stores nothing", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const rev = await h.storage.currentRevision();
    const r = await h.widgets.patch(ctx("default", { dryRun: true }), "a", { type: "merge", body: { spec: { size: 9 } } });
    assert.equal(spec(r.object).size, 9);
    assert.equal(await h.storage.currentRevision(), rev);
  });

  it("apply creates a missing object (created) and updates an existing one; conflicts with other managers are 409", async () => {
    h = await harness();
    const body = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "a" }, spec: { size: 1 } };
    const c = ctx("default", { fieldManager: "kubectl" });
    const created = await h.widgets.patch(c, "a", { type: "apply", body });
    assert.equal(created.created, true);
    assert.deepEqual(created.object.metadata.managedFields?.map((e) => [e.manager, e.operation]), [["kubectl", "Apply"]]);
    assert.equal((created.object.spec as { color: string }).color, "blue", "defaults apply to applied objects");
    const updated = await h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 1, tags: ["x"] } } });
    assert.equal(updated.created, false);
    assert.deepEqual(spec(updated.object).tags, ["x"]);
    await h.widgets.patch(ctx("default", { fieldManager: "other" }), "a", { type: "merge", body: { spec: { size: 3 } } });
    const conflict = await statusOf(h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 5 } } }));
    assert.equal(conflict.code, 409);
    assert.equal(conflict.message, 'Apply failed with 1 conflict: conflict with "other" using example.com/v1: .spec.size');
    const forced = await h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 5 } }, force: true });
    assert.equal(spec(forced.object).size, 5);
    const noManager = await statusOf(h.widgets.patch(ctx("default"), "a", { type: "apply", body }));
    assert.equal(noManager.code, 422);
  });
});

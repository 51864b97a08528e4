import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { applyMergePatch } from "../machinery/merge_patch.js";
import { defaultPatchers, type ServerSideApply } from "./patchers.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const spec = (o: StoredObject) => o.spec as Record<string, unknown>;

/** A stand-in for machinery/apply.ts: merges the applied config, owns nothing, conflicts on spec.size unless forced. */
const fakeApply: ServerSideApply = (live, applied, opts) => {
  const liveSize = (live.spec as { size?: number } | undefined)?.size;
  const appliedSize = (applied.spec as { size?: number } | undefined)?.size;
  if (!opts.force && liveSize !== undefined && appliedSize !== undefined && liveSize !== appliedSize && live.metadata.annotations?.owner === "other") {
    return { object: live, conflicts: [{ manager: "other", field: ".spec.size" }] };
  }
  const object = applyMergePatch(live, applied) as StoredObject;
  object.metadata.managedFields = [{ manager: opts.manager, operation: "Apply", apiVersion: "example.com/v1", fieldsType: "FieldsV1", fieldsV1: {} }];
  return { object, conflicts: [] };
};

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

  it("apply creates a missing object (created) and updates an existing one; conflicts are 409", async () => {
    h = await harness({ patchers: { ...defaultPatchers, apply: async () => fakeApply } });
    const body = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "a", annotations: { owner: "other" } }, spec: { size: 1 } };
    const c = ctx("default", { fieldManager: "kubectl" });
    const created = await h.widgets.patch(c, "a", { type: "apply", body });
    assert.equal(created.created, true);
    assert.equal(created.object.metadata.managedFields?.[0]?.operation, "Apply");
    const updated = await h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 1, color: "red" } } });
    assert.equal(updated.created, false);
    assert.equal(spec(updated.object).color, "red");
    const conflict = await statusOf(h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 5 } } }));
    assert.equal(conflict.code, 409);
    assert.match(conflict.message ?? "", /Apply failed with 1 conflict: conflict with "other": \.spec\.size/);
    const forced = await h.widgets.patch(c, "a", { type: "apply", body: { ...body, spec: { size: 5 } }, force: true });
    assert.equal(spec(forced.object).size, 5);
    const noManager = await statusOf(h.widgets.patch(ctx("default"), "a", { type: "apply", body }));
    assert.equal(noManager.code, 400);
  });
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const spec = (o: StoredObject) => o.spec as Record<string, unknown>;

describe("generic store: update", () => {
  it("a stale resourceVersion is a 409 Conflict with Kubernetes' message", async () => {
    h = await harness();
    const v1 = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const v2 = await h.widgets.update(ctx("default"), "a", { ...v1, spec: { size: 2 } });
    assert.equal(v2.created, false);
    assert.ok(Number(v2.object.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    const stale = await statusOf(h.widgets.update(ctx("default"), "a", { ...v1, spec: { size: 3 } }));
    assert.equal(stale.code, 409);
    assert.equal(stale.reason, "Conflict");
    assert.equal(stale.message, 'Operation cannot be fulfilled on widgets.example.com "a": the object has been modified; please apply your changes to the latest version and try again');
  });

  it("an update without resourceVersion is refused unless the strategy allows unconditional updates", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a"));
    const s = await statusOf(h.widgets.update(ctx("default"), "a", widget("a", { size: 5 })));
    assert.equal(s.code, 422);
    assert.match(s.message ?? "", /metadata\.resourceVersion: Invalid value: "0x0": must be specified for an update/);
    await h.gadgets.create(ctx(undefined), { metadata: { name: "g" }, spec: { x: 1 } });
    const g = await h.gadgets.update(ctx(undefined), "g", { metadata: { name: "g" }, spec: { x: 2 } });
    assert.deepEqual(g.object.spec, { x: 2 });
  });

  it("allowCreateOnUpdate: PUT of a missing object creates it (created: true); otherwise 404", async () => {
    h = await harness();
    const g = await h.gadgets.update(ctx(undefined), "new", { metadata: { name: "new" } });
    assert.equal(g.created, true);
    assert.equal(g.object.metadata.generation, 1);
    assert.equal((await statusOf(h.widgets.update(ctx("default"), "missing", widget("missing", {}, { resourceVersion: "5" })))).code, 404);
  });

  it("generation bumps only when something outside metadata and status changes", async () => {
    h = await harness();
    let w = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    w = (await h.widgets.update(ctx("default"), "a", { ...w, metadata: { ...w.metadata, labels: { x: "y" } } })).object;
    assert.equal(w.metadata.generation, 1, "label change keeps generation");
    w = (await h.widgets.update(ctx("default"), "a", { ...w, spec: { ...spec(w), size: 2 } })).object;
    assert.equal(w.metadata.generation, 2, "spec change bumps generation");
    w = (await h.widgets.update(ctx("default"), "a", { ...w, status: { size: 2 } }, { subresource: "status" })).object;
    assert.equal(w.metadata.generation, 2, "status change keeps generation");
  });

  it("a no-op update writes nothing and returns the same resourceVersion", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const rev = await h.storage.currentRevision();
    const same = await h.widgets.update(ctx("default"), "a", w);
    assert.equal(same.object.metadata.resourceVersion, w.metadata.resourceVersion);
    assert.equal(await h.storage.currentRevision(), rev);
  });

  it("status subresource keeps spec; main resource keeps status", async () => {
    h = await harness();
    let w = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    w = (await h.widgets.update(ctx("default"), "a", { ...w, spec: { size: 9 }, status: { size: 1 } }, { subresource: "status" })).object;
    assert.equal(spec(w).size, 1, "status update ignored the spec change");
    assert.deepEqual(w.status, { size: 1 });
    w = (await h.widgets.update(ctx("default"), "a", { ...w, spec: { size: 4 }, status: { size: 100 } })).object;
    assert.equal(spec(w).size, 4);
    assert.deepEqual(w.status, { size: 1 }, "main update ignored the status change");
  });

  it("server-owned metadata cannot be changed; a different uid is a precondition failure", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a"));
    const upd = await h.widgets.update(ctx("default"), "a", { ...w, metadata: { ...w.metadata, creationTimestamp: "2000-01-01T00:00:00Z", labels: { a: "b" } } });
    assert.equal(upd.object.metadata.creationTimestamp, w.metadata.creationTimestamp);
    const uid = await statusOf(h.widgets.update(ctx("default"), "a", { ...upd.object, metadata: { ...upd.object.metadata, uid: "other" } }));
    assert.equal(uid.code, 409);
    assert.match(uid.message ?? "", /Precondition failed: UID in precondition: other/);
    const name = await statusOf(h.widgets.update(ctx("default"), "a", { ...upd.object, metadata: { ...upd.object.metadata, name: "b" } }));
    assert.equal(name.code, 400);
    assert.equal(name.message, "the name of the object (b) does not match the name on the URL (a)");
  });

  it("dry-run update answers the new object but stores nothing", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a", { size: 1 }));
    const rev = await h.storage.currentRevision();
    const dry = await h.widgets.update(ctx("default", { dryRun: true }), "a", { ...w, spec: { size: 7 } });
    assert.equal(spec(dry.object).size, 7);
    assert.equal(await h.storage.currentRevision(), rev);
    assert.equal(spec(await h.widgets.get(ctx("default"), "a")).size, 1);
  });

  it("scale subresource reads and writes spec.replicas through autoscaling/v1 Scale", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a", { size: 2 }));
    const scale = await h.widgets.get(ctx("default"), "a", { subresource: "scale" });
    assert.deepEqual(scale, {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "a", namespace: "default", uid: w.metadata.uid, resourceVersion: w.metadata.resourceVersion, creationTimestamp: w.metadata.creationTimestamp },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: "app=a" },
    });
    const put = await h.widgets.update(ctx("default"), "a", { ...scale, spec: { replicas: 5 } }, { subresource: "scale" });
    assert.equal((put.object.spec as { replicas: number }).replicas, 5);
    assert.equal(spec(await h.widgets.get(ctx("default"), "a")).size, 5);
    const stale = await statusOf(h.widgets.update(ctx("default"), "a", { ...scale, spec: { replicas: 6 } }, { subresource: "scale" }));
    assert.equal(stale.code, 409);
    const patched = await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { replicas: 7 } } }, { subresource: "scale" });
    assert.equal((patched.object.spec as { replicas: number }).replicas, 7);
    const after = await h.widgets.get(ctx("default"), "a");
    assert.equal(spec(after).size, 7);
    assert.equal(after.metadata.generation, 3);
    const neg = await statusOf(h.widgets.patch(ctx("default"), "a", { type: "merge", body: { spec: { replicas: -1 } } }, { subresource: "scale" }));
    assert.equal(neg.code, 422);
  });

  it("records the field manager of each update in managedFields", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default", { fieldManager: "creator" }), widget("a", { size: 1 }));
    const u = await h.widgets.update(ctx("default", { fieldManager: "editor" }), "a", { ...w, spec: { ...spec(w), size: 2 } });
    const managers = (u.object.metadata.managedFields ?? []).map((e) => e.manager);
    assert.deepEqual(managers, ["creator", "editor"]);
    const editor = u.object.metadata.managedFields![1]!;
    assert.deepEqual(editor.fieldsV1, { "f:spec": { "f:size": {} } });
    const creator = u.object.metadata.managedFields![0]!.fieldsV1 as { "f:spec": Record<string, unknown> };
    assert.equal(creator["f:spec"]["f:size"], undefined, "the editor took spec.size from the creator");
  });

  it("concurrent unconditional updates all land (retry on storage conflicts)", async () => {
    h = await harness();
    await h.gadgets.create(ctx(undefined), { metadata: { name: "g" }, spec: { n: 0 } });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.gadgets.patch(ctx(undefined), "g", { type: "merge", body: { metadata: { labels: { [`l${i}`]: "x" } } } })),
    );
    const g = await h.gadgets.get(ctx(undefined), "g");
    assert.equal(Object.keys(g.metadata.labels ?? {}).length, 10);
  });
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ctx, harness, pod, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

describe("generic store: delete", () => {
  it("deletes at once without finalizers; then 404", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a"));
    const res = await h.widgets.delete(ctx("default"), "a", {});
    assert.equal(res.deleted, true);
    assert.equal(res.object.metadata.uid, w.metadata.uid);
    assert.ok(Number(res.object.metadata.resourceVersion) > Number(w.metadata.resourceVersion), "the deleted object carries the delete's revision");
    assert.equal((await statusOf(h.widgets.get(ctx("default"), "a"))).code, 404);
    assert.equal((await statusOf(h.widgets.delete(ctx("default"), "a", {}))).code, 404);
  });

  it("preconditions on uid and resourceVersion", async () => {
    h = await harness();
    const w = await h.widgets.create(ctx("default"), widget("a"));
    const uid = await statusOf(h.widgets.delete(ctx("default"), "a", { preconditions: { uid: "nope" } }));
    assert.equal(uid.code, 409);
    assert.equal(uid.message, `Operation cannot be fulfilled on widgets.example.com "a": Precondition failed: UID in precondition: nope, UID in object meta: ${w.metadata.uid}`);
    const rv = await statusOf(h.widgets.delete(ctx("default"), "a", { preconditions: { resourceVersion: "1" } }));
    assert.equal(rv.code, 409);
    assert.match(rv.message ?? "", /Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: /);
    const ok = await h.widgets.delete(ctx("default"), "a", { preconditions: { uid: w.metadata.uid, resourceVersion: w.metadata.resourceVersion } });
    assert.equal(ok.deleted, true);
  });

  it("finalizers keep the object with deletionTimestamp until an update removes the last one", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", {}, { finalizers: ["example.com/hold", "example.com/two"] }));
    const res = await h.widgets.delete(ctx("default"), "a", {});
    assert.equal(res.deleted, false);
    assert.equal(res.object.metadata.deletionTimestamp, "2026-01-01T00:00:00Z");
    assert.equal(res.object.metadata.deletionGracePeriodSeconds, 0);
    const again = await h.widgets.delete(ctx("default"), "a", {});
    assert.equal(again.deleted, false, "deleting again changes nothing");
    assert.equal(again.object.metadata.resourceVersion, res.object.metadata.resourceVersion);
    const cur = await h.widgets.get(ctx("default"), "a");
    const added = await statusOf(h.widgets.update(ctx("default"), "a", { ...cur, metadata: { ...cur.metadata, finalizers: ["example.com/hold", "example.com/two", "example.com/new"] } }));
    assert.equal(added.code, 422);
    assert.match(added.message ?? "", /no new finalizers can be added if the object is being deleted/);
    const one = await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { metadata: { finalizers: ["example.com/two"] } } });
    assert.deepEqual(one.object.metadata.finalizers, ["example.com/two"]);
    await h.widgets.patch(ctx("default"), "a", { type: "merge", body: { metadata: { finalizers: null } } });
    assert.equal((await statusOf(h.widgets.get(ctx("default"), "a"))).code, 404, "removing the last finalizer deleted it");
  });

  it("propagationPolicy sets the garbage collector's finalizers", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("fg"));
    const fg = await h.widgets.delete(ctx("default"), "fg", { propagationPolicy: "Foreground" });
    assert.equal(fg.deleted, false);
    assert.deepEqual(fg.object.metadata.finalizers, ["foregroundDeletion"]);
    assert.ok(fg.object.metadata.deletionTimestamp);
    await h.widgets.create(ctx("default"), widget("or"));
    const or = await h.widgets.delete(ctx("default"), "or", { orphanDependents: true });
    assert.deepEqual(or.object.metadata.finalizers, ["orphan"]);
    const bg = await h.widgets.delete(ctx("default"), "or", { propagationPolicy: "Background" });
    assert.equal(bg.deleted, true, "Background removes the orphan finalizer and the object goes");
  });

  it("graceful deletion: a bound pod stays until deleted with grace 0; an unbound pod goes at once", async () => {
    h = await harness();
    await h.pods.create(ctx("default"), pod("bound", { nodeName: "n1", terminationGracePeriodSeconds: 20 }));
    const first = await h.pods.delete(ctx("default"), "bound", {});
    assert.equal(first.deleted, false);
    assert.equal(first.object.metadata.deletionGracePeriodSeconds, 20);
    assert.equal(first.object.metadata.deletionTimestamp, "2026-01-01T00:00:20Z");
    assert.equal(first.object.metadata.generation, 2);
    const shorter = await h.pods.delete(ctx("default"), "bound", { gracePeriodSeconds: 5 });
    assert.equal(shorter.object.metadata.deletionGracePeriodSeconds, 5);
    const longer = await h.pods.delete(ctx("default"), "bound", { gracePeriodSeconds: 50 });
    assert.equal(longer.object.metadata.deletionGracePeriodSeconds, 5, "a longer grace period does not extend it");
    const force = await h.pods.delete(ctx("default"), "bound", { gracePeriodSeconds: 0 });
    assert.equal(force.deleted, true);
    await h.pods.create(ctx("default"), pod("unbound"));
    assert.equal((await h.pods.delete(ctx("default"), "unbound", {})).deleted, true);
    await h.pods.create(ctx("default"), pod("zero", { nodeName: "n1" }));
    assert.equal((await h.pods.delete(ctx("default"), "zero", { gracePeriodSeconds: 0 })).deleted, true);
  });

  it("dry-run delete answers but keeps the object", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a"));
    const rev = await h.storage.currentRevision();
    const res = await h.widgets.delete(ctx("default", { dryRun: true }), "a", {});
    assert.equal(res.deleted, true);
    assert.equal(await h.storage.currentRevision(), rev);
    await h.widgets.get(ctx("default"), "a");
  });

  it("deleteCollection deletes what the selectors match", async () => {
    h = await harness();
    await h.widgets.create(ctx("default"), widget("a", {}, { labels: { app: "x" } }));
    await h.widgets.create(ctx("default"), widget("b", {}, { labels: { app: "x" } }));
    await h.widgets.create(ctx("default"), widget("c", {}, { labels: { app: "y" } }));
    await h.widgets.create(ctx("other"), widget("d", {}, { labels: { app: "x" } }));
    const res = await h.widgets.deleteCollection(ctx("default"), { labelSelector: "app=x" }, {});
    assert.deepEqual(res.items.map((o) => o.metadata.name), ["a", "b"]);
    const left = await h.widgets.list(ctx(undefined), {});
    assert.deepEqual(left.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ["default/c", "other/d"]);
  });
});

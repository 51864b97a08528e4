import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { ctx, harness, statusOf, widget, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const nsSpec = (o: StoredObject) => o.spec as { finalizers?: string[] };
const nsStatus = (o: StoredObject) => o.status as { phase?: string };

describe("namespace lifecycle", () => {
  it("a new namespace is Active with the kubernetes finalizer", async () => {
    h = await harness({ withNamespaces: true });
    const ns = await h.namespaces.create(ctx(undefined), { metadata: { name: "team" } });
    assert.deepEqual(nsSpec(ns).finalizers, ["kubernetes"]);
    assert.equal(nsStatus(ns).phase, "Active");
  });

  it("creating in a missing namespace is 404; in a Terminating one 403", async () => {
    h = await harness({ withNamespaces: true });
    const missing = await statusOf(h.widgets.create(ctx("nope"), widget("a")));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'namespaces "nope" not found');
    await h.namespaces.create(ctx(undefined), { metadata: { name: "team" } });
    await h.widgets.create(ctx("team"), widget("a"));
    const del = await h.namespaces.delete(ctx(undefined), "team", {});
    assert.equal(del.deleted, false);
    assert.equal(nsStatus(del.object).phase, "Terminating");
    assert.ok(del.object.metadata.deletionTimestamp);
    const term = await statusOf(h.widgets.create(ctx("team"), widget("b")));
    assert.equal(term.code, 403);
    assert.equal(term.message, 'widgets.example.com "b" is forbidden: unable to create new content in namespace team because it is being terminated');
    await h.widgets.patch(ctx("team"), "a", { type: "merge", body: { spec: { size: 2 } } });
  });

  it("finalize removing the last finalizer of a Terminating namespace deletes it", async () => {
    h = await harness({ withNamespaces: true });
    await h.namespaces.create(ctx(undefined), { metadata: { name: "team" } });
    const cur = await h.namespaces.get(ctx(undefined), "team");
    const upd = await h.namespaces.update(ctx(undefined), "team", { ...cur, spec: { finalizers: [] } });
    assert.deepEqual(nsSpec(upd.object).finalizers, ["kubernetes"], "a plain update cannot change spec.finalizers");
    await h.namespaces.delete(ctx(undefined), "team", {});
    const again = await h.namespaces.delete(ctx(undefined), "team", {});
    assert.equal(again.deleted, false, "still waiting for the namespace controller");
    const term = await h.namespaces.get(ctx(undefined), "team");
    const fin = await h.namespaces.update(ctx(undefined), "team", { ...term, spec: { finalizers: [] } }, { subresource: "finalize" });
    assert.deepEqual(nsSpec(fin.object).finalizers, []);
    assert.equal((await statusOf(h.namespaces.get(ctx(undefined), "team"))).code, 404);
  });

  it("finalize on an Active namespace only updates spec.finalizers; deleting it then deletes at once", async () => {
    h = await harness({ withNamespaces: true });
    await h.namespaces.create(ctx(undefined), { metadata: { name: "team" } });
    const fin = await h.namespaces.update(ctx(undefined), "team", { metadata: { name: "team" }, spec: { finalizers: [] } }, { subresource: "finalize" });
    assert.equal(nsStatus(fin.object).phase, "Active");
    const del = await h.namespaces.delete(ctx(undefined), "team", {});
    assert.equal(del.deleted, true);
  });

  it("default, kube-system and kube-public may not be deleted", async () => {
    h = await harness({ withNamespaces: true });
    await h.namespaces.create(ctx(undefined), { metadata: { name: "default" } });
    const s = await statusOf(h.namespaces.delete(ctx(undefined), "default", {}));
    assert.equal(s.code, 403);
    assert.equal(s.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

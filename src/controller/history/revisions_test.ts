import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../api/object.js";
import { Indexer } from "../../client/indexer.js";
import { errors } from "../../machinery/errors.js";
import { FakeObjectWriter } from "./object_writer.js";
import { canonicalJson, createRevision, ensureRevision, newRevision, revisionHash, revisionsToPrune, sortRevisions, type RevisionObject, type RevisionStore } from "./revisions.js";

const owner: KubeObject = { metadata: { name: "web", namespace: "default", uid: "ds-uid" } };
const data = (image: string) => ({ spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] }, $patch: "replace" } } });

function store(): { s: RevisionStore; idx: Indexer<RevisionObject>; w: FakeObjectWriter<RevisionObject> } {
  const idx = new Indexer<RevisionObject>();
  const w = new FakeObjectWriter<RevisionObject>(idx);
  return {
    idx,
    w,
    s: {
      writer: w,
      get: async (ns, name) => {
        const r = idx.get(`${ns}/${name}`);
        if (!r) throw errors.notFound({ group: "apps", resource: "controllerrevisions" }, name);
        return r;
      },
    },
  };
}

const base = { owner, ownerApiVersion: "apps/v1", ownerKind: "DaemonSet", labels: { app: "web" } };

test("hashes are stable, key-order independent, name-safe, and change with the collision count", () => {
  assert.equal(revisionHash({ a: 1, b: [1, 2] }), revisionHash({ b: [1, 2], a: 1 }));
  assert.notEqual(revisionHash(data("a")), revisionHash(data("b")));
  assert.notEqual(revisionHash(data("a")), revisionHash(data("a"), 1));
  assert.match(revisionHash(data("a")), /^[bcdfghjklmnpqrstvwxz2456789]{8}$/);
  assert.equal(canonicalJson({ b: 1, a: { d: undefined, c: 2 } }), '{"a":{"c":2},"b":1}');
});

test("a revision is named <owner>-<hash>, labelled with the hash and controlled by the owner", () => {
  const r = newRevision({ ...base, data: data("a"), revision: 3 });
  const hash = revisionHash(data("a"));
  assert.equal(r.metadata?.name, `web-${hash}`);
  assert.deepEqual(r.metadata?.labels, { app: "web", "controller-revision-hash": hash });
  assert.equal(r.metadata?.ownerReferences?.[0]?.uid, "ds-uid");
  assert.equal(r.revision, 3);
});

test("ensureRevision creates new templates, re-numbers an equal old one (an undo), and keeps the newest as is", async () => {
  const { s, idx } = store();
  const r1 = await ensureRevision(s, [], { ...base, data: data("a") });
  assert.equal(r1.revision.revision, 1);
  assert.ok(r1.created);
  const r2 = await ensureRevision(s, idx.list(), { ...base, data: data("b") });
  assert.equal(r2.revision.revision, 2);
  const same = await ensureRevision(s, idx.list(), { ...base, data: data("b") });
  assert.equal(same.created, false);
  assert.equal(same.revision.revision, 2);
  const undo = await ensureRevision(s, idx.list(), { ...base, data: data("a") });
  assert.equal(undo.created, false);
  assert.equal(undo.revision.metadata?.name, r1.revision.metadata?.name);
  assert.equal(undo.revision.revision, 3);
  assert.deepEqual(sortRevisions(idx.list()).map((r) => r.revision), [2, 3]);
});

test("a hash collision with other data bumps the collision count and the name", async () => {
  const { s, w } = store();
  const squatter = newRevision({ ...base, data: data("a"), revision: 1 });
  await w.create("default", { ...squatter, data: data("other") as RevisionObject["data"] });
  const res = await createRevision(s, { ...base, data: data("a"), revision: 2 });
  assert.equal(res.collisionCount, 1);
  assert.equal(res.revision.metadata?.name, `web-${revisionHash(data("a"), 1)}`);
});

test("pruning keeps the limit and never removes revisions in use", () => {
  const revs = [1, 2, 3, 4, 5].map((n) => newRevision({ ...base, data: data(`i${n}`), revision: n }));
  const inUse = new Set([revs[0]!.metadata!.name!, revs[4]!.metadata!.name!]);
  assert.deepEqual(revisionsToPrune(revs, inUse, 2).map((r) => r.revision), [2, 3, 4]);
  assert.deepEqual(revisionsToPrune(revs, inUse, 10), []);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../api/object.js";
import { WrittenObjects } from "./written_objects.js";

const obj = (rv: string, ready: number): KubeObject & { status: { ready: number } } => ({ metadata: { name: "rs", namespace: "ns", resourceVersion: rv }, status: { ready } });

test("the answer of a write stands in for the cache until the cache shows it or anything newer", () => {
  const w = new WrittenObjects<KubeObject>();
  const c1 = obj("1", 0);
  assert.equal(w.latest("ns/rs", c1), c1, "nothing written: the cache");
  const a2 = obj("2", 1);
  w.written("ns/rs", "1", c1, a2);
  assert.equal(w.latest("ns/rs", c1), a2, "the cache still at the version written over");
  // A second write over the first answer before the cache shows either: the cache may show 1 or 2, both older.
  const a3 = obj("3", 2);
  w.written("ns/rs", "1", a2, a3);
  assert.equal(w.latest("ns/rs", c1), a3);
  assert.equal(w.latest("ns/rs", obj("2", 1)), a3, "our first write delivered: still behind the second");
  const c3 = obj("3", 2);
  assert.equal(w.latest("ns/rs", c3), c3, "the cache caught up: the cache again");
  assert.equal(w.size, 0);
});

test("a version the write did not supersede (someone else's newer write) wins, and a deleted object is forgotten", () => {
  const w = new WrittenObjects<KubeObject>();
  w.written("ns/rs", "1", obj("1", 0), obj("2", 1));
  const other = obj("7", 5);
  assert.equal(w.latest("ns/rs", other), other);
  w.written("ns/rs", "7", other, obj("8", 6));
  assert.equal(w.latest("ns/rs", undefined), undefined, "gone from the cache: nothing to stand in for");
  w.written("ns/rs", "8", obj("8", 6), obj("9", 6));
  w.forget("ns/rs");
  assert.equal(w.size, 0);
});

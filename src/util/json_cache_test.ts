import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonOf, listJsonOf } from "./json_cache.js";
import { deepFreeze } from "./freeze.js";

test("jsonOf matches JSON.stringify and reuses the text of a frozen object", () => {
  const frozen = deepFreeze({ a: 1, b: { c: [1, "x"] } });
  assert.equal(jsonOf(frozen), JSON.stringify(frozen));
  assert.equal(jsonOf(frozen), jsonOf(frozen));
  const open = { a: 1 };
  assert.equal(jsonOf(open), '{"a":1}');
  open.a = 2;
  assert.equal(jsonOf(open), '{"a":2}', "an unfrozen object is serialized afresh");
  assert.equal(jsonOf("s"), '"s"');
});

test("listJsonOf gives exactly JSON.stringify's text, items last, empty or not", () => {
  const items = [deepFreeze({ metadata: { name: "a" } }), { metadata: { name: "b" } }];
  const list = { apiVersion: "v1", kind: "PodList", metadata: { resourceVersion: "9" }, items };
  assert.equal(listJsonOf(list), JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: { resourceVersion: "9" }, items }));
  assert.deepEqual(JSON.parse(listJsonOf({ kind: "X", items: [] })), { kind: "X", items: [] });
});

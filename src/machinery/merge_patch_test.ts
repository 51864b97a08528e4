import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMergePatch, createMergePatch } from "./merge_patch.js";

test("applyMergePatch: RFC 7386 appendix A examples", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) assert.deepEqual(applyMergePatch(doc, patch), want, JSON.stringify([doc, patch]));
});

test("applyMergePatch: Kubernetes-shaped objects; label removal by null; lists replace", () => {
  const live = {
    metadata: { name: "web", labels: { app: "web", tier: "fe" }, annotations: { a: "1" } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "a", image: "x:1" }, { name: "b", image: "y" }] } } },
  };
  const before = structuredClone(live);
  const out = applyMergePatch(live, {
    metadata: { labels: { tier: null, env: "prod" } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: "a", image: "x:2" }] } } },
  });
  assert.deepEqual(out, {
    metadata: { name: "web", labels: { app: "web", env: "prod" }, annotations: { a: "1" } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: "a", image: "x:2" }] } } },
  });
  assert.deepEqual(live, before, "input not mutated");
  (out as { metadata: { annotations: Record<string, string> } }).metadata.annotations.a = "changed";
  assert.equal(live.metadata.annotations.a, "1", "result shares nothing with the input");
});

test("createMergePatch: minimal patch that round-trips", () => {
  const original = { a: 1, b: { c: 2, d: 3 }, e: [1, 2], f: "gone", g: { h: 1 } };
  const modified = { a: 1, b: { c: 2, d: 4 }, e: [1, 2, 3], g: { h: 1 }, n: { x: 1 } };
  const patch = createMergePatch(original, modified);
  assert.deepEqual(patch, { f: null, b: { d: 4 }, e: [1, 2, 3], n: { x: 1 } });
  assert.deepEqual(applyMergePatch(original, patch), modified);
  assert.deepEqual(createMergePatch(original, original), {});
  assert.deepEqual(createMergePatch({ a: { b: 1 } }, { a: "s" }), { a: "s" });
  assert.deepEqual(createMergePatch({ a: { b: 1 } }, { a: {} }), { a: { b: null } });
  assert.deepEqual(createMergePatch([1], { a: 1 }), { a: 1 });
  assert.deepEqual(createMergePatch({ a: 1 }, [1]), [1]);
});

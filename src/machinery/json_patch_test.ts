import { test } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "./errors.js";
import { applyJsonPatch, formatJsonPointer, jsonEqual, MAX_JSON_PATCH_OPERATIONS, parseJsonPointer } from "./json_patch.js";

function fails(code: number, fn: () => unknown, detail?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    if (code === 422) {
      assert.equal(e.reason, "Invalid");
      assert.equal(e.message, "the server rejected our request due to an error in our request");
      if (detail) assert.match(e.status.details?.causes?.[0]?.message ?? "", detail);
    } else if (detail) assert.match(e.message, detail);
    return true;
  });
}

const deployment = () => ({
  metadata: { name: "web", labels: { app: "web", "a/b": "x", "t~": "y" } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: "a", image: "nginx:1" }, { name: "b", image: "redis" }] } } },
});

test("add: object member, array insert, append with -, negative index, root", () => {
  const d = deployment();
  const out = applyJsonPatch(d, [
    { op: "add", path: "/metadata/annotations", value: { x: "1" } },
    { op: "add", path: "/spec/template/spec/containers/1", value: { name: "mid" } },
    { op: "add", path: "/spec/template/spec/containers/-", value: { name: "last" } },
    { op: "add", path: "/spec/replicas", value: 3 },
  ]) as ReturnType<typeof deployment> & { metadata: { annotations: unknown } };
  assert.deepEqual(out.metadata.annotations, { x: "1" });
  assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ["a", "mid", "b", "last"]);
  assert.equal(out.spec.replicas, 3);
  // As in the library Kubernetes uses, a negative add index counts from the end of the grown list.
  assert.deepEqual(applyJsonPatch([1, 2], [{ op: "add", path: "/-1", value: 9 }]), [1, 2, 9]);
  assert.deepEqual(applyJsonPatch([1, 2], [{ op: "add", path: "/-2", value: 9 }]), [1, 9, 2]);
  assert.deepEqual(applyJsonPatch([1, 2], [{ op: "add", path: "/2", value: 9 }]), [1, 2, 9]);
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "add", path: "", value: [1] }]), [1]);
  assert.deepEqual(applyJsonPatch({}, [{ op: "add", path: "/a" }]), { a: null }, "add without value adds null");
});

test("the input document is never mutated", () => {
  const d = deployment();
  const before = structuredClone(d);
  applyJsonPatch(d, [
    { op: "remove", path: "/metadata/labels/app" },
    { op: "replace", path: "/spec/template/spec/containers/0/image", value: "nginx:2" },
    { op: "move", from: "/spec/replicas", path: "/replicas" },
  ]);
  assert.deepEqual(d, before);
  const value = { deep: { x: 1 } };
  const out = applyJsonPatch({}, [{ op: "add", path: "/v", value }]) as { v: { deep: { x: number } } };
  out.v.deep.x = 2;
  assert.equal(value.deep.x, 1, "values are copied out of the patch");
});

test("pointer escaping ~0 and ~1", () => {
  assert.deepEqual(parseJsonPointer("/a~1b/c~0d/~01"), ["a/b", "c~d", "~1"]);
  assert.equal(formatJsonPointer(["a/b", "c~d"]), "/a~1b/c~0d");
  const out = applyJsonPatch(deployment(), [
    { op: "remove", path: "/metadata/labels/a~1b" },
    { op: "replace", path: "/metadata/labels/t~0", value: "z" },
  ]) as ReturnType<typeof deployment>;
  assert.deepEqual(out.metadata.labels, { app: "web", "t~": "z" });
});

test("remove and replace", () => {
  assert.deepEqual(applyJsonPatch([1, 2, 3], [{ op: "remove", path: "/1" }]), [1, 3]);
  assert.deepEqual(applyJsonPatch([1, 2, 3], [{ op: "remove", path: "/-1" }]), [1, 2]);
  assert.deepEqual(applyJsonPatch({ a: { b: 1 } }, [{ op: "replace", path: "/a", value: "x" }]), { a: "x" });
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }]), { b: 2 });
  assert.deepEqual(applyJsonPatch({ a: null }, [{ op: "replace", path: "/a", value: 1 }]), { a: 1 });
});

test("move and copy", () => {
  assert.deepEqual(applyJsonPatch({ a: { x: 1 }, b: {} }, [{ op: "move", from: "/a/x", path: "/b/y" }]), { a: {}, b: { y: 1 } });
  assert.deepEqual(applyJsonPatch([1, 2, 3], [{ op: "move", from: "/0", path: "/-" }]), [2, 3, 1]);
  const out = applyJsonPatch({ a: { x: [1] } }, [{ op: "copy", from: "/a", path: "/b" }, { op: "add", path: "/b/x/-", value: 2 }]);
  assert.deepEqual(out, { a: { x: [1] }, b: { x: [1, 2] } }, "copy is deep");
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "move", from: "/a", path: "/a" }]), { a: 1 });
});

test("test: deep equality, key order irrelevant; missing equals null", () => {
  const d = { a: { x: [1, { y: "z" }], w: true } };
  assert.deepEqual(applyJsonPatch(d, [{ op: "test", path: "/a", value: { w: true, x: [1, { y: "z" }] } }]), d);
  fails(422, () => applyJsonPatch(d, [{ op: "test", path: "/a/w", value: "true" }]), /testing value \/a\/w failed: test failed/);
  fails(422, () => applyJsonPatch(d, [{ op: "test", path: "/a/x", value: [1] }]));
  assert.deepEqual(applyJsonPatch(d, [{ op: "test", path: "/missing", value: null }]), d);
  fails(422, () => applyJsonPatch(d, [{ op: "test", path: "/missing", value: 1 }]));
});

test("a failed operation aborts the whole patch", () => {
  const d = { a: 1 };
  fails(422, () => applyJsonPatch(d, [{ op: "replace", path: "/a", value: 2 }, { op: "test", path: "/a", value: 1 }]));
  assert.deepEqual(d, { a: 1 });
});

test("operations that do not apply are 422", () => {
  fails(422, () => applyJsonPatch({}, [{ op: "add", path: "/a/b", value: 1 }]), /add operation does not apply: doc is missing path: "\/a\/b"/);
  fails(422, () => applyJsonPatch({}, [{ op: "remove", path: "/a" }]), /Unable to remove nonexistent key: a/);
  fails(422, () => applyJsonPatch({}, [{ op: "replace", path: "/a", value: 1 }]), /replace operation does not apply: doc is missing key/);
  fails(422, () => applyJsonPatch([1], [{ op: "replace", path: "/1", value: 1 }]), /invalid index/);
  fails(422, () => applyJsonPatch([1], [{ op: "add", path: "/3", value: 1 }]), /invalid index/);
  fails(422, () => applyJsonPatch([1], [{ op: "add", path: "/x", value: 1 }]), /not a proper array index/);
  fails(422, () => applyJsonPatch([1], [{ op: "remove", path: "/-5" }]), /invalid index/);
  fails(422, () => applyJsonPatch({}, [{ op: "move", from: "/a", path: "/b" }]), /missing from path/);
  fails(422, () => applyJsonPatch({ a: {} }, [{ op: "move", from: "/a", path: "/a/b" }]), /prefix/);
  fails(422, () => applyJsonPatch({}, [{ op: "copy", from: "/a", path: "/b" }]), /missing from path/);
  fails(422, () => applyJsonPatch({}, [{ op: "frobnicate", path: "/a" }]), /Unexpected kind: frobnicate/);
  fails(422, () => applyJsonPatch({}, [{ op: "add", value: 1 }]), /add operation failed to decode path: missing value/);
  fails(422, () => applyJsonPatch({}, [{ op: "move", path: "/a" }]), /move operation failed to decode from/);
  fails(422, () => applyJsonPatch({}, [{ path: "/a" }]), /Unexpected kind: unknown/);
  fails(422, () => applyJsonPatch({}, [{ op: "add", path: "a", value: 1 }]), /JSON pointer/);
  fails(422, () => applyJsonPatch({ a: "s" }, [{ op: "add", path: "/a/b", value: 1 }]), /doc is missing path/);
});

test("a malformed patch document is 400; too many operations is 413", () => {
  fails(400, () => applyJsonPatch({}, { op: "add" }), /cannot unmarshal object into Go value of type jsonpatch.Patch/);
  fails(400, () => applyJsonPatch({}, "x"));
  fails(400, () => applyJsonPatch({}, [1]));
  fails(400, () => applyJsonPatch({}, null));
  const many = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "test", path: "", value: {} }));
  fails(413, () => applyJsonPatch({}, many), /allowed maximum operations in a JSON patch is 10000, got 10001/);
  assert.deepEqual(applyJsonPatch({ a: 1 }, []), { a: 1 });
});

test("jsonEqual", () => {
  assert.equal(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual(null, {}), false);
  assert.equal(jsonEqual(1, "1"), false);
});

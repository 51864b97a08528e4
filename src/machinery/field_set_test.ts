import { test } from "node:test";
import assert from "node:assert/strict";
import { FieldSet, pathString } from "./field_set.js";

const item = 'k:{"name":"app"}';

test("FieldsV1 encoding: leaves are {}, '.' marks a member with members below", () => {
  const s = FieldSet.fromPaths([
    ["f:metadata", "f:labels", "f:app"],
    ["f:spec", "f:containers", item],
    ["f:spec", "f:containers", item, "f:image"],
    ["f:spec", "f:containers", item, "f:name"],
    ["f:spec", "f:replicas"],
  ]);
  assert.deepEqual(s.toFieldsV1(), {
    "f:metadata": { "f:labels": { "f:app": {} } },
    "f:spec": { "f:containers": { [item]: { ".": {}, "f:image": {}, "f:name": {} } }, "f:replicas": {} },
  });
  assert.deepEqual(Object.keys((s.toFieldsV1()["f:spec"] as Record<string, unknown>)), ["f:containers", "f:replicas"]);
});

test("FieldsV1 decoding round-trips and membership queries", () => {
  const v1 = {
    "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
    "f:spec": { "f:finalizers": { 'v:"a"': {} }, "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } } },
  };
  const s = FieldSet.fromFieldsV1(v1);
  assert.deepEqual(s.toFieldsV1(), v1);
  assert.equal(s.has(["f:metadata", "f:labels"]), true);
  assert.equal(s.has(["f:metadata"]), false);
  assert.equal(s.hasWithin(["f:metadata"]), true);
  assert.equal(s.has(["f:spec", "f:finalizers", 'v:"a"']), true);
  assert.equal(s.hasWithin(["f:status"]), false);
  assert.equal(s.paths().length, 5);
});

test("set algebra", () => {
  const a = FieldSet.fromPaths([["f:a"], ["f:b", "f:c"], ["f:d"]]);
  const b = FieldSet.fromPaths([["f:b", "f:c"], ["f:e"]]);
  assert.deepEqual(a.intersection(b).paths(), [["f:b", "f:c"]]);
  assert.deepEqual(a.difference(b).paths(), [["f:a"], ["f:d"]]);
  assert.equal(a.union(b).paths().length, 4);
  assert.equal(a.difference(a).empty(), true);
  assert.equal(a.difference(a).toFieldsV1()["f:b"], undefined, "empty branches are not encoded");
  assert.ok(a.equals(FieldSet.fromPaths([["f:d"], ["f:a"], ["f:b", "f:c"]])));
});

test("pathString: Kubernetes' conflict spelling", () => {
  assert.equal(pathString(["f:spec", "f:replicas"]), ".spec.replicas");
  assert.equal(pathString(["f:spec", "f:containers", item, "f:image"]), '.spec.containers[name="app"].image');
  assert.equal(pathString(["f:ports", 'k:{"containerPort":80,"protocol":"TCP"}']), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(["f:metadata", "f:finalizers", 'v:"x"']), '.metadata.finalizers[="x"]');
  assert.equal(pathString(["f:metadata", "f:labels", "f:app.kubernetes.io/name"]), ".metadata.labels.app.kubernetes.io/name");
});

test("FieldsV1 order: fields, keyed items (numbers numerically), values", () => {
  const s = FieldSet.fromPaths([
    ["f:ports", 'k:{"containerPort":443,"protocol":"TCP"}'],
    ["f:ports", 'k:{"containerPort":80,"protocol":"UDP"}'],
    ["f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'],
    ["f:finalizers", 'v:"b"'],
    ["f:finalizers", 'v:"a"'],
    ["f:b"],
    ["f:a"],
  ]);
  assert.deepEqual(Object.keys(s.toFieldsV1()), ["f:a", "f:b", "f:finalizers", "f:ports"]);
  assert.deepEqual(Object.keys(s.toFieldsV1()["f:ports"] as object), [
    'k:{"containerPort":80,"protocol":"TCP"}',
    'k:{"containerPort":80,"protocol":"UDP"}',
    'k:{"containerPort":443,"protocol":"TCP"}',
  ]);
  assert.deepEqual(Object.keys(s.toFieldsV1()["f:finalizers"] as object), ['v:"a"', 'v:"b"']);
});

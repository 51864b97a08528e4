import { test } from "node:test";
import assert from "node:assert/strict";
import { fieldErrorMessage } from "./errors.js";
import { isQualifiedName, isValidLabelValue, validateAnnotations, validateLabels, TOTAL_ANNOTATION_SIZE_LIMIT } from "./label_validation.js";

test("isQualifiedName: valid keys", () => {
  for (const k of ["a", "A", "1", "a-b_c.d", "example.com/name", "k8s.io/x", "a".repeat(63), `${"a".repeat(253)}/b`, "app.kubernetes.io/name"]) {
    assert.deepEqual(isQualifiedName(k), [], k);
  }
});

test("isQualifiedName: invalid keys and their messages", () => {
  assert.deepEqual(isQualifiedName(""), [
    "name part must be non-empty",
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isQualifiedName("a".repeat(64)), ["name part must be no more than 63 characters"]);
  assert.match(isQualifiedName("/a")[0]!, /^prefix part must be non-empty$/);
  assert.match(isQualifiedName("Example.com/a")[0]!, /^prefix part a lowercase RFC 1123 subdomain/);
  assert.match(isQualifiedName(`${"a".repeat(254)}/b`)[0]!, /^prefix part must be no more than 253 characters$/);
  assert.match(isQualifiedName("a/b/c")[0]!, /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e.g. 'example.com\/MyName'\)$/);
  assert.equal(isQualifiedName("a_").length, 1);
  assert.equal(isQualifiedName("_a").length, 1);
  assert.equal(isQualifiedName("a b").length, 1);
});

test("isValidLabelValue", () => {
  assert.deepEqual(isValidLabelValue(""), []);
  assert.deepEqual(isValidLabelValue("v1.2_3-x"), []);
  assert.deepEqual(isValidLabelValue("a".repeat(63)), []);
  assert.deepEqual(isValidLabelValue("a".repeat(64)), ["must be no more than 63 characters"]);
  assert.match(isValidLabelValue("a/b")[0]!, /^a valid label must be an empty string or consist of/);
  assert.equal(isValidLabelValue("-a").length, 1);
});

test("validateLabels: errors at the map's path with the bad key or value", () => {
  const errs = validateLabels({ good: "ok", "bad key": "ok", k: "bad value" }, "metadata.labels");
  assert.equal(errs.length, 2);
  assert.equal(errs[0]!.field, "metadata.labels");
  assert.equal(errs[0]!.value, "bad key");
  assert.equal(errs[1]!.value, "bad value");
  assert.match(fieldErrorMessage(errs[1]!), /^metadata\.labels: Invalid value: "bad value": a valid label must be/);
  assert.deepEqual(validateLabels(undefined, "metadata.labels"), []);
});

test("validateAnnotations: keys ignore case; size limit is 256KiB of keys plus values", () => {
  assert.deepEqual(validateAnnotations({ "Example.COM/Some-Key": "anything at all / with spaces" }, "metadata.annotations"), []);
  assert.equal(validateAnnotations({ "a b": "" }, "metadata.annotations").length, 1);
  const atLimit = { k: "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT - 1) };
  assert.deepEqual(validateAnnotations(atLimit, "metadata.annotations"), []);
  const over = validateAnnotations({ k: "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT) }, "metadata.annotations");
  assert.equal(over.length, 1);
  assert.equal(over[0]!.type, "FieldValueTooLong");
  assert.equal(over[0]!.field, "metadata.annotations");
});

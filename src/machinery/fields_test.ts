import { test } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "./errors.js";
import { escapeFieldValue, fieldSelectorFromSet, parseFieldSelector, unescapeFieldValue } from "./fields.js";

function badRequest(fn: () => unknown, part: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof StatusError && e.code === 400 && part.test(e.message));
}

test("parseFieldSelector: operators and canonical printing", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["metadata.name=foo", "metadata.name=foo"],
    ["metadata.name==foo", "metadata.name=foo"],
    ["status.phase!=Running", "status.phase!=Running"],
    ["spec.nodeName=", "spec.nodeName="],
    ["b=2,a=1", "a=1,b=2"],
    ["a=1,,b=2", "a=1,b=2"],
    ["x=a\\,b", "x=a\\,b"],
    ["x=a\\=b\\\\", "x=a\\=b\\\\"],
  ];
  for (const [input, printed] of cases) assert.equal(parseFieldSelector(input).toString(), printed, input);
});

test("parseFieldSelector: requirements unescape values", () => {
  assert.deepEqual(parseFieldSelector("x=a\\,b\\=c\\\\d,y!=z").requirements(), [
    { field: "x", op: "=", value: "a,b=c\\d" },
    { field: "y", op: "!=", value: "z" },
  ]);
  // The first operator position wins: "a!==b" is a != "=b", and a bare "=" in a value is rejected.
  assert.throws(() => parseFieldSelector("a!==b"), /unescaped character in value: =/);
  assert.deepEqual(parseFieldSelector("a!=\\=b").requirements(), [{ field: "a", op: "!=", value: "=b" }]);
});

test("parseFieldSelector: matching; missing attributes read as empty", () => {
  const pods = { "metadata.name": "p", "spec.nodeName": "", "status.phase": "Running" };
  assert.equal(parseFieldSelector("metadata.name=p").matches(pods), true);
  assert.equal(parseFieldSelector("metadata.name=q").matches(pods), false);
  assert.equal(parseFieldSelector("spec.nodeName=").matches(pods), true);
  assert.equal(parseFieldSelector("spec.nodeName!=").matches(pods), false);
  assert.equal(parseFieldSelector("status.phase!=Succeeded,status.phase!=Failed").matches(pods), true);
  assert.equal(parseFieldSelector("status.phase!=Running").matches(pods), false);
  assert.equal(parseFieldSelector("spec.schedulerName=").matches(pods), true);
  assert.equal(parseFieldSelector("").matches(pods), true);
  assert.equal(parseFieldSelector("").empty(), true);
  assert.equal(parseFieldSelector("a=b").empty(), false);
});

test("parseFieldSelector: errors", () => {
  badRequest(() => parseFieldSelector("abc"), /invalid selector: 'abc'; can't understand 'abc'/);
  badRequest(() => parseFieldSelector("a=b,c"), /can't understand 'c'/);
  badRequest(() => parseFieldSelector("a=b=c"), /unescaped character in value: =/);
  badRequest(() => parseFieldSelector("a=b\\x"), /invalid escape sequence: \\x/);
  badRequest(() => parseFieldSelector("a=b\\"), /invalid escape sequence: \\$/);
});

test("requiresExactMatch and fieldSelectorFromSet", () => {
  const s = parseFieldSelector("metadata.name=foo,spec.nodeName!=n1");
  assert.equal(s.requiresExactMatch("metadata.name"), "foo");
  assert.equal(s.requiresExactMatch("spec.nodeName"), undefined);
  const set = fieldSelectorFromSet({ "spec.nodeName": "n1", "metadata.namespace": "a,b" });
  assert.equal(set.toString(), "metadata.namespace=a\\,b,spec.nodeName=n1");
  assert.equal(parseFieldSelector(set.toString()).matches({ "spec.nodeName": "n1", "metadata.namespace": "a,b" }), true);
});

test("escape round trip", () => {
  for (const v of ["", "plain", "a,b", "a=b", "a\\b", "\\,=\\"]) assert.equal(unescapeFieldValue(escapeFieldValue(v)), v);
});

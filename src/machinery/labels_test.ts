import { test } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "./errors.js";
import {
  formatLabelSelector,
  labelSelectorToString,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from "./labels.js";

function badRequest(fn: () => unknown, part: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, "BadRequest");
    assert.match(e.message, part);
    return true;
  });
}

test("parseSelector: every operator and its printed form", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["x=a", "x=a"],
    ["x==a", "x==a"],
    ["x!=a", "x!=a"],
    ["x in (b,a)", "x in (a,b)"],
    ["x notin (a)", "x notin (a)"],
    ["x", "x"],
    ["!x", "!x"],
    ["x>1", "x>1"],
    ["x<1", "x<1"],
    ["x=", "x="],
    ["x=,z= ", "x=,z="],
    ["x= ,z= ", "x=,z="],
    ["z=a,x=b", "x=b,z=a"],
    ["  x  =  a  ,  y  ", "x=a,y"],
    ["x in (a, b , c)", "x in (a,b,c)"],
    ["x in (a,a)", "x in (a)"],
    ["x in ()", "x in ()"],
    ["x in (,a)", "x in (,a)"],
    ["x in (a,,b)", "x in (,a,b)"],
    ["example.com/app-name=my_value.1", "example.com/app-name=my_value.1"],
    ["x=in", "x=in"],
    ["in=x", "in=x"],
    ["x in(a)", "x in (a)"],
  ];
  for (const [input, printed] of cases) {
    assert.equal(parseSelector(input).toString(), printed, input);
  }
});

test("parseSelector: empty selects everything", () => {
  const s = parseSelector("");
  assert.equal(s.empty(), true);
  assert.equal(s.matches({ a: "b" }), true);
  assert.equal(s.matches(undefined), true);
});

test("parseSelector: matching", () => {
  const m = (sel: string, labels: Record<string, string>) => parseSelector(sel).matches(labels);
  assert.equal(m("x=y", { x: "y" }), true);
  assert.equal(m("x=y", { x: "z" }), false);
  assert.equal(m("x=y", {}), false);
  assert.equal(m("x==y", { x: "y" }), true);
  assert.equal(m("x!=y", { x: "z" }), true);
  assert.equal(m("x!=y", {}), true, "!= matches a missing label");
  assert.equal(m("x!=y", { x: "y" }), false);
  assert.equal(m("x in (a,b)", { x: "b" }), true);
  assert.equal(m("x in (a,b)", { x: "c" }), false);
  assert.equal(m("x in (a,b)", {}), false);
  assert.equal(m("x notin (a,b)", {}), true);
  assert.equal(m("x notin (a,b)", { x: "a" }), false);
  assert.equal(m("x notin (a,b)", { x: "c" }), true);
  assert.equal(m("x", { x: "" }), true);
  assert.equal(m("x", { y: "" }), false);
  assert.equal(m("!x", { y: "" }), true);
  assert.equal(m("!x", { x: "1" }), false);
  assert.equal(m("x=", { x: "" }), true);
  assert.equal(m("x in ()", { x: "" }), true);
  assert.equal(m("x>1", { x: "2" }), true);
  assert.equal(m("x>1", { x: "1" }), false);
  assert.equal(m("x>1", { x: "abc" }), false, "non-integer label never matches gt");
  assert.equal(m("x>1", {}), false);
  assert.equal(m("x<10", { x: "9" }), true);
  assert.equal(m("x<10", { x: "10" }), false);
  assert.equal(m("x<10", { x: "99999999999999999999" }), false, "out of int64 range");
  assert.equal(m("x=a,y=b", { x: "a", y: "b" }), true);
  assert.equal(m("x=a,y=b", { x: "a" }), false);
  assert.equal(m("app=web", { "app.kubernetes.io/name": "web" }), false);
});

test("parseSelector: requirements are sorted by key", () => {
  const r = parseSelector("z in (b,a),a!=1,!m").requirements();
  assert.deepEqual(r, [
    { key: "a", operator: "!=", values: ["1"] },
    { key: "m", operator: "!", values: [] },
    { key: "z", operator: "in", values: ["a", "b"] },
  ]);
});

test("parseSelector: bad input is a 400 naming the bad part", () => {
  badRequest(() => parseSelector("x y"), /found 'y', expected: in, notin, =, ==, !=, gt, lt/);
  badRequest(() => parseSelector("x=a b"), /found 'b', expected: ',' or 'end of string'/);
  badRequest(() => parseSelector("x=a,"), /found '', expected: identifier after ','/);
  badRequest(() => parseSelector(",x"), /found ',', expected: !, identifier, or 'end of string'/);
  badRequest(() => parseSelector("x in a"), /found 'a' expected: '\('/);
  badRequest(() => parseSelector("x in (a"), /found '', expected: ',' or '\)'/);
  badRequest(() => parseSelector("x in (a b)"), /found 'b', expected: ',' or '\)'/);
  badRequest(() => parseSelector("x=(a)"), /found '\(', expected: identifier/);
  badRequest(() => parseSelector("x=a=b"), /found '=', expected: ',' or 'end of string'/);
  badRequest(() => parseSelector("!x=a"), /found '=', expected: ',' or 'end of string'/);
  badRequest(() => parseSelector("!"), /found '', expected: identifier/);
  badRequest(() => parseSelector("x>a"), /for 'Gt', 'Lt' operators, the value must be an integer/);
  badRequest(() => parseSelector("x>"), /the value must be an integer/);
  badRequest(() => parseSelector("-x=a"), /key: Invalid value: "-x": name part must consist of alphanumeric characters/);
  badRequest(() => parseSelector("a/b/c=d"), /a qualified name must consist of/);
  badRequest(() => parseSelector("Example.com/x=d"), /prefix part a lowercase RFC 1123 subdomain/);
  badRequest(() => parseSelector(`x=${"v".repeat(64)}`), /must be no more than 63 characters/);
  badRequest(() => parseSelector("x=-v"), /a valid label must be an empty string/);
  badRequest(() => parseSelector("x notin"), /found '' expected: '\('/);
  badRequest(() => parseSelector("x )"), /found '\)', expected: in, notin, =, ==, !=, gt, lt/);
});

test("selectorFromLabelSelector: null matches nothing, {} matches everything", () => {
  const none = selectorFromLabelSelector(null);
  assert.equal(none.matches({}), false);
  assert.equal(none.matches({ a: "b" }), false);
  assert.equal(none.empty(), false);
  assert.equal(selectorFromLabelSelector(undefined).matches({}), false);
  const all = selectorFromLabelSelector({});
  assert.equal(all.matches({ a: "b" }), true);
  assert.equal(all.empty(), true);
  assert.equal(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).empty(), true);
});

test("selectorFromLabelSelector: matchLabels and matchExpressions", () => {
  const s = selectorFromLabelSelector({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["b", "a"] },
      { key: "env", operator: "NotIn", values: ["prod"] },
      { key: "canary", operator: "DoesNotExist" },
      { key: "owner", operator: "Exists" },
    ],
  });
  assert.equal(s.toString(), "app=web,!canary,env notin (prod),owner,tier in (a,b)");
  assert.equal(s.matches({ app: "web", tier: "a", owner: "x" }), true);
  assert.equal(s.matches({ app: "web", tier: "a", owner: "x", env: "prod" }), false);
  assert.equal(s.matches({ app: "web", tier: "a", owner: "x", canary: "1" }), false);
  assert.equal(s.matches({ app: "web", tier: "c", owner: "x" }), false);
  assert.equal(s.matches({ app: "web", tier: "a" }), false);
});

test("selectorFromLabelSelector: invalid selectors are 400s", () => {
  badRequest(() => selectorFromLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }), /"Gt" is not a valid label selector operator/);
  badRequest(() => selectorFromLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }), /values set can't be empty/);
  badRequest(() => selectorFromLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }), /values set must be empty/);
  badRequest(() => selectorFromLabelSelector({ matchLabels: { "bad key": "x" } }), /Invalid value: "bad key"/);
});

test("labelSelectorToString and formatLabelSelector", () => {
  assert.equal(labelSelectorToString({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }), "app=web,tier in (a,b)");
  assert.equal(labelSelectorToString({}), "");
  assert.equal(formatLabelSelector({}), "<none>");
  assert.equal(formatLabelSelector({ matchLabels: { app: "web" } }), "app=web");
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "Bogus" }] }), "<error>");
});

test("selectorFromSet", () => {
  const s = selectorFromSet({ b: "2", a: "1" });
  assert.equal(s.toString(), "a=1,b=2");
  assert.equal(s.matches({ a: "1", b: "2", c: "3" }), true);
  assert.equal(selectorFromSet({}).matches({ x: "y" }), true);
});

test("validateLabelSelector: field errors at Kubernetes paths", () => {
  const errs = validateLabelSelector(
    {
      matchLabels: { "-bad": "ok" },
      matchExpressions: [
        { key: "a", operator: "In" },
        { key: "b", operator: "Exists", values: ["x"] },
        { key: "c", operator: "Gt", values: ["-1"] },
      ],
    },
    "spec.selector",
  );
  assert.deepEqual(
    errs.map((e) => `${e.type} ${e.field}`),
    [
      "FieldValueInvalid spec.selector.matchLabels",
      "FieldValueRequired spec.selector.matchExpressions[0].values",
      "FieldValueForbidden spec.selector.matchExpressions[1].values",
      "FieldValueInvalid spec.selector.matchExpressions[2].operator",
      "FieldValueInvalid spec.selector.matchExpressions[2].values[0]",
    ],
  );
  assert.deepEqual(validateLabelSelector(undefined, "spec.selector"), []);
});

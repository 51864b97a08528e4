import { test } from "node:test";
import assert from "node:assert/strict";
import { IntOrStringError, intOrPercentValue, scaledValueFromIntOrPercent, validateNotMoreThan100Percent, validatePositiveIntOrPercent } from "./intstr.js";

test("scaledValueFromIntOrPercent: integers pass through, percentages scale with ceil/floor", () => {
  const cases: [number | string, number, boolean, number][] = [
    [3, 10, true, 3],
    [3, 10, false, 3],
    [0, 10, true, 0],
    ["25%", 10, true, 3],
    ["25%", 10, false, 2],
    ["25%", 4, true, 1],
    ["25%", 4, false, 1],
    ["0%", 10, true, 0],
    ["100%", 7, false, 7],
    ["50%", 1, true, 1],
    ["50%", 1, false, 0],
    ["10%", 0, true, 0],
    ["33%", 3, true, 1],
    ["33%", 3, false, 0],
    ["150%", 10, false, 15],
    ["-10%", 10, true, -1],
    ["+10%", 10, true, 1],
  ];
  for (const [v, total, up, want] of cases) assert.equal(scaledValueFromIntOrPercent(v, total, up), want, `${v} of ${total} ${up ? "up" : "down"}`);
});

test("scaledValueFromIntOrPercent: errors", () => {
  const err = (v: number | string | undefined, msg: RegExp) =>
    assert.throws(() => scaledValueFromIntOrPercent(v, 10, true), (e: unknown) => e instanceof IntOrStringError && msg.test(e.message));
  err(undefined, /^nil value for IntOrString$/);
  err("25", /invalid type: string is not a percentage/);
  err("abc%", /invalid value "abc%": strconv.Atoi: parsing "abc": invalid syntax/);
  err("%", /strconv.Atoi: parsing ""/);
  err("1.5%", /invalid syntax/);
  err(1.5, /neither int nor percentage/);
});

test("intOrPercentValue", () => {
  assert.deepEqual(intOrPercentValue(5), { value: 5, isPercent: false });
  assert.deepEqual(intOrPercentValue("5%"), { value: 5, isPercent: true });
});

test("validation of maxSurge/maxUnavailable style fields", () => {
  assert.deepEqual(validatePositiveIntOrPercent(1, "spec.strategy.rollingUpdate.maxSurge"), []);
  assert.deepEqual(validatePositiveIntOrPercent("25%", "f"), []);
  assert.equal(validatePositiveIntOrPercent(-1, "f")[0]!.detail, "must be greater than or equal to 0");
  assert.match(validatePositiveIntOrPercent("25", "f")[0]!.detail, /^a valid percent string must be a numeric string followed by an ending '%' \(e\.g\. '1%',  or '93%', regex used for validation is '\[0-9\]\+%'\)$/);
  assert.equal(validatePositiveIntOrPercent("-5%", "f").length, 1);
  assert.deepEqual(validateNotMoreThan100Percent("100%", "f"), []);
  assert.deepEqual(validateNotMoreThan100Percent(500, "f"), []);
  assert.equal(validateNotMoreThan100Percent("101%", "f")[0]!.detail, "must not be greater than 100%");
});

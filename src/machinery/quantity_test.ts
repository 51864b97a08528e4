import { test } from "node:test";
import assert from "node:assert/strict";
import { formatQuantity, isQuantity, parseQuantity, Quantity, QuantityError } from "./quantity.js";

test("canonical forms as Kubernetes prints them", () => {
  const cases: [string, string][] = [
    ["0", "0"],
    ["0m", "0"],
    ["-0", "0"],
    ["500m", "500m"],
    ["0.5", "500m"],
    [".5", "500m"],
    ["1500m", "1500m"],
    ["1.5", "1500m"],
    ["1000m", "1"],
    ["1", "1"],
    ["1000", "1k"],
    ["1500", "1500"],
    ["15000", "15k"],
    ["1k", "1k"],
    ["1M", "1M"],
    ["1G", "1G"],
    ["2T", "2T"],
    ["3P", "3P"],
    ["4E", "4E"],
    ["100n", "100n"],
    ["1u", "1u"],
    ["0.1m", "100u"],
    ["1Ki", "1Ki"],
    ["1Mi", "1Mi"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["1.5Gi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["1.5Ki", "1536"],
    ["0.5Ki", "512"],
    ["100Mi", "100Mi"],
    ["1Ei", "1Ei"],
    ["1e3", "1e3"],
    ["1E3", "1e3"],
    ["1e-3", "1e-3"],
    ["1.5e3", "1500"],
    ["12e6", "12e6"],
    ["1e0", "1"],
    ["-1", "-1"],
    ["-500m", "-500m"],
    ["-1Gi", "-1Gi"],
    ["+2", "2"],
    ["1.", "1"],
    ["1.G", "1G"],
    ["0.0000000001", "1n"],
    ["1e-12", "1e-9"],
    ["007", "7"],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input).toString(), want, input);
});

test("formats come from suffixes; tiny binary values become DecimalSI", () => {
  assert.equal(parseQuantity("1Gi").format, "BinarySI");
  assert.equal(parseQuantity("1G").format, "DecimalSI");
  assert.equal(parseQuantity("1e3").format, "DecimalExponent");
  assert.equal(parseQuantity("0.5").format, "DecimalSI");
  assert.equal(parseQuantity("0.0001Ki").format, "DecimalSI");
});

test("values: milliValue and value round up", () => {
  assert.equal(parseQuantity("500m").milliValue(), 500);
  assert.equal(parseQuantity("1").milliValue(), 1000);
  assert.equal(parseQuantity("1.5").value(), 2);
  assert.equal(parseQuantity("100n").milliValue(), 1);
  assert.equal(parseQuantity("-1.5").value(), -1);
  assert.equal(parseQuantity("1Gi").value(), 1073741824);
  assert.equal(parseQuantity("64Mi").value(), 67108864);
  assert.equal(parseQuantity("1Ei").valueBig(), 2n ** 60n);
  assert.equal(parseQuantity("2").milliValueBig(), 2000n);
});

test("comparison, add, sub", () => {
  const a = parseQuantity("500m");
  const b = parseQuantity("0.5");
  assert.equal(a.cmp(b), 0);
  assert.ok(a.equal(b));
  assert.equal(parseQuantity("1Gi").cmp(parseQuantity("1G")), 1);
  assert.equal(parseQuantity("999m").cmp(parseQuantity("1")), -1);
  assert.equal(a.add(parseQuantity("1")).toString(), "1500m");
  assert.equal(parseQuantity("1Gi").add(parseQuantity("512Mi")).toString(), "1536Mi");
  assert.equal(parseQuantity("0").add(parseQuantity("1Gi")).format, "BinarySI", "zero takes the other's format");
  assert.equal(parseQuantity("1").sub(parseQuantity("250m")).toString(), "750m");
  assert.equal(parseQuantity("1").neg().toString(), "-1");
  assert.equal(parseQuantity("3").sign(), 1);
  assert.ok(parseQuantity("0Mi").isZero());
});

test("constructors and JSON", () => {
  assert.equal(Quantity.fromMilli(250).toString(), "250m");
  assert.equal(Quantity.fromValue(2048, "BinarySI").toString(), "2Ki");
  assert.equal(Quantity.fromValue(0.25).toString(), "250m");
  assert.equal(JSON.stringify({ cpu: parseQuantity("0.5") }), '{"cpu":"500m"}');
  assert.equal(parseQuantity(2).toString(), "2", "JSON numbers are accepted");
  assert.equal(parseQuantity(0.1).toString(), "100m");
  assert.equal(formatQuantity(parseQuantity("2000m")), "2");
});

test("rounding up to nano and the BinarySI cap", () => {
  assert.equal(parseQuantity("1.0000000001").toString(), "1000000001n");
  assert.equal(parseQuantity("-0.0000000001").toString(), "-1n");
  assert.equal(parseQuantity("16Ei").valueBig(), 2n ** 63n - 1n);
});

test("invalid quantities throw QuantityError with Kubernetes' messages", () => {
  const bad: [string, RegExp][] = [
    ["", /quantities must match the regular expression/],
    ["abc", /quantities must match the regular expression/],
    ["1 Gi", /quantities must match the regular expression/],
    ["1.5.5", /quantities must match the regular expression/],
    ["1Gb", /quantities must match/],
    ["1K", /unable to parse quantity's suffix/],
    ["1KiB", /quantities must match|suffix/],
    ["1e", /unable to parse quantity's suffix/],
    ["1Mi5", /unable to parse quantity's suffix/],
    ["1m-3", /unable to parse quantity's suffix/],
    ["--1", /unable to parse quantity's suffix/],
  ];
  for (const [input, msg] of bad) {
    assert.throws(() => parseQuantity(input), (e: unknown) => e instanceof QuantityError && msg.test(e.message) && e.input === input, input);
    assert.equal(isQuantity(input), false, input);
  }
  assert.equal(isQuantity("1Gi"), true);
});

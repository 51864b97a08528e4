import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalIP, dashedIP, ipFromDashed, ipFromReverseName, reverseName } from "./ip.js";

test("reverse names round-trip for IPv4 and IPv6", () => {
  assert.equal(reverseName("10.96.0.50"), "50.0.96.10.in-addr.arpa");
  assert.equal(ipFromReverseName("50.0.96.10.IN-ADDR.ARPA"), "10.96.0.50");
  const v6 = reverseName("fd00:10:96::60");
  assert.ok(v6.startsWith("0.6.0.0.") && v6.endsWith(".0.0.d.f.ip6.arpa"));
  assert.equal(ipFromReverseName(v6), "fd00:10:96::60");
  // Partial names are reverse zones, not addresses.
  assert.equal(ipFromReverseName("96.10.in-addr.arpa"), undefined);
  assert.equal(ipFromReverseName("300.0.96.10.in-addr.arpa"), undefined);
});

test("dashed pod labels and canonical forms", () => {
  assert.equal(dashedIP("10.244.1.5"), "10-244-1-5");
  assert.equal(dashedIP("fd00::1"), "fd00--1");
  assert.equal(ipFromDashed("10-244-1-5"), "10.244.1.5");
  assert.equal(ipFromDashed("fd00--1"), "fd00::1");
  assert.equal(ipFromDashed("db-0"), undefined);
  assert.equal(canonicalIP("FD00:0:0:0:0:0:0:1"), "fd00::1");
  assert.equal(canonicalIP("None"), undefined);
});

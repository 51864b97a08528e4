import { test } from "node:test";
import assert from "node:assert/strict";
import { base32, extChain, sepChain, svcChain } from "./chain_names.js";

test("chain names equal the ones Kubernetes derives for the same service port and endpoint", () => {
  const p = { namespace: "ns1", service: "svc1", portName: "p80", protocol: "TCP" as const };
  assert.equal(svcChain(p), "KUBE-SVC-XPGD46QRK7WJZT7O");
  assert.equal(sepChain(p, { ip: "10.180.0.1", port: 80 }), "KUBE-SEP-SXIVWICOYRO3J4NJ");
  assert.equal(extChain(p), "KUBE-EXT-XPGD46QRK7WJZT7O");
});

test("chain names depend on protocol and port name, and fit iptables' 28-character limit", () => {
  const p = { namespace: "ns1", service: "svc1", portName: "p80", protocol: "TCP" as const };
  assert.notEqual(svcChain(p), svcChain({ ...p, protocol: "UDP" }));
  assert.notEqual(svcChain(p), svcChain({ ...p, portName: "" }));
  assert.ok(sepChain(p, { ip: "255.255.255.255", port: 65535 }).length <= 28);
});

test("base32 follows RFC 4648 test vectors (unpadded)", () => {
  const enc = (s: string): string => base32(new TextEncoder().encode(s));
  assert.equal(enc("f"), "MY");
  assert.equal(enc("foob"), "MZXW6YQ");
  assert.equal(enc("foobar"), "MZXW6YTBOI");
});

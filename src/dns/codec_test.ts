import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMessage, DnsFormatError } from "./decode.js";
import { encodeMessage } from "./encode.js";
import { newQuery, Rcode, replyTo, RRClass, RRType, type Message, type ResourceRecord } from "./message.js";

const rr = (name: string, data: ResourceRecord["data"], ttl = 30): ResourceRecord => ({ name, class: RRClass.IN, ttl, data });

function sample(): Message {
  const q = newQuery("web.default.svc.cluster.local", RRType.SRV, { id: 4242, edns: 1232 });
  const m = replyTo(q);
  m.header.authoritative = true;
  m.answers = [
    rr("web.default.svc.cluster.local", { type: RRType.SRV, priority: 0, weight: 50, port: 80, target: "web-0.web.default.svc.cluster.local" }),
    rr("web.default.svc.cluster.local", { type: RRType.SRV, priority: 0, weight: 50, port: 80, target: "web-1.web.default.svc.cluster.local" }),
  ];
  m.authorities = [
    rr("cluster.local", { type: RRType.SOA, mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 17, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 }),
  ];
  m.additionals = [
    rr("web-0.web.default.svc.cluster.local", { type: RRType.A, address: "10.244.1.5" }),
    rr("web-1.web.default.svc.cluster.local", { type: RRType.AAAA, address: "fd00::1:5" }),
    rr("x.cluster.local", { type: RRType.TXT, texts: ["hello", "world"] }),
    rr("y.cluster.local", { type: RRType.CNAME, target: "example.com" }),
    rr("5.1.244.10.in-addr.arpa", { type: RRType.PTR, target: "web-0.web.default.svc.cluster.local" }),
    rr("z.cluster.local", { type: 99, raw: Uint8Array.from([1, 2, 3]) }),
  ];
  m.edns = { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] };
  return m;
}

test("a message survives encode and decode unchanged", () => {
  const m = sample();
  const back = decodeMessage(encodeMessage(m));
  assert.deepEqual(back, m);
});

test("a query round-trips with its flags", () => {
  const q = newQuery("Example.COM.", RRType.AAAA, { id: 7 });
  q.header.checkingDisabled = true;
  const back = decodeMessage(encodeMessage(q));
  assert.equal(back.questions[0]!.name, "Example.COM");
  assert.equal(back.header.recursionDesired, true);
  assert.equal(back.header.checkingDisabled, true);
  assert.equal(back.header.response, false);
  assert.equal(back.edns, undefined);
});

test("repeated names are compressed to pointers and decode back", () => {
  const m = sample();
  const wire = encodeMessage(m);
  // The zone suffix is spelled out in the question and in the two SRV targets only; every other name (owners,
  // SOA, CNAME and PTR data) points back at an earlier one.
  const text = wire.toString("latin1");
  assert.equal(text.split("\x07cluster\x05local\x00").length - 1, 3);
  // SRV targets are never compressed (RFC 2782): both targets are spelled out label by label.
  assert.ok(text.includes("\x05web-0\x03web\x07default\x03svc\x07cluster\x05local\x00"));
  assert.deepEqual(decodeMessage(wire).answers, m.answers);
});

test("IPv6 addresses are written in their canonical short form", () => {
  const m = replyTo(newQuery("a", RRType.AAAA));
  m.answers = ["::1", "2001:db8::", "fd00:0:0:1::2", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"].map((a) => rr("a", { type: RRType.AAAA, address: a }));
  const back = decodeMessage(encodeMessage(m)).answers.map((r) => ("address" in r.data ? r.data.address : ""));
  assert.deepEqual(back, ["::1", "2001:db8::", "fd00:0:0:1::2", "::ffff:a00:1", "1:2:3:4:5:6:7:8"]);
});

test("extended rcodes travel in the OPT record", () => {
  const m = replyTo(newQuery("a", RRType.A, { edns: 4096 }), 16);
  m.edns = { udpPayloadSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true, options: [] };
  const back = decodeMessage(encodeMessage(m));
  assert.equal(back.header.rcode, 16);
  assert.equal(back.edns?.dnssecOk, true);
});

test("a size limit drops records that do not fit and sets TC, keeping OPT", () => {
  const m = replyTo(newQuery("big.default.svc.cluster.local", RRType.A, { edns: 512 }));
  m.edns = { udpPayloadSize: 512, extendedRcode: 0, version: 0, dnssecOk: false, options: [] };
  for (let i = 0; i < 100; i++) m.answers.push(rr("big.default.svc.cluster.local", { type: RRType.A, address: `10.0.${i}.1` }));
  const wire = encodeMessage(m, { maxSize: 512 });
  assert.ok(wire.length <= 512);
  const back = decodeMessage(wire);
  assert.equal(back.header.truncated, true);
  assert.ok(back.answers.length > 10 && back.answers.length < 100);
  assert.equal(back.edns?.udpPayloadSize, 512);
  // Dropped additional records alone do not set TC.
  const m2 = replyTo(newQuery("a", RRType.A));
  m2.answers = [rr("a", { type: RRType.A, address: "1.2.3.4" })];
  for (let i = 0; i < 100; i++) m2.additionals.push(rr(`host${i}.example`, { type: RRType.A, address: "1.2.3.4" }));
  const back2 = decodeMessage(encodeMessage(m2, { maxSize: 512 }));
  assert.equal(back2.header.truncated, false);
  assert.equal(back2.answers.length, 1);
  assert.ok(back2.additionals.length < 100);
});

test("malformed messages are format errors, including pointer loops", () => {
  assert.throws(() => decodeMessage(Buffer.from([0, 1, 0])), DnsFormatError);
  // One question whose name is a pointer to itself.
  const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.throws(() => decodeMessage(loop), DnsFormatError);
  const long = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]);
  assert.throws(() => decodeMessage(long), DnsFormatError);
});

test("names that cannot be encoded are refused with the bad name", () => {
  const m = newQuery("a".repeat(64) + ".example", RRType.A);
  assert.throws(() => encodeMessage(m), /1-63 bytes/);
  assert.equal(Rcode.NXDOMAIN, 3);
});

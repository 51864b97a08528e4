// The transport side of the DNS server: malformed queries, EDNS versions, several queries on one TCP connection,
// failing handlers, and the forwarder's fallback between upstreams.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { query } from "./client.js";
import { decodeMessage } from "./decode.js";
import { encodeMessage } from "./encode.js";
import { Forwarder } from "./forwarder.js";
import { newQuery, Rcode, replyTo, RRClass, RRType, type Message } from "./message.js";
import { DnsMetrics } from "./metrics.js";
import { DnsServer } from "./server.js";
import type { Handler, HostPort } from "./types.js";

const echo: Handler = {
  handle: async (q) => {
    if (q.questions[0]!.name === "boom.test") throw new Error("handler failure");
    const r = replyTo(q);
    r.answers = [{ name: q.questions[0]!.name, class: RRClass.IN, ttl: 1, data: { type: RRType.TXT, texts: [q.questions[0]!.name] } }];
    return r;
  },
};

function udpRaw(at: HostPort, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("message", (m) => {
      s.close();
      resolve(m);
    });
    s.on("error", reject);
    s.send(bytes, at.port, at.host);
  });
}

describe("DNS server transport", () => {
  const metrics = new DnsMetrics();
  const server = new DnsServer({ handler: echo, metrics });
  let at: HostPort;

  before(async () => {
    at = await server.listen({ host: "127.0.0.1", port: 0 });
  });
  after(() => server.close());

  it("answers FORMERR to a query it cannot decode, with the query's id", async () => {
    const res = decodeMessage(await udpRaw(at, Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61])));
    assert.equal(res.header.id, 0x1234);
    assert.equal(res.header.rcode, Rcode.FORMERR);
  });

  it("answers BADVERS to EDNS versions it does not speak, and SERVFAIL when the handler fails", async () => {
    const q = newQuery("a.test", RRType.TXT, { edns: 1232 });
    q.edns!.version = 1;
    assert.equal((await query(at, q)).header.rcode, 16);
    assert.equal((await query(at, newQuery("boom.test", RRType.A))).header.rcode, Rcode.SERVFAIL);
    const update = newQuery("zone.test", RRType.SOA);
    update.header.opcode = 5; // UPDATE (RFC 2136): not served
    assert.equal((await query(at, update)).header.rcode, Rcode.NOTIMP);
    assert.equal(metrics.requests.get({ type: "A", rcode: "SERVFAIL" }), 1);
  });

  it("serves several queries on one TCP connection, each framed by its length", async () => {
    const names = ["one.test", "two.test", "three.test"];
    const frames = Buffer.concat(
      names.map((n, i) => {
        const wire = encodeMessage(newQuery(n, RRType.TXT, { id: i + 1 }));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(wire.length);
        return Buffer.concat([len, wire]);
      }),
    );
    const got = await new Promise<Message[]>((resolve, reject) => {
      const sock = net.connect(at.port, at.host);
      let buf = Buffer.alloc(0);
      const out: Message[] = [];
      sock.on("error", reject);
      sock.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length === names.length) {
          sock.destroy();
          resolve(out);
        }
      });
      // Split the frames mid-message: framing must not depend on how TCP chunks the bytes.
      sock.write(frames.subarray(0, 7));
      setImmediate(() => sock.write(frames.subarray(7)));
    });
    assert.deepEqual(got.map((m) => m.header.id).sort(), [1, 2, 3]);
    for (const m of got) assert.deepEqual(m.answers[0]!.data, { type: RRType.TXT, texts: [names[m.header.id - 1]!] });
  });
});

describe("forwarder", () => {
  it("skips an upstream that does not answer and returns the next one's answer with the client's id", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    const good = new DnsServer({ handler: echo });
    const up = await good.listen({ host: "127.0.0.1", port: 0 });
    const metrics = new DnsMetrics();
    try {
      const f = new Forwarder({ upstreams: [{ host: "127.0.0.1", port: silent.address().port }, up], timeoutMs: 200, metrics });
      const q = newQuery("fwd.test", RRType.TXT, { id: 777 });
      const res = await f.handle(q, { protocol: "udp", remoteAddress: "127.0.0.1", remotePort: 1 });
      assert.equal(res.header.id, 777);
      assert.deepEqual(res.answers[0]!.data, { type: RRType.TXT, texts: ["fwd.test"] });
      assert.equal(metrics.forwarded.get({ to: `127.0.0.1:${silent.address().port}`, result: "failed" }), 1);
      const none = new Forwarder({ upstreams: [{ host: "127.0.0.1", port: silent.address().port }], timeoutMs: 100 });
      assert.equal((await none.handle(q, { protocol: "udp", remoteAddress: "127.0.0.1", remotePort: 1 })).header.rcode, Rcode.SERVFAIL);
    } finally {
      silent.close();
      await good.close();
    }
  });
});

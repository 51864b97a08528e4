// The benchmarks' raw HTTP client against a real node:http server on loopback: bodies by Content-Length and by
// chunked coding (small and large chunks), bodiless answers, request bodies, socket reuse and the pool limit, and a
// kept-alive socket the server closed while idle.
//   node --import tsx --test bench/http_load_test.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RawHttpClient } from "./http_load.js";

const big = "x".repeat(3 * 1024 * 1024);

async function withServer(
  t: { after: (fn: () => Promise<void>) => void },
  keepAliveTimeout: number,
): Promise<{ url: string; connections: () => number; closed: () => number }> {
  let connections = 0;
  let closed = 0;
  const srv: Server = createServer({ keepAliveTimeout }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      if (req.url === "/length") return res.writeHead(200, { "content-length": 5 }).end("hello");
      if (req.url === "/echo") return res.writeHead(201, { "content-length": Buffer.byteLength(body) }).end(`${req.method} ${body}`.slice(req.method!.length + 1));
      if (req.url === "/none") return res.writeHead(204).end();
      if (req.url === "/chunked-small") {
        res.writeHead(200, { "content-type": "application/json" });
        for (let i = 0; i < 3000; i++) res.write(`{"i":${i}}\n`);
        return res.end();
      }
      if (req.url === "/chunked-big") {
        res.writeHead(200);
        res.write("head:");
        res.write(big);
        return res.end(":tail");
      }
      res.writeHead(404, { "content-length": 3 }).end("nop");
    });
  });
  srv.on("connection", (sock) => {
    connections++;
    sock.on("close", () => closed++);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => {
    srv.close(() => r());
    srv.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, connections: () => connections, closed: () => closed };
}

test("bodies by length and by chunks, bodiless answers, request bodies", async (t) => {
  const s = await withServer(t, 5000);
  const c = new RawHttpClient(s.url, 4);
  t.after(() => c.close());
  assert.deepEqual(await c.request("GET", "/length"), { status: 200, text: "hello" });
  assert.deepEqual(await c.request("POST", "/echo", '{"a":"é"}'), { status: 201, text: '{"a":"é"}' });
  assert.deepEqual(await c.request("GET", "/none"), { status: 204, text: "" });
  const small = await c.request("GET", "/chunked-small");
  const lines = small.text.trimEnd().split("\n");
  assert.equal(lines.length, 3000);
  assert.deepEqual(JSON.parse(lines[2999]!), { i: 2999 });
  const large = await c.request("GET", "/chunked-big");
  assert.equal(large.text.length, big.length + "head:".length + ":tail".length);
  assert.ok(large.text.startsWith("head:xxx") && large.text.endsWith("xxx:tail"));
  assert.deepEqual(await c.request("GET", "/missing"), { status: 404, text: "nop" });
  assert.equal(s.connections(), 1, "one request at a time keeps to one kept-alive socket");
});

test("no more sockets than the pool allows, every request answered", async (t) => {
  const s = await withServer(t, 5000);
  const c = new RawHttpClient(s.url, 5);
  t.after(() => c.close());
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => c.request("POST", "/echo", String(i))));
  assert.deepEqual(
    answers.map((a) => a.text),
    Array.from({ length: 40 }, (_, i) => String(i)),
  );
  assert.equal(s.connections(), 5);
  assert.equal(c.sockets, 5);
});

test("a socket the server closed while idle is replaced, the request still answered", async (t) => {
  const s = await withServer(t, 100);
  const c = new RawHttpClient(s.url, 2);
  t.after(() => c.close());
  await c.warm(2, "/length");
  // The server closes idle sockets after its keep-alive timeout (checked about once a second by node:http).
  while (s.closed() < 2) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await c.request("GET", "/length"), { status: 200, text: "hello" });
  assert.ok(s.connections() >= 3, `a new socket was opened (${s.connections()} in all)`);
});

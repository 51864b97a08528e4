import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../api/object.js";
import { isConflict, isNotFound, isStatusError, StatusError } from "../machinery/errors.js";
import { createClient } from "./rest_client.js";
import { loadKubeconfig } from "./kubeconfig.js";
import { resources } from "./resources.js";
import { startFakeApiServer } from "./testing/fake_apiserver.js";
import type { WatchEvent } from "./types.js";

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels }, data });

test("create, get, update, patch and delete a configmap; errors are StatusErrors", async (t) => {
  const srv = await startFakeApiServer();
  const c = createClient({ server: srv.url });
  t.after(async () => (c.close(), await srv.close()));
  const cms = c.resource(resources.configmaps);
  const created = await cms.create("default", cm("a", {}, { k: "1" }));
  assert.equal(created.metadata?.namespace, "default");
  assert.ok(created.metadata?.uid);
  await assert.rejects(cms.create("default", cm("a")), (e) => isStatusError(e, "AlreadyExists") && e.code === 409);
  const got = await cms.get("default", "a");
  assert.deepEqual(got.data, { k: "1" });
  const updated = await cms.update("default", { ...got, data: { k: "2" } });
  assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
  await assert.rejects(cms.update("default", { ...got, data: { k: "3" } }), isConflict);
  const patched = await cms.patch("default", "a", "merge", { data: { j: "x" } });
  assert.deepEqual(patched.data, { k: "2", j: "x" });
  const jp = await cms.patch("default", "a", "json", [{ op: "remove", path: "/data/j" }]);
  assert.deepEqual(jp.data, { k: "2" });
  await cms.delete("default", "a");
  await assert.rejects(cms.get("default", "a"), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.status.message, 'configmaps "a" not found');
    return isNotFound(e);
  });
});

test("discardResponse: a successful write resolves undefined and still happens; an error answer still rejects as a StatusError", async (t) => {
  const srv = await startFakeApiServer();
  const c = createClient({ server: srv.url });
  t.after(async () => (c.close(), await srv.close()));
  const path = "/api/v1/namespaces/default/configmaps";
  const answer = await c.request({ method: "POST", path, body: cm("d", {}, { k: "1" }), discardResponse: true });
  assert.equal(answer, undefined);
  assert.deepEqual((await c.resource(resources.configmaps).get("default", "d")).data, { k: "1" });
  await assert.rejects(c.request({ method: "POST", path, body: cm("d"), discardResponse: true }), (e) => isStatusError(e, "AlreadyExists") && e.code === 409);
});

test("list pages with limit/continue and filters by label selector", async (t) => {
  const srv = await startFakeApiServer();
  const c = createClient({ server: srv.url });
  t.after(async () => (c.close(), await srv.close()));
  const cms = c.resource(resources.configmaps);
  for (let i = 0; i < 5; i++) await cms.create("default", cm(`c${i}`, { app: i % 2 ? "odd" : "even" }));
  const page1 = await cms.list("default", { limit: 2 });
  assert.equal(page1.items.length, 2);
  assert.ok(page1.metadata.continue);
  const page2 = await cms.list("default", { limit: 2, continue: page1.metadata.continue });
  assert.deepEqual(page2.items.map((o) => o.metadata?.name), ["c2", "c3"]);
  const odd = await cms.list("default", { labelSelector: "app=odd" });
  assert.deepEqual(odd.items.map((o) => o.metadata?.name), ["c1", "c3"]);
  const notEven = await cms.list("", { labelSelector: "app notin (even)" });
  assert.equal(notEven.items.length, 2);
});

test("watch streams events from a resourceVersion and reports 410 as an ERROR event", async (t) => {
  const srv = await startFakeApiServer();
  const c = createClient({ server: srv.url });
  t.after(async () => (c.close(), await srv.close()));
  const cms = c.resource(resources.configmaps);
  await cms.create("default", cm("before"));
  const list = await cms.list("default");
  const events: WatchEvent[] = [];
  let closed = false;
  const w = cms.watch("default", { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true }, { onEvent: (e) => events.push(e), onClose: () => (closed = true) });
  while (srv.watcherCount() === 0) await new Promise((r) => setTimeout(r, 5));
  await cms.create("default", cm("x"));
  await cms.patch("default", "x", "merge", { data: { a: "b" } });
  await cms.delete("default", "x");
  srv.sendBookmarks();
  while (events.length < 4) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(events.map((e) => e.type), ["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]);
  srv.expireWatches();
  await w.done;
  assert.ok(closed);
  const last = events.at(-1)!;
  assert.equal(last.type, "ERROR");
  assert.equal((last.object as { code: number }).code, 410);
});

test("a token is sent as a bearer token; a missing one gets 401", async (t) => {
  const srv = await startFakeApiServer({ token: "s3cret" });
  t.after(() => srv.close());
  const ok = createClient({ server: srv.url, token: "s3cret" });
  const bad = createClient({ server: srv.url });
  t.after(() => (ok.close(), bad.close()));
  await ok.resource(resources.namespaces).get(undefined, "default");
  await assert.rejects(bad.resource(resources.namespaces).get(undefined, "default"), (e) => isStatusError(e, "Unauthorized"));
});

test("fetchImpl carries unary requests when given", async (t) => {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  let calls = 0;
  const c = createClient({ server: srv.url, fetchImpl: (input, init) => (calls++, fetch(input, init)) });
  const ns = await c.resource(resources.namespaces).get(undefined, "kube-system");
  assert.equal(ns.metadata?.name, "kube-system");
  assert.equal(calls, 1);
});

test("kubeconfig: current context's server, token, CA and namespace", () => {
  const dir = mkdtempSync(join(tmpdir(), "kc-"));
  writeFileSync(join(dir, "ca.crt"), "CA");
  const path = join(dir, "config");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.crt}
users:
- name: u1
  user: {token: abc, client-key-data: ${Buffer.from("KEY").toString("base64")}}
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team}
`,
  );
  const k = loadKubeconfig(path);
  assert.equal(k.server, "https://10.0.0.1:6443");
  assert.equal(k.token, "abc");
  assert.equal(k.namespace, "team");
  assert.equal(k.tls?.ca?.toString(), "CA");
  assert.equal(k.tls?.key?.toString(), "KEY");
  assert.throws(() => loadKubeconfig(path, { context: "nope" }), /context "nope" not found/);
});

test("watch decodes events split across chunks and reports a non-2xx answer as a StatusError", async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url?.includes("/secrets")) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403, message: "secrets is forbidden" }));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    const line = JSON.stringify({ type: "ADDED", object: { metadata: { name: "split" } } }) + "\n";
    res.write(line.slice(0, 10));
    setTimeout(() => {
      res.write(line.slice(10) + JSON.stringify({ type: "DELETED", object: { metadata: { name: "split" } } }));
      setTimeout(() => res.end("\n"), 10);
    }, 10);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const c = createClient({ server: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
  t.after(() => c.close());
  const events: string[] = [];
  await c.resource(resources.configmaps).watch("default", {}, { onEvent: (e) => events.push(`${e.type} ${(e.object as KubeObject).metadata?.name}`) }).done;
  assert.deepEqual(events, ["ADDED split", "DELETED split"]);
  let failure: unknown;
  await c.resource(resources.secrets).watch("default", {}, { onEvent: () => {}, onError: (e) => (failure = e) }).done;
  assert.ok(isStatusError(failure, "Forbidden"));
});

test("watch decodes events sent a byte at a time, with multi-byte characters, CRLF and blank lines between events", async (t) => {
  const events = [
    { type: "ADDED", object: { metadata: { name: "a" }, data: { text: "grüße 日本 🚀" } } },
    { type: "MODIFIED", object: { metadata: { name: "a" }, data: { text: "x".repeat(70_000) } } },
    { type: "DELETED", object: { metadata: { name: "a" }, data: { text: "é" } } },
  ];
  const wire = Buffer.from(`\n${JSON.stringify(events[0])}\r\n\n  \n${JSON.stringify(events[1])}\n${JSON.stringify(events[2])}\n`);
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    // The first 400 bytes one at a time (every multi-byte character split), then the rest in one write.
    let i = 0;
    const next = (): void => {
      if (i >= 400) return void res.end(wire.subarray(i));
      res.write(wire.subarray(i, i + 1));
      i++;
      setImmediate(next);
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const c = createClient({ server: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
  t.after(() => c.close());
  const got: WatchEvent[] = [];
  await c.resource(resources.configmaps).watch("default", {}, { onEvent: (e) => got.push(e) }).done;
  assert.deepEqual(got, events);
});

// --- The unary transport (http1_pool.ts) against real servers -------------------------------------------------

const log = (msg: string): void => void process.stderr.write(`# ${msg}\n`);

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Served {
  url: string;
  /** TCP connections the server accepted. */
  connections: () => number;
  /** Most connections open at once. */
  peak: () => number;
}

async function serveNode(t: TestContext, handler: http.RequestListener, tune?: (s: http.Server) => void): Promise<Served> {
  const server = http.createServer(handler);
  tune?.(server);
  let connections = 0;
  let open = 0;
  let peak = 0;
  server.on("connection", (s) => {
    connections++;
    peak = Math.max(peak, ++open);
    s.on("close", () => open--);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => (server.closeAllConnections(), server.close()));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections, peak: () => peak };
}

/** A raw TCP server: `onRequest` sees each request head (the part before the empty line) and answers on the socket. */
async function serveRaw(t: TestContext, onRequest: (sock: net.Socket, head: string, nth: number) => void): Promise<Served> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf = "";
    let nth = 0;
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      let end: number;
      while ((end = buf.indexOf("\r\n\r\n")) >= 0) {
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        onRequest(sock, head, nth++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections, peak: () => 0 };
}

/** Writes `data` in pieces of the given sizes, one event-loop turn apart, so the client sees them as separate reads. */
async function dribble(sock: net.Socket, data: Buffer, sizes: number[]): Promise<void> {
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    sock.write(data.subarray(pos, pos + n));
    pos += n;
    await new Promise((r) => setTimeout(r, 1));
  }
}

const json = (res: http.ServerResponse, code: number, body: unknown): void => {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

test("unary requests read sized and chunked bodies, over one reused keep-alive connection", async (t) => {
  const srv = await serveNode(t, (req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const echo = { method: req.method, url: req.url, contentType: req.headers["content-type"], body: body ? JSON.parse(body) : null };
      if (req.url?.startsWith("/chunked")) {
        res.writeHead(200, { "Content-Type": "application/json" });
        const text = JSON.stringify(echo);
        res.write(text.slice(0, 7));
        setTimeout(() => res.end(text.slice(7)), 2);
      } else json(res, 200, echo);
    });
  });
  const c = createClient({ server: srv.url });
  t.after(() => c.close());
  for (let i = 0; i < 30; i++) {
    const sized = await c.request<{ method: string; url: string; body: unknown }>({ method: "PUT", path: `/sized/${i}`, query: { a: "x y" }, body: { i, s: "é€" } });
    assert.deepEqual(sized, { method: "PUT", url: `/sized/${i}?a=x%20y`, contentType: "application/json", body: { i, s: "é€" } });
    const chunked = await c.request<{ method: string; body: unknown }>({ method: "GET", path: `/chunked/${i}` });
    assert.deepEqual(chunked, { method: "GET", url: `/chunked/${i}`, body: null });
  }
  assert.equal(srv.connections(), 1, "60 sequential requests share one connection");
});

test("responses split at every byte, with chunk extensions, trailers, an interim 100 and read-to-close bodies", async (t) => {
  const payload = JSON.stringify({ kind: "ConfigMap", data: { k: "v".repeat(300), u: "ü" } });
  const bytes = Buffer.from(payload);
  const chunked = Buffer.concat([
    Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"),
    Buffer.from(`a;ext=1\r\n`),
    bytes.subarray(0, 10),
    Buffer.from(`\r\n${(bytes.length - 10).toString(16).toUpperCase()}\r\n`),
    bytes.subarray(10),
    Buffer.from("\r\n0\r\nX-Trailer: yes\r\n\r\n"),
  ]);
  const sized = Buffer.concat([Buffer.from(`HTTP/1.1 201 Created\r\ncontent-length: ${bytes.length}\r\nKeep-Alive: timeout=30\r\n\r\n`), bytes]);
  const toClose = Buffer.concat([Buffer.from("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"), bytes]);
  const srv = await serveRaw(t, (sock, head) => {
    const path = head.split(" ")[1]!;
    const [kind, size] = path.slice(1).split("/") as [string, string];
    const sizes = [Number(size), 3, 7];
    if (kind === "chunked") void dribble(sock, chunked, sizes);
    else if (kind === "sized") void dribble(sock, sized, sizes);
    else if (kind === "none") sock.write("HTTP/1.1 204 No Content\r\n\r\n");
    else void dribble(sock, toClose, sizes).then(() => sock.end());
  });
  const c = createClient({ server: srv.url });
  t.after(() => c.close());
  for (const size of [1, 2, 5, 64, 4096]) {
    assert.deepEqual(await c.request({ method: "GET", path: `/chunked/${size}` }), JSON.parse(payload), `chunked in pieces of ${size}`);
    assert.deepEqual(await c.request({ method: "GET", path: `/sized/${size}` }), JSON.parse(payload), `sized in pieces of ${size}`);
    assert.equal(await c.request({ method: "DELETE", path: "/none/0" }), undefined);
    assert.deepEqual(await c.request({ method: "GET", path: `/close/${size}` }), JSON.parse(payload), `read to close in pieces of ${size}`);
  }
  // Sized, chunked and empty answers keep their connection; each HTTP/1.0 answer without keep-alive ends it.
  assert.equal(srv.connections(), 5);
});

test("error answers become StatusErrors; malformed answers and refused connections reject", async (t) => {
  const srv = await serveRaw(t, (sock, head) => {
    const path = head.split(" ")[1]!;
    if (path === "/garbage") return void sock.end("SMTP ready\r\n\r\n");
    if (path === "/badlength") return void sock.write("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n{}");
    if (path === "/extra") return void sock.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n");
    const status = JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: 'pods "p" not found' });
    if (path === "/404") return void sock.write(`HTTP/1.1 404 Not Found\r\nContent-Length: ${status.length}\r\n\r\n${status}`);
    sock.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\n\r\noverload");
  });
  const c = createClient({ server: srv.url });
  t.after(() => c.close());
  await assert.rejects(c.request({ method: "GET", path: "/404" }), (e) => isNotFound(e) && (e as StatusError).status.message === 'pods "p" not found');
  await assert.rejects(c.request({ method: "GET", path: "/503" }), (e: unknown) => e instanceof StatusError && e.code === 503 && e.status.message === "overload");
  await assert.rejects(c.request({ method: "GET", path: "/garbage" }), /malformed status line/);
  await assert.rejects(c.request({ method: "GET", path: "/badlength" }), /bad Content-Length/);
  await assert.rejects(c.request({ method: "GET", path: "/404" }), isNotFound, "the client still works after malformed answers");
  // Bytes after a complete answer: the answer counts, the socket (out of step with the server) is not reused.
  assert.deepEqual(await c.request({ method: "GET", path: "/extra" }), {});
  await assert.rejects(c.request({ method: "GET", path: "/404" }), isNotFound);
  assert.equal(srv.connections(), 4, "one socket per malformed answer or trailing bytes, plus the last one");

  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const refused = createClient({ server: `http://127.0.0.1:${port}` });
  t.after(() => refused.close());
  await assert.rejects(refused.request({ method: "GET", path: "/" }), (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED");
  const badToken = createClient({ server: srv.url, token: "abc\r\nX-Injected: 1" });
  await assert.rejects(badToken.request({ method: "GET", path: "/404" }), /line break/);
});

test("responses over 3 MiB, sized and chunked, and a 3 MiB request body", async (t) => {
  const big = { items: Array.from({ length: 20_000 }, (_, i) => ({ name: `item-${i}`, pad: "x".repeat(150) })) };
  const text = JSON.stringify(big);
  assert.ok(text.length > 3 * 1024 * 1024);
  const srv = await serveNode(t, (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.method === "POST") return json(res, 200, { received: body.length });
      res.writeHead(200, { "Content-Type": "application/json" });
      if (req.url === "/sized") return void res.end(text);
      for (let i = 0; i < text.length; i += 100_000) res.write(text.slice(i, i + 100_000));
      res.end();
    });
  });
  const c = createClient({ server: srv.url });
  t.after(() => c.close());
  assert.deepEqual(await c.request({ method: "GET", path: "/sized" }), big);
  assert.deepEqual(await c.request({ method: "GET", path: "/chunked" }), big);
  assert.deepEqual(await c.request({ method: "POST", path: "/echo", body: big }), { received: text.length });
});

test("requests beyond the connection cap wait for a free connection and all complete", async (t) => {
  let inFlight = 0;
  let peakInFlight = 0;
  const srv = await serveNode(t, (req, res) => {
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    setTimeout(() => {
      inFlight--;
      json(res, 200, { url: req.url });
    }, 5);
  });
  const c = createClient({ server: srv.url, maxConnections: 4 });
  t.after(() => c.close());
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => c.request<{ url: string }>({ method: "GET", path: `/r/${i}` })));
  assert.deepEqual(answers.map((a) => a.url), Array.from({ length: 60 }, (_, i) => `/r/${i}`));
  assert.equal(peakInFlight, 4);
  assert.equal(srv.connections(), 4);
  log(`60 requests over ${srv.connections()} connections`);
});

test("a connection the server closed while idle is replaced; a reset before any answer byte retries GET once, not POST", async (t) => {
  // The server's keep-alive window is shorter than the pause: the client must not fail on the closed socket.
  const short = await serveNode(t, (req, res) => json(res, 200, { ok: req.url }), (s) => (s.keepAliveTimeout = 100));
  const c1 = createClient({ server: short.url });
  t.after(() => c1.close());
  assert.deepEqual(await c1.request({ method: "GET", path: "/a" }), { ok: "/a" });
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(await c1.request({ method: "GET", path: "/b" }), { ok: "/b" });
  assert.equal(short.connections(), 2);

  // A server that answers the first request on a connection and resets on the second: what a client sees when its
  // request crosses the server's close of an idle connection.
  const attempts: string[] = [];
  const racy = await serveRaw(t, (sock, head, nth) => {
    attempts.push(`${head.split(" ")[0]} ${nth}`);
    if (nth === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    else sock.resetAndDestroy();
  });
  const c2 = createClient({ server: racy.url });
  t.after(() => c2.close());
  await c2.request({ method: "GET", path: "/1" });
  assert.deepEqual(await c2.request({ method: "GET", path: "/2" }), {}, "the GET is retried on a new connection");
  assert.deepEqual(attempts, ["GET 0", "GET 1", "GET 0"]);
  await assert.rejects(c2.request({ method: "POST", path: "/3", body: {} }), (e: NodeJS.ErrnoException) => e.code === "ECONNRESET");
  assert.deepEqual(attempts.slice(3), ["POST 1"], "a POST is never sent twice");
  assert.equal(racy.connections(), 2);
});

test("a request with no answer within requestTimeoutMs rejects and its connection is destroyed", async (t) => {
  const closedByClient: number[] = [];
  let n = 0;
  const srv = await serveRaw(t, (sock, head) => {
    const id = n++;
    sock.on("close", () => closedByClient.push(id));
    if (head.startsWith("GET /hang")) return; // never answers
    sock.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  });
  const c = createClient({ server: srv.url, requestTimeoutMs: 300 });
  t.after(() => c.close());
  const t0 = performance.now();
  await assert.rejects(c.request({ method: "GET", path: "/hang" }), /GET \/hang: no answer within 300 ms/);
  log(`timed out after ${(performance.now() - t0).toFixed(0)} ms`);
  await until(() => closedByClient.includes(0), "the server sees the hung connection closed");
  assert.deepEqual(await c.request({ method: "GET", path: "/fine" }), {});
});

test("idle keep-alive connections do not keep a process from exiting", async (t) => {
  // The server keeps idle connections open (it would close them after 5 s by default, ending the child anyway).
  const srv = await serveNode(t, (_req, res) => json(res, 200, { ok: true }), (s) => (s.keepAliveTimeout = 600_000));
  const script = `const { createClient } = await import(${JSON.stringify(new URL(`./rest_client${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).pathname)});
const c = createClient({ server: ${JSON.stringify(srv.url)}, requestTimeoutMs: 600000 });
await c.request({ method: "GET", path: "/" });
process.stdout.write("answered\\n");`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    // Far longer than a start-up under load, far shorter than the client's idle timeout (10 minutes, above).
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (c) => (clearTimeout(timer), resolve(c)));
  });
  log(`child exited after ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(out, "answered\n");
  assert.equal(code, 0, "the child exits on its own with its client open");
});

test("https: unary requests verify the server against the CA, or skip verification when asked", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rest-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=k8ts-test",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  } catch (e) {
    t.skip(`openssl cannot make a test certificate: ${(e as Error).message}`);
    return;
  }
  const cert = readFileSync(join(dir, "cert.pem"));
  let connections = 0;
  const server = https.createServer({ cert, key: readFileSync(join(dir, "key.pem")) }, (req, res) => json(res, 200, { url: req.url, auth: req.headers.authorization }));
  server.on("secureConnection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => (server.closeAllConnections(), server.close()));
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const c = createClient({ server: url, token: "t0k", tls: { ca: cert } });
  t.after(() => c.close());
  for (let i = 0; i < 5; i++) assert.deepEqual(await c.request({ method: "GET", path: `/v/${i}` }), { url: `/v/${i}`, auth: "Bearer t0k" });
  assert.equal(connections, 1, "five requests over one TLS connection");

  const untrusting = createClient({ server: url });
  t.after(() => untrusting.close());
  await assert.rejects(untrusting.request({ method: "GET", path: "/" }), (e: NodeJS.ErrnoException) => e.code === "DEPTH_ZERO_SELF_SIGNED_CERT");
  const insecure = createClient({ server: url, tls: { insecureSkipVerify: true } });
  t.after(() => insecure.close());
  assert.deepEqual(await insecure.request({ method: "GET", path: "/x" }), { url: "/x" });
});

test("close() fails the request on the wire and those queued behind the connection cap", async (t) => {
  let seen = 0;
  const srv = await serveRaw(t, () => void seen++); // never answers
  const c = createClient({ server: srv.url, maxConnections: 1 });
  const pending = [0, 1, 2].map((i) => c.request({ method: "GET", path: `/q/${i}` }).then(() => "answered", (e: Error) => e.message));
  await until(() => seen === 1, "the first request reaches the server");
  c.close();
  assert.deepEqual(await Promise.all(pending), ["GET /q/0: socket hang up", "GET /q/1: client closed", "GET /q/2: client closed"]);
  await assert.rejects(c.request({ method: "GET", path: "/after" }), /client closed/);
});

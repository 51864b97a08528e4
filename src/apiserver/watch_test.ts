import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { request, startHarness, type Harness } from "./testing/harness.js";

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  next(): Promise<{ type: string; object: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch and hands out events one line at a time. */
function openWatch(url: string, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url + path, { headers }, (res) => {
      let buf = "";
      const lines: string[] = [];
      const waiters: ((l: string) => void)[] = [];
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const w = waiters.shift();
          if (w) w(line);
          else lines.push(line);
        }
      });
      const ended = new Promise<void>((r) => res.on("close", () => r()));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        next: async () => JSON.parse(lines.shift() ?? (await new Promise<string>((r) => waiters.push(r)))),
        ended,
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
  });
}

const CM = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "1" } });

describe("watch over HTTP", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM("first") });
  });
  after(() => h.close());

  it("flushes headers at once, sends initial state and later changes as JSON lines", async () => {
    const w = await openWatch(h.url, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0");
    assert.equal(w.status, 200);
    assert.equal(w.headers["content-type"], "application/json");
    assert.equal(w.headers["transfer-encoding"], "chunked");
    let e = await w.next();
    assert.equal(e.type, "ADDED");
    assert.equal(e.object.metadata.name, "first");
    await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM("second") });
    e = await w.next();
    assert.deepEqual([e.type, e.object.metadata.name, e.object.kind], ["ADDED", "second", "ConfigMap"]);
    await request(h.url, "DELETE", "/api/v1/namespaces/default/configmaps/second");
    e = await w.next();
    assert.equal(e.type, "DELETED");
    w.close();
    await w.ended.catch(() => undefined);
    await waitFor(() => h.registry.activeWatches === 0);
  });

  it("supports /watch/ paths and passes watch parameters", async () => {
    const w = await openWatch(h.url, "/api/v1/watch/namespaces/default/configmaps?resourceVersion=11&allowWatchBookmarks=true&timeoutSeconds=30&labelSelector=x%3Dy");
    assert.equal(w.status, 200);
    const call = h.registry.calls.filter((c) => c.op === "watch").at(-1)!;
    assert.deepEqual(call.extra, { labelSelector: "x=y", fieldSelector: undefined, resourceVersion: "11", allowWatchBookmarks: true, sendInitialEvents: undefined, timeoutSeconds: 30 });
    w.close();
    await waitFor(() => h.registry.activeWatches === 0);
  });

  it("ends the stream after timeoutSeconds", async () => {
    const w = await openWatch(h.url, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=0");
    await w.next();
    await w.ended;
    await waitFor(() => h.registry.activeWatches === 0);
  });

  it("answers a too-old resourceVersion with 410 Expired", async () => {
    const r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1");
    assert.equal(r.status, 410);
    assert.equal(r.json().reason, "Expired");
  });

  it("sends Table events when asked, with column definitions on the first one", async () => {
    const w = await openWatch(h.url, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0", { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    const e = await w.next();
    assert.equal(e.object.kind, "Table");
    assert.equal(e.object.columnDefinitions.length, 2);
    assert.equal(e.object.rows[0].cells[0], "first");
    await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM("third") });
    const e2 = await w.next();
    assert.equal(e2.object.kind, "Table");
    assert.equal(e2.object.rows[0].cells[0], "third");
    w.close();
  });

  it("sends a replay larger than the response's buffer whole and in order, then later changes", async () => {
    const h2 = await startHarness();
    try {
      const names = Array.from({ length: 120 }, (_, i) => `big-${String(i).padStart(3, "0")}`);
      for (const name of names) {
        await request(h2.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM(name), data: { a: "x".repeat(2000) } } });
      }
      const w = await openWatch(h2.url, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0");
      const seen: string[] = [];
      for (let i = 0; i < names.length; i++) {
        const e = await w.next();
        assert.equal(e.type, "ADDED");
        assert.equal(e.object.data.a.length, 2000);
        seen.push(e.object.metadata.name);
      }
      assert.deepEqual(seen, names);
      await request(h2.url, "DELETE", "/api/v1/namespaces/default/configmaps/big-000");
      const e = await w.next();
      assert.deepEqual([e.type, e.object.metadata.name], ["DELETED", "big-000"]);
      w.close();
    } finally {
      await h2.close();
    }
  });

  it("ends every watch when the server shuts down", async () => {
    const h2 = await startHarness();
    const w = await openWatch(h2.url, "/api/v1/configmaps?watch=true");
    await h2.close();
    await w.ended;
    assert.equal(h2.registry.activeWatches, 0);
    assert.equal(h2.registry.started, false);
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

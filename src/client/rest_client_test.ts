import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
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
  const http = await import("node:http");
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

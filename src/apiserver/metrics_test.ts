import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { scrape } from "../util/metrics/testing/scrape.js";
import { request, startHarness, type Harness } from "./testing/harness.js";

const CM = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data: { k: "v" } };

/** Polls until check() holds; the deadline only bounds a broken run, it does not time the behaviour. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail("condition never held");
}

describe("API server /metrics", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("counts requests by verb, resource, scope and code", async () => {
    assert.equal((await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM })).status, 201);
    assert.equal((await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM })).status, 409);
    assert.equal((await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/m")).status, 200);
    assert.equal((await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/nope")).status, 404);
    assert.equal((await request(h.url, "GET", "/api/v1/configmaps")).status, 200);
    const m = await scrape(`${h.url}/metrics`);
    const base = { group: "", version: "v1", resource: "configmaps", subresource: "", component: "apiserver", dry_run: "" };
    assert.equal(m.value("apiserver_request_total", { ...base, verb: "POST", scope: "resource", code: "201" }), 1);
    assert.equal(m.value("apiserver_request_total", { ...base, verb: "POST", code: "409" }), 1);
    assert.equal(m.value("apiserver_request_total", { ...base, verb: "GET", scope: "resource", code: "200" }), 1);
    assert.equal(m.value("apiserver_request_total", { ...base, verb: "GET", code: "404" }), 1);
    assert.equal(m.value("apiserver_request_total", { ...base, verb: "LIST", scope: "cluster", code: "200" }), 1);
    assert.deepEqual(m.families.get("apiserver_request_total"), { type: "counter", help: m.families.get("apiserver_request_total")!.help });
    assert.equal(m.families.get("apiserver_request_duration_seconds")?.type, "histogram");
    assert.equal(m.value("apiserver_request_duration_seconds_count", { ...base, verb: "POST" }), 2);
    assert.equal(m.value("apiserver_request_duration_seconds_bucket", { ...base, verb: "POST", le: "+Inf" }), 2);
    assert.ok(m.value("process_resident_memory_bytes") > 0);
    assert.equal(m.families.get("apiserver_current_inflight_requests")?.type, "gauge");
    // The scrape itself is in flight while the page is rendered.
    assert.equal(m.value("apiserver_current_inflight_requests", { request_kind: "readOnly" }), 1);
  });

  it("labels server-side apply as APPLY and dry runs by their value", async () => {
    const r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/m?fieldManager=t&dryRun=All", {
      body: JSON.stringify(CM),
      headers: { "content-type": "application/apply-patch+yaml" },
    });
    assert.ok(r.status < 500, r.text);
    const m = await scrape(`${h.url}/metrics`);
    assert.equal(m.value("apiserver_request_total", { verb: "APPLY", resource: "configmaps", dry_run: "All" }), 1);
  });

  it("tracks an open watch as a long-running request until it ends", async () => {
    const watch = { verb: "WATCH", resource: "configmaps", scope: "namespace" };
    const req = http.get(`${h.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.on("response", resolve).on("error", reject));
    assert.equal(res.statusCode, 200);
    let m = await scrape(`${h.url}/metrics`);
    assert.equal(m.value("apiserver_longrunning_requests", watch), 1);
    req.destroy();
    await eventually(async () => (await scrape(`${h.url}/metrics`)).value("apiserver_longrunning_requests", watch) === 0);
    m = await scrape(`${h.url}/metrics`);
    assert.equal(m.value("apiserver_request_total", { ...watch, code: "200" }), 1);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compareVersions } from "./discovery.js";
import { request, startHarness, type Harness } from "./testing/harness.js";

describe("discovery", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("serves /version for the kubectl dispatcher", async () => {
    const v = (await request(h.url, "GET", "/version?timeout=5s")).json();
    assert.equal(v.major, "1");
    assert.equal(v.minor, "31");
    assert.match(v.gitVersion, /^v1\.31\./);
  });

  it("serves legacy discovery for the core group", async () => {
    const api = (await request(h.url, "GET", "/api")).json();
    assert.equal(api.kind, "APIVersions");
    assert.deepEqual(api.versions, ["v1"]);
    const list = (await request(h.url, "GET", "/api/v1")).json();
    assert.equal(list.kind, "APIResourceList");
    assert.equal(list.groupVersion, "v1");
    const byName = new Map(list.resources.map((r: { name: string }) => [r.name, r]));
    assert.deepEqual(byName.get("pods"), {
      name: "pods",
      singularName: "pod",
      namespaced: true,
      kind: "Pod",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["po"],
      categories: ["all"],
    });
    assert.deepEqual(byName.get("pods/eviction"), { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] });
    assert.deepEqual(byName.get("pods/status"), { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: ["get", "patch", "update"] });
    assert.ok(byName.has("pods/log"));
    assert.ok(byName.has("pods/exec"));
    assert.ok(byName.has("namespaces/finalize"));
  });

  it("serves legacy discovery for named groups", async () => {
    const groups = (await request(h.url, "GET", "/apis")).json();
    assert.equal(groups.kind, "APIGroupList");
    assert.deepEqual(groups.groups[0], { name: "apps", versions: [{ groupVersion: "apps/v1", version: "v1" }], preferredVersion: { groupVersion: "apps/v1", version: "v1" } });
    // The review resources the API server answers itself are discovered too.
    assert.deepEqual(groups.groups.map((g: { name: string }) => g.name), ["apps", "authentication.k8s.io", "authorization.k8s.io"]);
    const g = (await request(h.url, "GET", "/apis/apps")).json();
    assert.equal(g.kind, "APIGroup");
    const list = (await request(h.url, "GET", "/apis/apps/v1")).json();
    const scale = list.resources.find((r: { name: string }) => r.name === "deployments/scale");
    assert.deepEqual(scale, { name: "deployments/scale", singularName: "", namespaced: true, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
    assert.equal((await request(h.url, "GET", "/apis/nope")).status, 404);
    assert.equal((await request(h.url, "GET", "/apis/apps/v2")).status, 404);
  });

  for (const v of ["v2", "v2beta1"]) {
    it(`serves aggregated discovery ${v} with its exact content type`, async () => {
      const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;
      const core = await request(h.url, "GET", "/api", { headers: { accept } });
      assert.equal(core.headers["content-type"], `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      const doc = core.json();
      assert.equal(doc.kind, "APIGroupDiscoveryList");
      assert.equal(doc.apiVersion, `apidiscovery.k8s.io/${v}`);
      assert.equal(doc.items.length, 1);
      const pods = doc.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === "pods");
      assert.deepEqual(pods.responseKind, { group: "", version: "v1", kind: "Pod" });
      assert.equal(pods.scope, "Namespaced");
      assert.equal(pods.singularResource, "pod");
      assert.ok(pods.subresources.some((s: { subresource: string; responseKind: { group: string } }) => s.subresource === "eviction" && s.responseKind.group === "policy"));
      const named = (await request(h.url, "GET", "/apis", { headers: { accept } })).json();
      assert.deepEqual(named.items.map((i: { metadata: { name: string } }) => i.metadata.name), ["apps", "authentication.k8s.io", "authorization.k8s.io"]);
      assert.equal(named.items[0].versions[0].freshness, "Current");
      const nodes = doc.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === "nodes");
      assert.equal(nodes.scope, "Cluster");
    });
  }

  it("falls back to legacy documents on plain JSON", async () => {
    const r = await request(h.url, "GET", "/apis", { headers: { accept: "application/json" } });
    assert.equal(r.json().kind, "APIGroupList");
  });

  it("orders versions as Kubernetes does", () => {
    assert.deepEqual(["v1beta1", "v1", "v2alpha1", "v2", "v1beta2", "foo"].sort(compareVersions), ["v2", "v1", "v1beta2", "v1beta1", "v2alpha1", "foo"]);
  });

  it("serves health endpoints and gates readiness on the registry", async () => {
    assert.equal((await request(h.url, "GET", "/healthz")).text, "ok");
    assert.equal((await request(h.url, "GET", "/livez")).status, 200);
    assert.equal((await request(h.url, "GET", "/readyz")).status, 200);
    const { createApiServer } = await import("./server.js");
    const { FakeRegistry } = await import("./testing/fake_registry.js");
    const s = createApiServer({ registry: new FakeRegistry() });
    const { url } = await s.listen({ port: 0 });
    assert.equal((await request(url, "GET", "/readyz")).status, 500);
    await s.start();
    assert.equal((await request(url, "GET", "/readyz")).status, 200);
    await s.close();
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePath, parseTarget } from "./request_info.js";

const q = (s = "") => new URLSearchParams(s);

describe("parsePath", () => {
  it("parses core and group paths, namespaced and cluster-scoped", () => {
    assert.deepEqual(parsePath("GET", "/api/v1/namespaces/default/pods/web/log", q()), {
      kind: "resource",
      info: { group: "", version: "v1", namespace: "default", resource: "pods", name: "web", subresource: "log", rest: [], verb: "get", watch: false },
    });
    const d = parsePath("DELETE", "/apis/apps/v1/namespaces/ns/deployments", q());
    assert.equal(d.kind === "resource" && d.info.verb, "deletecollection");
    const n = parsePath("GET", "/api/v1/nodes/n1", q());
    assert.deepEqual(n.kind === "resource" && [n.info.resource, n.info.name, n.info.namespace], ["nodes", "n1", undefined]);
  });

  it("treats namespaces/{name}[/status|/finalize] as the namespace object", () => {
    const a = parsePath("PUT", "/api/v1/namespaces/team/finalize", q());
    assert.deepEqual(a.kind === "resource" && [a.info.resource, a.info.name, a.info.subresource, a.info.namespace, a.info.verb], ["namespaces", "team", "finalize", undefined, "update"]);
    const b = parsePath("GET", "/api/v1/namespaces/team", q());
    assert.deepEqual(b.kind === "resource" && [b.info.resource, b.info.name], ["namespaces", "team"]);
    const c = parsePath("GET", "/api/v1/namespaces", q());
    assert.deepEqual(c.kind === "resource" && [c.info.resource, c.info.verb], ["namespaces", "list"]);
  });

  it("recognizes watches by path and by query", () => {
    const a = parsePath("GET", "/api/v1/watch/namespaces/default/pods", q());
    assert.deepEqual(a.kind === "resource" && [a.info.verb, a.info.namespace, a.info.resource], ["watch", "default", "pods"]);
    const b = parsePath("GET", "/apis/apps/v1/deployments", q("watch=true"));
    assert.equal(b.kind === "resource" && b.info.verb, "watch");
    const c = parsePath("GET", "/apis/apps/v1/deployments", q("watch=false"));
    assert.equal(c.kind === "resource" && c.info.verb, "list");
  });

  it("classifies discovery and other paths", () => {
    assert.deepEqual(parsePath("GET", "/api", q()), { kind: "discovery", legacy: true });
    assert.deepEqual(parsePath("GET", "/api/v1", q()), { kind: "discovery", legacy: true, group: "", version: "v1" });
    assert.deepEqual(parsePath("GET", "/apis/apps", q()), { kind: "discovery", legacy: false, group: "apps" });
    assert.deepEqual(parsePath("GET", "/apis/apps/v1/", q()), { kind: "discovery", legacy: false, group: "apps", version: "v1" });
    assert.deepEqual(parsePath("GET", "/version", q()), { kind: "other" });
  });
});

describe("parseTarget", () => {
  it("splits every request target as the URL parser does", () => {
    const targets = [
      "/",
      "/api/v1/namespaces/default/pods",
      "/api/v1/namespaces/default/pods/web-1?pretty=true&dryRun=All&dryRun=",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:controller:job-controller",
      "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Ctier+in+(a,b)&limit=5",
      "/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName=n 1&x=ü",
      "/api/v1/namespaces/a%2Fb/pods",
      "/api/v1/namespaces/default/pods/../services",
      "/api/v1/namespaces/./pods/.",
      "/api/v1/namespaces/%2e%2e/pods",
      "//api/v1/pods",
      "/api/v1/pods#frag",
      "/api/v1/pods/a b",
      "/api/v1/pods/ü",
      "/api/v1/pods/{x}",
      "http://localhost:6443/api/v1/pods?watch=1",
      "/healthz/",
      "/api/v1/pods?",
    ];
    for (const t of targets) {
      const url = new URL(t, "http://localhost");
      const got = parseTarget(t);
      assert.equal(got.pathname, url.pathname, t);
      assert.deepEqual([...got.query], [...url.searchParams], t);
    }
  });
});

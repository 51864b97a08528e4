import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { errors } from "../machinery/errors.js";
import { request, startHarness, type Harness } from "./testing/harness.js";

const CM = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } };

describe("resource requests", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("creates, gets, lists, updates, patches and deletes a namespaced object", async () => {
    let r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json().metadata.namespace, "default");
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json().reason, "AlreadyExists");
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().data.k, "v");
    r = await request(h.url, "GET", "/api/v1/configmaps");
    assert.equal(r.json().items.length, 1);
    const cur = (await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a")).json();
    r = await request(h.url, "PUT", "/api/v1/namespaces/default/configmaps/a", { body: { ...cur, data: { k: "w" } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().data.k, "w");
    r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/a?fieldManager=kubectl-edit", {
      body: { data: { x: "y" } },
      headers: { "content-type": "application/merge-patch+json" },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data, { k: "w", x: "y" });
    const patchCall = h.registry.calls.filter((c) => c.op === "patch").at(-1)!;
    assert.equal(patchCall.ctx.fieldManager, "kubectl-edit");
    r = await request(h.url, "DELETE", "/api/v1/namespaces/default/configmaps/a", { body: { propagationPolicy: "Background" } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().status, "Success");
    assert.equal(r.json().details.name, "a");
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a");
    assert.equal(r.status, 404, r.text);
    assert.deepEqual(r.json(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'configmaps "a" not found',
      reason: "NotFound",
      details: { name: "a", kind: "configmaps" },
      code: 404,
    });
  });

  it("answers 202 with the object while a deletion is pending", async () => {
    await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, metadata: { name: "fin", finalizers: ["x/y"] } } });
    const r = await request(h.url, "DELETE", "/api/v1/namespaces/default/configmaps/fin?gracePeriodSeconds=0&propagationPolicy=Foreground");
    assert.equal(r.status, 202, r.text);
    assert.ok(r.json().metadata.deletionTimestamp);
    const call = h.registry.calls.filter((c) => c.op === "delete").at(-1)!;
    assert.deepEqual(call.extra, { gracePeriodSeconds: 0, propagationPolicy: "Foreground" });
  });

  it("passes dryRun, fieldValidation and list parameters to the registry", async () => {
    let r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps?dryRun=All&fieldValidation=Strict", { body: { ...CM, metadata: { name: "dry" } } });
    assert.equal(r.status, 201, r.text);
    const call = h.registry.calls.filter((c) => c.op === "create").at(-1)!;
    assert.equal(call.ctx.dryRun, true);
    assert.equal(call.ctx.fieldValidation, "Strict");
    assert.equal((await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/dry")).status, 404);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps?dryRun=Some", { body: CM });
    assert.equal(r.status, 400, r.text);
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps?limit=5&continue=abc&labelSelector=a%3Db&fieldSelector=metadata.name%3Dx&resourceVersion=0&resourceVersionMatch=NotOlderThan");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(h.registry.calls.filter((c) => c.op === "list").at(-1)!.extra, {
      labelSelector: "a=b",
      fieldSelector: "metadata.name=x",
      limit: 5,
      continue: "abc",
      resourceVersion: "0",
      resourceVersionMatch: "NotOlderThan",
    });
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps?limit=x");
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /limit/);
  });

  it("accepts YAML bodies and answers YAML when asked", async () => {
    const yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: b\n";
    const r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: yaml, headers: { "content-type": "application/yaml", accept: "application/yaml" } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers["content-type"], "application/yaml");
    assert.equal(parseYaml(r.text).data.a, "b");
  });

  it("rejects malformed, oversized, mismatched and protobuf bodies with a Status", async () => {
    let r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: "{not json" });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /not valid JSON/);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, apiVersion: "apps/v1" } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /API version in the data \(apps\/v1\) does not match the expected API version \(v1\)/);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, kind: "Secret" } });
    assert.equal(r.status, 400, r.text);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, metadata: { name: "z", namespace: "other" } } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /namespace of the provided object does not match/);
    r = await request(h.url, "PUT", "/api/v1/namespaces/default/configmaps/other", { body: CM });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /does not match the name on the URL/);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, data: { big: "x".repeat(3 * 1024 * 1024 + 10) } } });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json().reason, "RequestEntityTooLarge");
    r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: "k8s\0", headers: { "content-type": "application/vnd.kubernetes.protobuf" } });
    assert.equal(r.status, 415, r.text);
    r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/a", { body: { data: {} }, headers: { "content-type": "application/json" } });
    assert.equal(r.status, 415, r.text);
    r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/a", { body: { data: {} }, headers: { "content-type": "text/plain" } });
    assert.equal(r.status, 415, r.text);
    r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/a", { body: { data: {} }, headers: { "content-type": "application/apply-patch+yaml" } });
    assert.equal(r.status, 422, r.text);
    assert.match(r.json().message, /fieldManager/);
  });

  it("answers 404 for unknown paths and 405 for verbs a path does not take", async () => {
    for (const p of ["/api/v2/pods", "/api/v1/widgets", "/apis/nope/v1/things", "/apis/apps/v9/deployments", "/nothing", "/api/v1/namespaces/default/configmaps/a/bogus"]) {
      const r = await request(h.url, "GET", p);
      assert.equal(r.status, 404, p);
      assert.equal(r.json().kind, "Status");
    }
    let r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps/a", { body: CM });
    assert.equal(r.status, 405, r.text);
    r = await request(h.url, "PUT", "/api/v1/namespaces/default/configmaps", { body: CM });
    assert.equal(r.status, 405, r.text);
    r = await request(h.url, "POST", "/version", { body: {} });
    assert.equal(r.status, 405, r.text);
  });

  it("serves cluster-scoped resources and namespace subresources", async () => {
    let r = await request(h.url, "POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } } });
    assert.equal(r.status, 201, r.text);
    r = await request(h.url, "GET", "/api/v1/namespaces/team");
    assert.equal(r.json().metadata.name, "team");
    r = await request(h.url, "GET", "/api/v1/namespaces/team/status");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(h.registry.calls.filter((c) => c.op === "get").at(-1)!.extra, { subresource: "status" });
    r = await request(h.url, "PUT", "/api/v1/namespaces/team/finalize", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" }, spec: { finalizers: [] } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(h.registry.calls.filter((c) => c.op === "update").at(-1)!.extra, { subresource: "finalize" });
    r = await request(h.url, "GET", "/api/v1/namespaces/team/nodes");
    assert.equal(r.status, 404, r.text);
  });

  it("serves status and scale subresources and warnings", async () => {
    const dep = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", annotations: { warn: "deprecated thing" } }, spec: { replicas: 2 } };
    let r = await request(h.url, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: dep });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.warning, '299 - "deprecated thing"');
    r = await request(h.url, "GET", "/apis/apps/v1/namespaces/default/deployments/web/scale");
    assert.equal(r.json().kind, "Scale");
    r = await request(h.url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", {
      body: { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "web" }, spec: { replicas: 4 } },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(h.registry.calls.filter((c) => c.op === "update").at(-1)!.extra, { subresource: "scale" });
    r = await request(h.url, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web/status", { body: { status: { replicas: 1 } }, headers: { "content-type": "application/merge-patch+json" } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().status.replicas, 1);
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a/status");
    assert.equal(r.status, 404, r.text);
  });

  it("creates pods/eviction and pods/binding through the store", async () => {
    await request(h.url, "POST", "/api/v1/namespaces/default/pods", { body: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c" }] } } });
    let r = await request(h.url, "POST", "/api/v1/namespaces/default/pods/p/eviction", { body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p" } } });
    assert.equal(r.status, 201, r.text);
    r = await request(h.url, "POST", "/api/v1/namespaces/default/pods/p/binding", { body: { apiVersion: "v1", kind: "Binding", metadata: { name: "p" }, target: { kind: "Node", name: "n1" } } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(h.registry.subresourceCalls.map((c) => [c.name, c.subresource, c.body.kind]), [
      ["p", "eviction", "Eviction"],
      ["p", "binding", "Binding"],
    ]);
  });

  it("answers pods/log for an unscheduled pod with a clear 400", async () => {
    await request(h.url, "POST", "/api/v1/namespaces/default/pods", { body: { apiVersion: "v1", kind: "Pod", metadata: { name: "pending" }, spec: { containers: [{ name: "c" }] } } });
    const r = await request(h.url, "GET", "/api/v1/namespaces/default/pods/pending/log");
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /not scheduled to a node/);
  });
});

describe("content negotiation", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await request(h.url, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 3 } } });
    await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM });
  });
  after(() => h.close());
  const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

  it("builds a Table from the resource's columns, with PartialObjectMetadata rows", async () => {
    const r = await request(h.url, "GET", "/apis/apps/v1/namespaces/default/deployments?limit=500", { headers: { accept: TABLE } });
    const t = r.json();
    assert.equal(t.kind, "Table");
    assert.equal(t.apiVersion, "meta.k8s.io/v1");
    assert.deepEqual(t.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority]), [["Name", 0], ["Replicas", 0], ["Selector", 1]]);
    assert.deepEqual(t.rows[0].cells, ["web", 3, "app=x"]);
    assert.equal(t.rows[0].object.kind, "PartialObjectMetadata");
    assert.equal(t.rows[0].object.metadata.name, "web");
    assert.ok(t.metadata.resourceVersion);
  });

  it("uses default Name and Created At columns, honours includeObject, and tables single objects", async () => {
    let t = (await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a?includeObject=Object", { headers: { accept: TABLE } })).json();
    assert.deepEqual(t.columnDefinitions.map((c: { name: string }) => c.name), ["Name", "Created At"]);
    assert.equal(t.rows.length, 1);
    assert.equal(t.rows[0].object.kind, "ConfigMap");
    t = (await request(h.url, "GET", "/api/v1/namespaces/default/configmaps?includeObject=None", { headers: { accept: TABLE } })).json();
    assert.equal(t.rows[0].object, undefined);
  });

  it("serves PartialObjectMetadata(List), falls back to JSON for protobuf and unknown as=", async () => {
    let r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps", { headers: { accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io" } });
    assert.equal(r.json().kind, "PartialObjectMetadataList");
    assert.equal(r.json().items[0].kind, "PartialObjectMetadata");
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a", { headers: { accept: "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io" } });
    assert.equal(r.json().kind, "PartialObjectMetadata");
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a", { headers: { accept: "application/vnd.kubernetes.protobuf, */*" } });
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.json().kind, "ConfigMap");
    r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a", { headers: { accept: "application/json;as=Nope;g=x;v=v1, application/json" } });
    assert.equal(r.json().kind, "ConfigMap");
  });

  it("pretty-prints with ?pretty=true", async () => {
    const r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/a?pretty=true");
    assert.match(r.text, /^\{\n {2}"/);
  });
});

describe("pipeline seams", () => {
  it("rejects with 401 when the authenticator finds no user", async () => {
    const h = await startHarness({ authenticator: { authenticate: async () => undefined } });
    try {
      const r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps");
      assert.equal(r.status, 401, r.text);
      assert.equal(r.json().reason, "Unauthorized");
      assert.equal((await request(h.url, "GET", "/healthz")).status, 200);
    } finally {
      await h.close();
    }
  });

  it("calls the authorizer with request attributes and answers 403 on deny", async () => {
    const seen: unknown[] = [];
    const h = await startHarness({
      authenticator: { authenticate: async () => ({ username: "bob", groups: ["devs"] }) },
      authorizer: {
        authorize: async (a) => {
          seen.push({ verb: a.verb, resource: a.resource, subresource: a.subresource, namespace: a.namespace, name: a.name, group: a.apiGroup, user: a.user.username });
          return { allowed: a.verb !== "delete" && a.resourceRequest };
        },
      },
    });
    try {
      let r = await request(h.url, "GET", "/apis/apps/v1/namespaces/ns1/deployments/web/scale");
      assert.equal(r.status, 404, r.text);
      r = await request(h.url, "DELETE", "/api/v1/namespaces/ns1/configmaps/x");
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json().message, 'configmaps "x" is forbidden: User "bob" cannot delete resource "configmaps" in API group "" in the namespace "ns1"');
      r = await request(h.url, "GET", "/api/v1/namespaces/ns1/configmaps");
      assert.equal(r.status, 200, r.text);
      r = await request(h.url, "GET", "/version");
      assert.equal(r.status, 403, r.text);
      assert.deepEqual(seen.slice(0, 2), [
        { verb: "get", resource: "deployments", subresource: "scale", namespace: "ns1", name: "web", group: "apps", user: "bob" },
        { verb: "delete", resource: "configmaps", subresource: undefined, namespace: "ns1", name: "x", group: "", user: "bob" },
      ]);
    } finally {
      await h.close();
    }
  });

  it("runs mutating then validating admission; either can reject", async () => {
    const order: string[] = [];
    const h = await startHarness({
      admission: {
        mutating: [
          {
            name: "label",
            admit: async (a) => {
              order.push(`mutate ${a.operation}`);
              if (a.object) a.object.metadata.labels = { ...a.object.metadata.labels, admitted: "yes" };
            },
          },
        ],
        validating: [
          {
            name: "deny-bad",
            validate: async (a) => {
              order.push(`validate ${a.operation}`);
              if (a.object?.metadata.name === "bad") throw errors.forbidden({ group: "", resource: "configmaps" }, "bad", "denied by deny-bad");
              if (a.operation === "UPDATE" && a.oldObject === undefined) throw errors.internal("no old object");
            },
          },
        ],
      },
    });
    try {
      let r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: CM });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json().metadata.labels.admitted, "yes");
      r = await request(h.url, "POST", "/api/v1/namespaces/default/configmaps", { body: { ...CM, metadata: { name: "bad" } } });
      assert.equal(r.status, 403, r.text);
      assert.match(r.json().message, /denied by deny-bad/);
      r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/a", { body: { metadata: { labels: { admitted: null, x: "1" } } }, headers: { "content-type": "application/merge-patch+json" } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json().metadata.labels, { admitted: "yes", x: "1" });
      assert.deepEqual(order, ["mutate CREATE", "validate CREATE", "mutate CREATE", "validate CREATE", "mutate UPDATE", "validate UPDATE"]);
    } finally {
      await h.close();
    }
  });
});

describe("review resources", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      authenticator: { authenticate: async () => ({ username: "ann", uid: "u1", groups: ["devs"] }) },
      authorizer: { authorize: async (a) => ({ allowed: a.verb === "get" || a.path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" || a.resource === "selfsubjectaccessreviews" || a.resource === "selfsubjectrulesreviews" || a.resource === "selfsubjectreviews", reason: "only get" }) },
    });
  });
  after(() => h.close());

  it("answers selfsubjectaccessreviews from the authorizer", async () => {
    const body = (verb: string) => ({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb, resource: "pods", namespace: "default" } } });
    let r = await request(h.url, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { body: body("get") });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json().status.allowed, true);
    r = await request(h.url, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { body: body("delete") });
    assert.deepEqual(r.json().status, { allowed: false, reason: "only get" });
    r = await request(h.url, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: {} } });
    assert.equal(r.status, 422);
  });

  it("answers selfsubjectreviews with the caller and rules reviews as incomplete without rulesFor", async () => {
    let r = await request(h.url, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json().status.userInfo, { username: "ann", uid: "u1", groups: ["devs"] });
    r = await request(h.url, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json().status.incomplete, true);
    const groups = (await request(h.url, "GET", "/apis")).json();
    assert.ok(groups.groups.some((g: { name: string }) => g.name === "authentication.k8s.io"));
  });
});

describe("hostile paths", () => {
  it("refuses names and namespaces that could not be object names, on every request", async () => {
    const h = await startHarness();
    try {
      for (const path of ["/api/v1/namespaces/default/configmaps/a%2Fb", "/api/v1/namespaces/a%25b/configmaps", "/api/v1/namespaces/default/configmaps/x%01y"]) {
        for (let i = 0; i < 2; i++) {
          const r = await request(h.url, "GET", path);
          assert.equal(r.status, 400, `${path}: ${r.text}`);
          assert.match(r.json().message, /in the request path: may not be/);
        }
      }
      assert.equal((await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/fine-name")).status, 404);
    } finally {
      await h.close();
    }
  });
});

describe("hostile bodies", () => {
  it("refuses deeply nested JSON with a 400 instead of overflowing the stack", async () => {
    const h = await startHarness();
    try {
      const body = '{"a":' + "[".repeat(5000) + "]".repeat(5000) + "}";
      const r = await request(h.url, "PATCH", "/api/v1/namespaces/default/configmaps/x", { body, headers: { "content-type": "application/merge-patch+json" } });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json().message, /nests deeper than 512 levels/);
    } finally {
      await h.close();
    }
  });
});

describe("bodies sent in pieces", () => {
  it("decodes a body that arrives in several chunks, and keeps serving after a client leaves mid-body", async () => {
    const h = await startHarness();
    const port = Number(new URL(h.url).port);
    try {
      const body = JSON.stringify({ ...CM, metadata: { name: "pieces" }, data: { k: "v".repeat(100_000) } });
      const answer = await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1");
        let got = "";
        s.on("data", (d) => (got += d));
        s.on("end", () => resolve(got));
        s.on("error", reject);
        s.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
        let at = 0;
        const next = (): void => {
          s.write(body.slice(at, at + 7_000));
          at += 7_000;
          if (at < body.length) setTimeout(next, 2);
        };
        next();
      });
      assert.match(answer, /^HTTP\/1.1 201 /);
      const r = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/pieces");
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().data.k.length, 100_000);
      // A client that sends half its body and leaves: the server answers the next request.
      await new Promise<void>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":"v1",`);
          setTimeout(() => s.destroy(), 50);
        });
        s.on("close", () => resolve());
        s.on("error", () => {});
      });
      const after = await request(h.url, "GET", "/api/v1/namespaces/default/configmaps/pieces");
      assert.equal(after.status, 200, after.text);
    } finally {
      await h.close();
    }
  });
});

describe("path segments", () => {
  it("refuses control characters and slashes in namespaces and names with a 400", async () => {
    const h = await startHarness();
    try {
      for (const p of ["/api/v1/namespaces/%00/configmaps", "/api/v1/namespaces/default/configmaps/a%2Fb", "/api/v1/namespaces/default/configmaps/.."]) {
        const r = await request(h.url, "POST", p, { body: CM });
        assert.ok(r.status === 400 || r.status === 404 || r.status === 405, `${p} -> ${r.status}`);
        assert.equal(r.json().kind, "Status");
      }
      const r = await request(h.url, "GET", "/api/v1/namespaces/%01x/configmaps");
      assert.equal(r.status, 400);
    } finally {
      await h.close();
    }
  });
});

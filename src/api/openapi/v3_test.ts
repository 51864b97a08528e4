import { test } from "node:test";
import assert from "node:assert/strict";
import type { GroupVersionKind } from "../../machinery/openapi_schema.js";
import { loadSchemas } from "./schemas.js";
import { documentHash, openapiV3Document, openapiV3Index, openapiV3Path, type OpenAPIResource, type OpenAPIV3Document } from "./v3.js";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const DEPLOYMENTS: OpenAPIResource = { kind: "Deployment", resource: "deployments", namespaced: true, subresources: ["status", "scale"], verbs: ALL_VERBS };
const APPS_V1 = { group: "apps", version: "v1" };

/** kubectl's check (cli-runtime query_param_verifier_v3): the first patch operation whose GVK matches decides. */
function supportsFieldValidation(doc: OpenAPIV3Document, gvk: GroupVersionKind): boolean | "no path" {
  for (const item of Object.values(doc.paths)) {
    const op = item.patch;
    const g = op?.["x-kubernetes-group-version-kind"];
    if (!op || !g || g.group !== gvk.group || g.version !== gvk.version || g.kind !== gvk.kind) continue;
    return (op.parameters ?? []).some((p) => p.name === "fieldValidation" && p.in === "query");
  }
  return "no path";
}

test("apps/v1 document: patch operations of Deployment carry fieldValidation, GVK and the patch content types", () => {
  const doc = openapiV3Document(APPS_V1, [DEPLOYMENTS]);
  assert.equal(doc.openapi, "3.0.0");
  const item = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  assert.ok(item?.patch);
  assert.deepEqual(item.patch["x-kubernetes-group-version-kind"], { group: "apps", version: "v1", kind: "Deployment" });
  assert.equal(item.patch["x-kubernetes-action"], "patch");
  assert.deepEqual(item.patch.parameters?.map((p) => p.name), ["dryRun", "fieldManager", "fieldValidation", "force"]);
  assert.deepEqual(Object.keys(item.patch.requestBody?.content ?? {}).sort(), [
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
  ]);
  assert.equal(supportsFieldValidation(doc, { group: "apps", version: "v1", kind: "Deployment" }), true);
  assert.equal(supportsFieldValidation(doc, { group: "autoscaling", version: "v1", kind: "Scale" }), true);
  assert.deepEqual(item.parameters?.map((p) => p.name), ["name", "namespace", "pretty"]);
});

test("apps/v1 document: collection, item and subresource operations with their actions", () => {
  const doc = openapiV3Document(APPS_V1, [DEPLOYMENTS]);
  const actions = (path: string) =>
    Object.fromEntries(Object.entries(doc.paths[path] ?? {}).filter(([k]) => k !== "parameters").map(([k, op]) => [k, (op as { "x-kubernetes-action": string })["x-kubernetes-action"]]));
  assert.deepEqual(actions("/apis/apps/v1/namespaces/{namespace}/deployments"), { get: "list", post: "post", delete: "deletecollection" });
  assert.deepEqual(actions("/apis/apps/v1/namespaces/{namespace}/deployments/{name}"), { get: "get", put: "put", patch: "patch", delete: "delete" });
  assert.deepEqual(actions("/apis/apps/v1/deployments"), { get: "list" });
  assert.deepEqual(actions("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"), { get: "get", put: "put", patch: "patch" });
  const scale = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
  assert.deepEqual(scale?.get?.["x-kubernetes-group-version-kind"], { group: "autoscaling", version: "v1", kind: "Scale" });
  assert.equal(doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]?.patch?.operationId, "patchAppsV1NamespacedDeployment");
  assert.equal(doc.paths["/apis/apps/v1/deployments"]?.get?.operationId, "listAppsV1DeploymentForAllNamespaces");
});

test("components hold the transitive closure of referenced schemas, with the meta types", () => {
  const doc = openapiV3Document(APPS_V1, [DEPLOYMENTS]);
  const schemas = doc.components.schemas;
  for (const name of [
    "io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.DeploymentList", "io.k8s.api.core.v1.PodSpec", "io.k8s.api.autoscaling.v1.Scale",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta", "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
  ]) assert.ok(schemas[name], `missing ${name}`);
  assert.equal(schemas["io.k8s.api.batch.v1.JobSpec"], undefined, "unrelated kinds stay out");
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(schemas[m[1]!], `unresolved ${m[1]}`);
});

test("every served group-version document is valid JSON under a few MB", () => {
  const byGv = new Map<string, OpenAPIResource[]>();
  for (const [name, s] of Object.entries(loadSchemas())) {
    const gvk = s["x-kubernetes-group-version-kind"]?.[0];
    if (!gvk || s["x-kubernetes-group-version-kind"]!.length > 1 || !s.properties?.metadata || name.endsWith("List")) continue;
    if (!name.startsWith("io.k8s.api.") && !name.startsWith("io.k8s.apiextensions-apiserver.")) continue;
    const key = gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`;
    const list = byGv.get(key) ?? [];
    list.push({ kind: gvk.kind, resource: `${gvk.kind.toLowerCase()}s`, namespaced: true, subresources: ["status"], verbs: ALL_VERBS });
    byGv.set(key, list);
  }
  assert.ok(byGv.size > 20, `only ${byGv.size} group-versions`);
  for (const [gv, resources] of byGv) {
    const [group, version] = gv.includes("/") ? gv.split("/") : ["", gv];
    const text = JSON.stringify(openapiV3Document({ group: group!, version: version! }, resources));
    assert.ok(text.length < 3_000_000, `${gv}: ${text.length} bytes`);
    assert.doesNotThrow(() => JSON.parse(text));
  }
});

test("index lists group-versions by path with a hash that follows the document", () => {
  const doc = openapiV3Document(APPS_V1, [DEPLOYMENTS]);
  const index = openapiV3Index(["v1", "apps/v1"], { documents: { "apps/v1": doc } });
  assert.deepEqual(Object.keys(index.paths).sort(), ["api/v1", "apis/apps/v1"]);
  assert.equal(index.paths["apis/apps/v1"]?.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${documentHash(doc)}`);
  assert.match(index.paths["api/v1"]?.serverRelativeURL ?? "", /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  assert.deepEqual(openapiV3Index(["v1"]), openapiV3Index(["v1"]), "stable");
  assert.equal(documentHash(openapiV3Document(APPS_V1, [DEPLOYMENTS])), documentHash(doc), "same resources, same hash");
  const more = openapiV3Document(APPS_V1, [DEPLOYMENTS, { ...DEPLOYMENTS, kind: "StatefulSet", resource: "statefulsets" }]);
  assert.notEqual(documentHash(more), documentHash(doc));
  assert.equal(openapiV3Path("v1"), "api/v1");
  assert.equal(openapiV3Path("rbac.authorization.k8s.io/v1"), "apis/rbac.authorization.k8s.io/v1");
});

test("core v1: pods with connect subresources, eviction and cluster-scoped nodes", () => {
  const doc = openapiV3Document({ group: "", version: "v1" }, [
    { kind: "Pod", resource: "pods", namespaced: true, subresources: ["status", "log", "exec", "eviction", "binding"], verbs: ALL_VERBS },
    { kind: "Node", resource: "nodes", namespaced: false, subresources: ["status", "proxy"], verbs: ALL_VERBS },
  ]);
  assert.equal(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"]?.post?.["x-kubernetes-action"], "connect");
  assert.deepEqual(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]?.post?.["x-kubernetes-group-version-kind"], {
    group: "policy", version: "v1", kind: "Eviction",
  });
  assert.ok(doc.components.schemas["io.k8s.api.policy.v1.Eviction"]);
  assert.ok(doc.paths["/api/v1/nodes/{name}"]?.patch);
  assert.equal(doc.paths["/api/v1/nodes/{name}"]?.patch?.operationId, "patchCoreV1Node");
  assert.equal(supportsFieldValidation(doc, { group: "", version: "v1", kind: "Pod" }), true);
  assert.equal(doc.paths["/api/v1/nodes"]?.get?.["x-kubernetes-action"], "list");
});

test("a custom resource gets a schema named by reversed group, its list, and no strategic merge patch", () => {
  const doc = openapiV3Document({ group: "stable.example.com", version: "v1" }, [{
    kind: "CronTab", resource: "crontabs", namespaced: true, subresources: [], verbs: ALL_VERBS,
    schema: { type: "object", properties: { spec: { type: "object", properties: { cronSpec: { type: "string" } } } } },
  }]);
  const s = doc.components.schemas["com.example.stable.v1.CronTab"];
  assert.ok(s);
  assert.deepEqual(s["x-kubernetes-group-version-kind"], [{ group: "stable.example.com", version: "v1", kind: "CronTab" }]);
  assert.ok(s.properties?.metadata && s.properties.spec);
  assert.ok(doc.components.schemas["com.example.stable.v1.CronTabList"]);
  const patch = doc.paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]?.patch;
  assert.ok(patch);
  assert.equal(patch.requestBody?.content["application/strategic-merge-patch+json"], undefined);
  assert.ok(patch.requestBody?.content["application/merge-patch+json"]);
});

test("a resource without the patch verb has no patch operation", () => {
  const doc = openapiV3Document({ group: "authorization.k8s.io", version: "v1" }, [
    { kind: "SelfSubjectAccessReview", resource: "selfsubjectaccessreviews", namespaced: false, subresources: [], verbs: ["create"] },
  ]);
  assert.deepEqual(Object.keys(doc.paths).sort(), ["/apis/authorization.k8s.io/v1/", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]);
  assert.ok(doc.paths["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]?.post);
});

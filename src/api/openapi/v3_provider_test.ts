import { test } from "node:test";
import assert from "node:assert/strict";
import { documentHash, type OpenAPIResource } from "./v3.js";
import { groupVersionOfPath, openapiV3Provider, type GroupVersionResources } from "./v3_provider.js";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
const res = (kind: string, resource: string): OpenAPIResource => ({ kind, resource, namespaced: true, subresources: [], verbs: VERBS });

test("provider serves the index and documents of the group-versions served right now", () => {
  const served: GroupVersionResources[] = [
    { group: "", version: "v1", resources: [res("ConfigMap", "configmaps")] },
    { group: "apps", version: "v1", resources: [res("Deployment", "deployments")] },
  ];
  const p = openapiV3Provider(() => served);
  assert.deepEqual(Object.keys(p.index().paths).sort(), ["api/v1", "apis/apps/v1"]);
  const apps = p.document("apis/apps/v1");
  assert.ok(apps?.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]);
  assert.equal(p.document("/openapi/v3/apis/apps/v1?hash=abc"), apps);
  assert.equal(p.index().paths["apis/apps/v1"]?.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${documentHash(apps)}`);
  assert.equal(p.hash("apis/apps/v1"), documentHash(apps));
  assert.equal(p.document("apis/batch/v1"), undefined);

  const before = p.hash("apis/apps/v1");
  served[1]!.resources.push(res("StatefulSet", "statefulsets"));
  assert.notEqual(p.hash("apis/apps/v1"), before, "a new resource changes the hash");
  assert.ok(p.document("apis/apps/v1")?.paths["/apis/apps/v1/namespaces/{namespace}/statefulsets"]);
});

test("group-version of an index path", () => {
  assert.equal(groupVersionOfPath("api/v1"), "v1");
  assert.equal(groupVersionOfPath("/openapi/v3/api/v1?hash=1"), "v1");
  assert.equal(groupVersionOfPath("apis/rbac.authorization.k8s.io/v1/"), "rbac.authorization.k8s.io/v1");
  assert.equal(groupVersionOfPath("apis/apps"), undefined);
  assert.equal(groupVersionOfPath("version"), undefined);
});

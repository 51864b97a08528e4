import { test } from "node:test";
import assert from "node:assert/strict";
import { mapResolver } from "../../machinery/openapi_schema.js";
import { schemaResolver } from "./schemas.js";
import { findDuplicateFields, findUnknownFields } from "./unknown_fields.js";

const DEPLOYMENT = "io.k8s.api.apps.v1.Deployment";

function deployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" }, annotations: { "example.com/x": "y" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{
            name: "nginx",
            image: "nginx:1.27",
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: 0.1 } },
            env: [{ name: "A", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
          }],
        },
      },
    },
    status: { conditions: [{ type: "Available", status: "True" }] },
  };
}

test("a valid Deployment has no unknown fields", () => {
  assert.deepEqual(findUnknownFields(deployment(), DEPLOYMENT, schemaResolver()), []);
});

test("typos are reported with Kubernetes-style paths, in document order", () => {
  const d = deployment();
  const spec = d.spec as Record<string, unknown>;
  spec.replicaz = 3;
  const podSpec = (spec.template as { spec: { containers: Record<string, unknown>[] } }).spec;
  podSpec.containers[0]!.imagePullPolice = "Always";
  (podSpec.containers[0]!.ports as Record<string, unknown>[])[0]!.hostport = 8080;
  (d.metadata as Record<string, unknown>).labelz = {};
  assert.deepEqual(findUnknownFields(d, DEPLOYMENT, schemaResolver()), [
    "metadata.labelz",
    "spec.template.spec.containers[0].ports[0].hostport",
    "spec.template.spec.containers[0].imagePullPolice",
    "spec.replicaz",
  ]);
});

test("the schema may be named by $ref; an unknown schema is an error", () => {
  const obj = { apiVersion: "v1", kind: "ConfigMap", data: { a: "b" }, dataz: {} };
  assert.deepEqual(findUnknownFields(obj, "#/components/schemas/io.k8s.api.core.v1.ConfigMap", schemaResolver()), ["dataz"]);
  assert.throws(() => findUnknownFields(obj, "io.k8s.api.core.v1.NoSuchThing", schemaResolver()), /NoSuchThing/);
});

test("free-form values (RawExtension, FieldsV1, preserve-unknown-fields) accept anything", () => {
  const rev = { apiVersion: "apps/v1", kind: "ControllerRevision", revision: 1, data: { spec: { anything: { goes: true } } } };
  assert.deepEqual(findUnknownFields(rev, "io.k8s.api.apps.v1.ControllerRevision", schemaResolver()), []);
  const managed = { metadata: { managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": { "f:replicas": {} } } }] } };
  assert.deepEqual(findUnknownFields(managed, DEPLOYMENT, schemaResolver()), []);
  const r = mapResolver({
    Root: { type: "object", properties: { known: { type: "string" }, free: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
  });
  assert.deepEqual(findUnknownFields({ known: "x", free: { a: 1 }, other: 2 }, "Root", r), ["other"]);
});

test("values of the wrong type are left to validation, not reported as unknown", () => {
  const d = deployment();
  (d.spec as Record<string, unknown>).template = "not an object";
  assert.deepEqual(findUnknownFields(d, DEPLOYMENT, schemaResolver()), []);
});

test("duplicate JSON keys are found at any depth", () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"a":2}'), ["a"]);
  assert.deepEqual(
    findDuplicateFields('{"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a","image":"x","name":"b"}]}},"replicas":2},"kind":"D"}'),
    ["spec.template.spec.containers[0].name", "spec.replicas"],
  );
  assert.deepEqual(findDuplicateFields('{"a":{"b":1},"c":{"b":2},"s":"\\"a\\":1,\\"a\\"","n":[1,-2.5e3,true,null]}'), []);
  assert.deepEqual(findDuplicateFields('{"\\u0061":1,"a":2}'), ["a"], "keys compare after unescaping");
  assert.deepEqual(findDuplicateFields('{"a":1,"a"'), [], "invalid JSON is for the parser to report");
  assert.deepEqual(findDuplicateFields("  [ ]  "), []);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { derefSchema, type OpenAPISchema } from "../../machinery/openapi_schema.js";
import { loadSchemas, schemaResolver } from "./schemas.js";

const REF = "#/components/schemas/";

function prop(schema: string, ...path: string[]): OpenAPISchema {
  const resolver = schemaResolver();
  let cur: OpenAPISchema | undefined = resolver.resolve(schema);
  for (const p of path) {
    const s = derefSchema(cur, resolver);
    cur = p === "[]" ? s?.items : s?.properties?.[p];
    assert.ok(cur, `${schema}: no ${path.join(".")} (stuck at ${p})`);
  }
  return cur!;
}

test("Deployment is named like Kubernetes names it and carries its group-version-kind", () => {
  const d = loadSchemas()["io.k8s.api.apps.v1.Deployment"];
  assert.ok(d);
  assert.deepEqual(d["x-kubernetes-group-version-kind"], [{ group: "apps", version: "v1", kind: "Deployment" }]);
  assert.equal(d.type, "object");
  assert.match(d.description ?? "", /declarative updates for Pods and ReplicaSets/);
  assert.deepEqual(prop("io.k8s.api.apps.v1.Deployment", "spec").allOf, [{ $ref: `${REF}io.k8s.api.apps.v1.DeploymentSpec` }]);
  assert.deepEqual(loadSchemas()["io.k8s.api.apps.v1.DeploymentSpec"]?.required, ["selector", "template"]);
  assert.deepEqual(schemaResolver().forKind({ group: "", version: "v1", kind: "Pod" }), "io.k8s.api.core.v1.Pod");
});

test("core and meta kinds get their group-version-kind from the declarations", () => {
  const s = loadSchemas();
  assert.deepEqual(s["io.k8s.api.core.v1.ConfigMap"]?.["x-kubernetes-group-version-kind"], [{ group: "", version: "v1", kind: "ConfigMap" }]);
  assert.deepEqual(s["io.k8s.api.rbac.v1.ClusterRole"]?.["x-kubernetes-group-version-kind"], [
    { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole" },
  ]);
  assert.deepEqual(s["io.k8s.apimachinery.pkg.apis.meta.v1.Status"]?.["x-kubernetes-group-version-kind"], [{ group: "", version: "v1", kind: "Status" }]);
  const del = s["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]?.["x-kubernetes-group-version-kind"] ?? [];
  assert.ok(del.some((g) => g.group === "apps" && g.version === "v1"));
  assert.ok(del.some((g) => g.group === "" && g.version === "v1"));
  assert.equal(s["io.k8s.api.core.v1.PodSpec"]?.["x-kubernetes-group-version-kind"], undefined);
});

test("PodSpec.containers merges by name; Container ports and env carry their merge keys", () => {
  const containers = prop("io.k8s.api.core.v1.PodSpec", "containers");
  assert.equal(containers["x-kubernetes-patch-merge-key"], "name");
  assert.equal(containers["x-kubernetes-patch-strategy"], "merge");
  assert.equal(containers["x-kubernetes-list-type"], "map");
  assert.deepEqual(containers["x-kubernetes-list-map-keys"], ["name"]);
  assert.equal(prop("io.k8s.api.core.v1.PodSpec", "volumes")["x-kubernetes-patch-strategy"], "merge,retainKeys");
  assert.equal(prop("io.k8s.api.core.v1.Container", "ports")["x-kubernetes-patch-merge-key"], "containerPort");
  assert.deepEqual(prop("io.k8s.api.core.v1.Container", "ports")["x-kubernetes-list-map-keys"], ["containerPort", "protocol"]);
  assert.equal(prop("io.k8s.api.core.v1.Container", "env")["x-kubernetes-patch-merge-key"], "name");
  assert.equal(prop("io.k8s.api.core.v1.Container", "volumeMounts")["x-kubernetes-patch-merge-key"], "mountPath");
  assert.equal(prop("io.k8s.api.core.v1.ServiceSpec", "ports")["x-kubernetes-patch-merge-key"], "port");
  assert.equal(prop("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences")["x-kubernetes-patch-merge-key"], "uid");
  assert.equal(prop("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers")["x-kubernetes-patch-strategy"], "merge");
  assert.equal(prop("io.k8s.api.apps.v1.DeploymentStatus", "conditions")["x-kubernetes-patch-merge-key"], "type");
  assert.equal(prop("io.k8s.api.apps.v1.DeploymentSpec", "strategy")["x-kubernetes-patch-strategy"], "retainKeys");
  // The description stays beside the extensions.
  assert.match(prop("io.k8s.api.core.v1.PodSpec", "containers").description ?? "", /List of containers/);
});

test("descriptions come from the declarations' doc comments, paragraphs kept", () => {
  const s = loadSchemas();
  const withDescription = Object.values(s).filter((x) => x.description).length;
  assert.ok(withDescription / Object.keys(s).length > 0.95, `${withDescription} of ${Object.keys(s).length} schemas described`);
  assert.match(prop("io.k8s.api.apps.v1.DeploymentSpec", "replicas").description ?? "", /Number of desired pods/);
  assert.match(s["io.k8s.apimachinery.pkg.api.resource.Quantity"]?.description ?? "", /fixed-point representation of a number\.[^]*\n\nThe serialization format is:/);
  assert.doesNotMatch(s["io.k8s.apimachinery.pkg.api.resource.Quantity"]?.description ?? "", /^\s*\*/m);
});

test("special types: Time, Quantity, IntOrString, integer formats, maps", () => {
  const s = loadSchemas();
  assert.deepEqual(
    { type: s["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]?.type, format: s["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]?.format },
    { type: "string", format: "date-time" },
  );
  assert.equal(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]?.format, "int-or-string");
  assert.equal(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]?.["x-kubernetes-int-or-string"], true);
  assert.equal(s["io.k8s.apimachinery.pkg.api.resource.Quantity"]?.["x-kubernetes-int-or-string"], true);
  // Either JSON type is valid, so neither names a `type` (kubectl explain then shows <IntOrString>, <Quantity>).
  assert.equal(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]?.type, undefined);
  assert.equal(s["io.k8s.apimachinery.pkg.api.resource.Quantity"]?.type, undefined);
  assert.deepEqual(prop("io.k8s.api.core.v1.ServicePort", "targetPort").allOf, [{ $ref: `${REF}io.k8s.apimachinery.pkg.util.intstr.IntOrString` }]);
  assert.equal(prop("io.k8s.api.apps.v1.DeploymentSpec", "replicas").format, "int32");
  assert.equal(prop("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "generation").format, "int64");
  assert.equal(prop("io.k8s.api.core.v1.PodSpec", "terminationGracePeriodSeconds").format, "int64");
  assert.equal(prop("io.k8s.api.certificates.v1.CertificateSigningRequestSpec", "expirationSeconds").format, "int32");
  const labels = prop("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels");
  assert.deepEqual({ type: labels.type, additionalProperties: labels.additionalProperties }, { type: "object", additionalProperties: { type: "string" } });
  const limits = prop("io.k8s.api.core.v1.ResourceRequirements", "limits");
  assert.deepEqual(limits.additionalProperties, { $ref: `${REF}io.k8s.apimachinery.pkg.api.resource.Quantity` });
});

test("every $ref in the generated schemas resolves", () => {
  const s = loadSchemas();
  const missing: string[] = [];
  let refs = 0;
  const visit = (v: unknown, where: string): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, where));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        // JSONSchemaProps has a property named "$ref": only string values are references.
        if (k === "$ref" && typeof x === "string") {
          refs++;
          if (!x.startsWith(REF) || !s[x.slice(REF.length)]) missing.push(`${where}: ${x}`);
        } else visit(x, where);
      }
    }
  };
  for (const [name, schema] of Object.entries(s)) visit(schema, name);
  assert.deepEqual(missing, []);
  assert.ok(refs > 900, `only ${refs} refs`);
  assert.ok(Object.keys(s).length > 500, `only ${Object.keys(s).length} schemas`);
});

test("loadSchemas caches", () => {
  assert.equal(loadSchemas(), loadSchemas());
  assert.equal(schemaResolver(), schemaResolver());
});

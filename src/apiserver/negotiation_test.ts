import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregatedDiscoveryVersion, bodyEncoding, negotiate, parseMediaTypes } from "./negotiation.js";
import { warningHeader } from "./responses.js";

const ALL = ["Table", "PartialObjectMetadata", "PartialObjectMetadataList"] as const;

describe("negotiation", () => {
  it("picks kubectl's Table preference and falls back in order", () => {
    const kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    assert.deepEqual(negotiate(kubectl, ALL), { format: "json", transform: "Table", transformVersion: "v1" });
    assert.deepEqual(negotiate(kubectl, []), { format: "json" });
    assert.deepEqual(negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io", ALL), { format: "json", transform: "Table", transformVersion: "v1beta1" });
    assert.deepEqual(negotiate("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", ALL), { format: "json", transform: "Table", transformVersion: "v1" });
  });

  it("serves YAML, honours q values, defaults to JSON", () => {
    assert.deepEqual(negotiate("application/yaml"), { format: "yaml" });
    assert.deepEqual(negotiate("application/json;q=0.5, application/yaml"), { format: "yaml" });
    assert.deepEqual(negotiate(undefined), { format: "json" });
    assert.deepEqual(negotiate("text/html"), { format: "json" });
    assert.equal(parseMediaTypes("a/b;q=0, c/d").length, 1);
  });

  it("detects aggregated discovery requests", () => {
    assert.equal(aggregatedDiscoveryVersion("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"), "v2");
    assert.equal(aggregatedDiscoveryVersion("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"), "v2beta1");
    assert.equal(aggregatedDiscoveryVersion("application/json"), undefined);
    assert.equal(aggregatedDiscoveryVersion("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json"), undefined);
  });

  it("maps body content types", () => {
    assert.equal(bodyEncoding(undefined), "json");
    assert.equal(bodyEncoding("application/json; charset=utf-8"), "json");
    assert.equal(bodyEncoding("application/strategic-merge-patch+json"), "strategic-merge-patch");
    assert.equal(bodyEncoding("application/apply-patch+yaml"), "apply-patch");
    assert.equal(bodyEncoding("application/vnd.kubernetes.protobuf"), "protobuf");
    assert.equal(bodyEncoding("text/plain"), "unknown");
  });

  it("formats Warning headers as Kubernetes does", () => {
    assert.equal(warningHeader('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
  });
});

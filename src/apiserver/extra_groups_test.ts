import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { errors } from "../machinery/errors.js";
import type { ExtraGroup, ExtraGroupRequest } from "./extra_groups.js";
import { request, startHarness, type Harness } from "./testing/harness.js";

/** A read-only group answering what it was asked, so the test sees how the server parsed each path. */
function echoGroup(seen: ExtraGroupRequest[]): ExtraGroup {
  return {
    group: "metrics.k8s.io",
    versions: ["v1beta1"],
    resources: [
      { resource: "nodes", kind: "NodeMetrics", singular: "", namespaced: false },
      { resource: "pods", kind: "PodMetrics", singular: "", namespaced: true },
    ],
    get: async (req) => {
      seen.push(req);
      if (req.name === "missing") throw errors.notFound({ group: "metrics.k8s.io", resource: req.resource }, req.name);
      return { kind: req.resource === "pods" ? "PodMetrics" : "NodeMetrics", apiVersion: "metrics.k8s.io/v1beta1", metadata: { name: req.name, namespace: req.namespace } };
    },
    list: async (req) => {
      seen.push(req);
      return { kind: "PodMetricsList", apiVersion: "metrics.k8s.io/v1beta1", metadata: {}, items: [] };
    },
  };
}

describe("extra (aggregated-style) groups", () => {
  let h: Harness;
  const seen: ExtraGroupRequest[] = [];
  before(async () => {
    h = await startHarness({ extraGroups: [echoGroup(seen)] });
  });
  after(() => h.close());

  it("are listed by legacy and aggregated discovery", async () => {
    const groups = (await request(h.url, "GET", "/apis")).json();
    const g = groups.groups.find((x: { name: string }) => x.name === "metrics.k8s.io");
    assert.deepEqual(g.preferredVersion, { groupVersion: "metrics.k8s.io/v1beta1", version: "v1beta1" });
    const doc = (await request(h.url, "GET", "/apis/metrics.k8s.io")).json();
    assert.equal(doc.kind, "APIGroup");
    const list = (await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1")).json();
    assert.deepEqual(
      list.resources.map((r: { name: string; namespaced: boolean; verbs: string[] }) => [r.name, r.namespaced, r.verbs.join(",")]),
      [["nodes", false, "get,list"], ["pods", true, "get,list"]],
    );
    const agg = await request(h.url, "GET", "/apis", { headers: { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" } });
    const item = agg.json().items.find((x: { metadata: { name: string } }) => x.metadata.name === "metrics.k8s.io");
    assert.equal(item.versions[0].resources.find((r: { resource: string }) => r.resource === "pods").responseKind.kind, "PodMetrics");
  });

  it("hands gets and lists to the provider with namespace, name and selectors", async () => {
    let r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods?labelSelector=app%3Dx", { headers: { accept: "application/vnd.kubernetes.protobuf,application/json" } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().kind, "PodMetricsList");
    assert.deepEqual(seen.at(-1), { version: "v1beta1", resource: "pods", namespace: "web", name: undefined, labelSelector: "app=x", fieldSelector: undefined });
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/pods");
    assert.equal(r.status, 200, r.text);
    assert.equal(seen.at(-1)?.namespace, undefined);
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1");
    assert.equal(r.json().metadata.name, "n1");
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods/missing");
    assert.equal(r.status, 404);
    assert.equal(r.json().reason, "NotFound");
  });

  it("refuses writes, watches and unknown resources", async () => {
    let r = await request(h.url, "POST", "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods", { body: {} });
    assert.equal(r.status, 405, r.text);
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/pods?watch=true");
    assert.equal(r.status, 405, r.text);
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/services");
    assert.equal(r.status, 404, r.text);
    r = await request(h.url, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/web/nodes/x");
    assert.equal(r.status, 404, r.text);
  });
});

describe("extra groups with a serve hook (custom.metrics.k8s.io's paths)", () => {
  let h: Harness;
  const seen: Array<ExtraGroupRequest & { subresource?: string; query: URLSearchParams }> = [];
  const metrics: string[] = [];
  before(async () => {
    const group: ExtraGroup = {
      group: "custom.metrics.k8s.io",
      versions: ["v1beta2", "v1beta1"],
      // Read again for every discovery request.
      get resources() {
        return metrics.map((m) => ({ resource: `pods/${m}`, kind: "MetricValueList", singular: "", namespaced: true }));
      },
      get: () => Promise.reject(errors.pathNotFound()),
      list: () => Promise.reject(errors.pathNotFound()),
      serve: async (req) => {
        seen.push(req);
        if (req.subresource === "missing") throw errors.notFound({ group: "custom.metrics.k8s.io", resource: req.resource }, req.subresource);
        return { kind: "MetricValueList", apiVersion: `custom.metrics.k8s.io/${req.version}`, metadata: {}, items: [] };
      },
    };
    h = await startHarness({ extraGroups: [group] });
  });
  after(() => h.close());

  it("hands every GET over with its subresource and query; discovery follows what the group lists now", async () => {
    let r = await request(h.url, "GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/pods/*/rps?labelSelector=app%3Dx&metricLabelSelector=code%3D200");
    assert.equal(r.status, 200, r.text);
    const last = seen.at(-1)!;
    assert.deepEqual([last.version, last.namespace, last.resource, last.name, last.subresource, last.labelSelector, last.query.get("metricLabelSelector")], ["v1beta2", "web", "pods", "*", "rps", "app=x", "code=200"]);
    r = await request(h.url, "GET", "/apis/custom.metrics.k8s.io/v1beta1/namespaces/web/metrics/rps");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([seen.at(-1)!.resource, seen.at(-1)!.name, seen.at(-1)!.subresource], ["metrics", "rps", undefined]);
    r = await request(h.url, "GET", "/apis/custom.metrics.k8s.io/v1beta2/nodes/n1/missing");
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json().reason, "NotFound");
    r = await request(h.url, "GET", "/apis/custom.metrics.k8s.io/v1alpha9/nodes/n1/rps");
    assert.equal(r.status, 404, r.text);
    r = await request(h.url, "DELETE", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/pods/a/rps");
    assert.equal(r.status, 405, r.text);

    assert.equal((await request(h.url, "GET", "/apis")).json().groups.some((g: { name: string }) => g.name === "custom.metrics.k8s.io"), false, "nothing listed yet");
    metrics.push("rps");
    const groups = (await request(h.url, "GET", "/apis")).json();
    assert.ok(groups.groups.some((g: { name: string }) => g.name === "custom.metrics.k8s.io"));
    const list = (await request(h.url, "GET", "/apis/custom.metrics.k8s.io/v1beta2")).json();
    assert.deepEqual(list.resources.map((x: { name: string; kind: string }) => [x.name, x.kind]), [["pods/rps", "MetricValueList"]]);
  });
});

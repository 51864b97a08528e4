import { test } from "node:test";
import assert from "node:assert/strict";
import type { StoredObject } from "../../api/object.js";
import { endpointSlices } from "./endpoint_slices.js";

const slice = (portName: string): StoredObject =>
  ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true } }],
    ports: [{ name: portName, port: 8080, protocol: "TCP" }],
  }) as StoredObject;

test("slice port names follow service port names: a long DNS-1123 label is valid, uppercase is not", () => {
  assert.deepEqual(endpointSlices.strategy.validate(slice("metrics-and-health-check")), []);
  assert.ok(endpointSlices.strategy.validate(slice("Metrics")).some((e) => e.field === "ports[0].name"));
});

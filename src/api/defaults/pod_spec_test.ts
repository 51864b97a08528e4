import { test } from "node:test";
import assert from "node:assert/strict";
import type { PodSpec } from "kubernetes-types/core/v1.js";
import { defaultPodSpec, defaultPullPolicy } from "./pod_spec.js";
import { defaultServiceSpec } from "./service.js";

test("image pull policy: Always for :latest or no tag, else IfNotPresent", () => {
  assert.equal(defaultPullPolicy("nginx"), "Always");
  assert.equal(defaultPullPolicy("nginx:latest"), "Always");
  assert.equal(defaultPullPolicy("registry.local:5000/nginx"), "Always");
  assert.equal(defaultPullPolicy("registry.local:5000/nginx:1.25"), "IfNotPresent");
  assert.equal(defaultPullPolicy("nginx@sha256:0123"), "IfNotPresent");
});

test("defaults never overwrite what the user set", () => {
  const spec: PodSpec = { restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [{ name: "a", image: "x", imagePullPolicy: "Never" }] };
  defaultPodSpec(spec);
  assert.equal(spec.restartPolicy, "Never");
  assert.equal(spec.terminationGracePeriodSeconds, 0);
  assert.equal(spec.containers[0]!.imagePullPolicy, "Never");
});

test("host network pods publish container ports on the host", () => {
  const spec: PodSpec = { hostNetwork: true, containers: [{ name: "a", image: "x", ports: [{ containerPort: 9100 }] }] };
  defaultPodSpec(spec);
  assert.deepEqual(spec.containers[0]!.ports, [{ containerPort: 9100, protocol: "TCP", hostPort: 9100 }]);
});

test("service defaults by type", () => {
  const ext = { type: "ExternalName", externalName: "example.com" };
  defaultServiceSpec(ext);
  assert.equal((ext as { ipFamilies?: string[] }).ipFamilies, undefined);
  const affinity = { sessionAffinity: "ClientIP", ports: [{ port: 53, protocol: "UDP", targetPort: "dns" }] };
  defaultServiceSpec(affinity);
  assert.deepEqual((affinity as { sessionAffinityConfig?: unknown }).sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.equal(affinity.ports[0]!.targetPort, "dns");
});

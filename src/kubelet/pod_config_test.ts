import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { containerConfig, pullPolicy, sandboxConfig } from "./pod_config.js";
import { parseDuration } from "./runtime/simulated/script.js";

const pod: Pod = {
  metadata: { name: "p", namespace: "ns", uid: "u1", labels: { app: "x" }, annotations: { a: "b" } },
  spec: { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }], resources: { requests: { cpu: "250m" }, limits: { cpu: "500m", memory: "64Mi" } }, env: [{ name: "A", value: "1" }] }] },
};

describe("pod_config", () => {
  it("builds the sandbox config: identity labels, DNS, host ports, cgroup parent", () => {
    const s = sandboxConfig(pod, 2);
    assert.deepEqual(s.metadata, { name: "p", namespace: "ns", uid: "u1", attempt: 2 });
    assert.equal(s.labels["io.kubernetes.pod.uid"], "u1");
    assert.equal(s.labels.app, "x");
    assert.equal(s.annotations.a, "b");
    assert.deepEqual(s.dnsConfig, { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"] });
    assert.deepEqual(s.portMappings, [{ protocol: "TCP", containerPort: 80, hostPort: 8080, hostIp: undefined }]);
    assert.equal(s.linux?.cgroupParent, "/kubepods/podu1");
    assert.equal(sandboxConfig({ ...pod, spec: { ...pod.spec!, hostNetwork: true } }, 0).hostname, "");
  });

  it("translates resources as the kubelet does (shares from requests, CFS quota from limits)", () => {
    const c = containerConfig(pod, pod.spec!.containers[0]!, 3);
    assert.deepEqual(c.linux?.resources, { cpuShares: 256, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 * 1024 * 1024 });
    assert.deepEqual(c.metadata, { name: "c", attempt: 3 });
    assert.equal(c.labels["io.kubernetes.container.name"], "c");
    assert.deepEqual(c.envs, [{ key: "A", value: "1" }]);
  });

  it("passes resolved env and mounts, and expands $(VAR) in command and args against them", () => {
    const c = { name: "c", image: "busybox", command: ["sh", "-c", "echo $(MSG) $$(MSG)"], args: ["$(MSG)"], env: [{ name: "MSG", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] };
    const cfg = containerConfig(pod, c, 0, { envs: [{ key: "MSG", value: "p" }], mounts: [{ containerPath: "/data", hostPath: "/var/lib/x", readonly: true }] });
    assert.deepEqual(cfg.command, ["sh", "-c", "echo p $(MSG)"]);
    assert.deepEqual(cfg.args, ["p"]);
    assert.deepEqual(cfg.envs, [{ key: "MSG", value: "p" }]);
    assert.deepEqual(cfg.mounts, [{ containerPath: "/data", hostPath: "/var/lib/x", readonly: true }]);
  });

  it("defaults the pull policy from the tag", () => {
    assert.equal(pullPolicy({ name: "c", image: "nginx" }), "Always");
    assert.equal(pullPolicy({ name: "c", image: "nginx:latest" }), "Always");
    assert.equal(pullPolicy({ name: "c", image: "localhost:5000/nginx:1.27" }), "IfNotPresent");
    assert.equal(pullPolicy({ name: "c", image: "nginx:1.27", imagePullPolicy: "Never" }), "Never");
  });

  it("parses Go-style durations for the sim annotations", () => {
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("2"), 2000);
    assert.throws(() => parseDuration("5 parsecs"));
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { FakeObjectSource } from "../volumes/sources.js";
import { ConfigError } from "./field_ref.js";
import { expandCommand, resolveEnv, type EnvVar } from "./resolve.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function setup(): FakeObjectSource {
  const src = new FakeObjectSource();
  src.configMaps.set("ns/cfg", { metadata: { name: "cfg" }, data: { LEVEL: "debug", "bad=name": "x", mode: "fast" } });
  src.secrets.set("ns/creds", { metadata: { name: "creds" }, data: { password: b64("s3cret"), USER: b64("admin") } });
  src.serviceList.push(
    { metadata: { name: "kubernetes", namespace: "default" }, spec: { clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP" }] } },
    { metadata: { name: "web-db", namespace: "ns" }, spec: { clusterIP: "10.96.3.4", ports: [{ name: "sql", port: 5432 }] } },
    { metadata: { name: "headless", namespace: "ns" }, spec: { clusterIP: "None", ports: [{ port: 80 }] } },
  );
  return src;
}

const pod = (c: Container, spec: Partial<Pod["spec"]> = {}): Pod => ({
  metadata: { name: "p", namespace: "ns", uid: "u-1", labels: { app: "web" }, annotations: { note: "hi" } },
  spec: { nodeName: "node-a", serviceAccountName: "robot", containers: [c], ...spec },
});

const asMap = (envs: EnvVar[]): Record<string, string> => Object.fromEntries(envs.map((e) => [e.key, e.value]));
const facts = { podIP: "10.244.1.7", hostIP: "10.0.0.1" };

describe("container env resolution", () => {
  it("resolves values, references, the downward API and resources", async () => {
    const c: Container = {
      name: "app",
      resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { memory: "128Mi" } },
      env: [
        { name: "PLAIN", value: "v" },
        { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "cfg", key: "LEVEL" } } },
        { name: "PASS", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
        { name: "MAYBE", valueFrom: { configMapKeyRef: { name: "absent", key: "x", optional: true } } },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
        { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: "NOTE", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
        { name: "CPU_M", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
        { name: "CPU", valueFrom: { resourceFieldRef: { resource: "requests.cpu" } } },
        { name: "MEM_MI", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        { name: "CPU_LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "GREETING", value: "$(POD) in $(NS) at $(IP), $$(POD) stays, $(NOPE) too" },
      ],
    };
    const env = asMap(await resolveEnv(pod(c), c, { source: setup(), facts, allocatable: { cpu: "2", memory: "4Gi" } }));
    assert.equal(env.PLAIN, "v");
    assert.equal(env.LEVEL, "debug");
    assert.equal(env.PASS, "s3cret");
    assert.equal("MAYBE" in env, false);
    assert.deepEqual([env.POD, env.NS, env.UID, env.APP, env.NOTE, env.NODE, env.SA, env.IP, env.HOST], ["p", "ns", "u-1", "web", "hi", "node-a", "robot", "10.244.1.7", "10.0.0.1"]);
    assert.deepEqual([env.CPU_M, env.CPU, env.MEM_MI, env.CPU_LIMIT], ["250", "1", "128", "2"]);
    assert.equal(env.GREETING, "p in ns at 10.244.1.7, $(POD) stays, $(NOPE) too");
  });

  it("takes envFrom with a prefix, skips invalid names, and lets env override it", async () => {
    const c: Container = {
      name: "app",
      envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }, { secretRef: { name: "creds" } }, { configMapRef: { name: "absent", optional: true } }],
      env: [{ name: "USER", value: "me-not-$(USER)" }],
    };
    const env = asMap(await resolveEnv(pod(c), c, { source: setup(), facts }));
    assert.equal(env.CFG_LEVEL, "debug");
    assert.equal(env.CFG_mode, "fast");
    assert.equal("CFG_bad=name" in env, false);
    assert.equal(env.password, "s3cret");
    assert.equal(env.USER, "me-not-admin");
  });

  it("adds service links for the namespace and the master service", async () => {
    const c: Container = { name: "app", env: [{ name: "DB", value: "$(WEB_DB_SERVICE_HOST):$(WEB_DB_SERVICE_PORT)" }] };
    const env = asMap(await resolveEnv(pod(c), c, { source: setup(), facts }));
    assert.equal(env.DB, "10.96.3.4:5432");
    assert.equal(env.WEB_DB_SERVICE_PORT_SQL, "5432");
    assert.equal(env.WEB_DB_PORT, "tcp://10.96.3.4:5432");
    assert.equal(env.WEB_DB_PORT_5432_TCP_ADDR, "10.96.3.4");
    assert.equal(env.KUBERNETES_SERVICE_HOST, "10.96.0.1");
    assert.equal(env.KUBERNETES_SERVICE_PORT, "443");
    assert.equal("HEADLESS_SERVICE_HOST" in env, false);
    const off = asMap(await resolveEnv(pod(c, { enableServiceLinks: false }), c, { source: setup(), facts }));
    assert.equal("WEB_DB_SERVICE_HOST" in off, false);
    assert.equal(off.KUBERNETES_SERVICE_HOST, "10.96.0.1");
  });

  it("fails with a clear message for a missing required source or key", async () => {
    const cases: Array<[Container, RegExp]> = [
      [{ name: "a", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "absent", key: "k" } } }] }, /configmap "absent" not found/],
      [{ name: "a", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "nokey" } } }] }, /couldn't find key nokey in ConfigMap ns\/cfg/],
      [{ name: "a", env: [{ name: "X", valueFrom: { secretKeyRef: { name: "gone", key: "k" } } }] }, /secret "gone" not found/],
      [{ name: "a", envFrom: [{ secretRef: { name: "gone" } }] }, /secret "gone" not found/],
    ];
    for (const [c, msg] of cases) await assert.rejects(resolveEnv(pod(c), c, { source: setup(), facts }), (err: Error) => err instanceof ConfigError && msg.test(err.message));
  });

  it("expands command and args against the resolved env", () => {
    const c: Container = { name: "a", command: ["sh", "-c", "echo $(MSG) $$(MSG) $(NONE)"], args: ["$(MSG)"] };
    assert.deepEqual(expandCommand(c, [{ key: "MSG", value: "hello" }]), { command: ["sh", "-c", "echo hello $(MSG) $(NONE)"], args: ["hello"] });
  });
});

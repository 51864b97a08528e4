// The registry over the real SQLite backend with every built-in resource definition.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { schemaResolver } from "../api/openapi/schemas.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite_storage.js";
import type { Storage } from "../storage/types.js";
import { silentLogger } from "../util/log.js";
import { createRegistry, type RegistryHandle } from "./registry.js";
import type { ResourceStore } from "./rest.js";
import { ALL_RESOURCES } from "./resources/all.js";
import { ctx } from "./testing/fixtures.js";
import { EventCollector } from "./testing/watch_collector.js";

let dir: string;
let storage: Storage;
let registry: RegistryHandle;
const store = (g: string, r: string) => registry.store(g, r) as ResourceStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "k8ts-registry-"));
  storage = await openSqliteStorage({ path: join(dir, "state.db"), compactIntervalMs: 0, logger: silentLogger });
  registry = createRegistry({ storage, resources: ALL_RESOURCES, resolver: schemaResolver() });
  await registry.start();
  await store("", "namespaces").create(ctx(undefined), { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
});

after(async () => {
  await registry.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const deployment = (name: string, replicas: number): StoredObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
  },
});

describe("registry over sqlite with the built-in resources", () => {
  it("deployments: create, watch, scale, status, delete", async () => {
    const deploys = store("apps", "deployments");
    const c = ctx("default", { fieldManager: "test" });
    const w = new EventCollector(await deploys.watch(c, { resourceVersion: "0" }));
    try {
      const d = await deploys.create(c, deployment("web", 2));
      assert.equal(d.metadata.generation, 1);
      const scaled = await deploys.patch(c, "web", { type: "merge", body: { spec: { replicas: 4 } } }, { subresource: "scale" });
      assert.equal((scaled.object.spec as { replicas: number }).replicas, 4);
      const scale = await deploys.get(c, "web", { subresource: "scale" });
      assert.equal((scale.status as { selector: string }).selector, "app=web");
      const cur = await deploys.get(c, "web");
      assert.equal(cur.metadata.generation, 2);
      await deploys.update(c, "web", { ...cur, status: { observedGeneration: 2, replicas: 4 } }, { subresource: "status" });
      const list = await deploys.list(c, {});
      assert.equal(list.items.length, 1);
      assert.equal(list.kind, "DeploymentList");
      await deploys.delete(c, "web", { propagationPolicy: "Background" });
      await w.waitForCount(4);
      assert.deepEqual(w.summary(), ["ADDED web", "MODIFIED web", "MODIFIED web", "DELETED web"]);
    } finally {
      w.stream.stop();
    }
  });

  it("pods: create, bind, graceful delete, force delete", async () => {
    const pods = store("", "pods");
    const c = ctx("default");
    await pods.create(c, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    await pods.createSubresource!(c, "p", "binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "p" }, target: { kind: "Node", name: "n1" } });
    const bound = await pods.list(c, { fieldSelector: "spec.nodeName=n1" });
    assert.deepEqual(bound.items.map((p) => p.metadata.name), ["p"]);
    const del = await pods.delete(c, "p", {});
    assert.equal(del.deleted, false);
    assert.equal(del.object.metadata.deletionGracePeriodSeconds, 30);
    const force = await pods.delete(c, "p", { gracePeriodSeconds: 0 });
    assert.equal(force.deleted, true);
  });

  it("core and events.k8s.io events share their stored objects", async () => {
    const core = store("", "events");
    const v1 = store("events.k8s.io", "events");
    await core.create(ctx("default"), {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "e1" },
      involvedObject: { kind: "Pod", name: "p", namespace: "default" },
      reason: "Started",
      message: "hello",
      type: "Normal",
    });
    const viaV1 = await v1.get(ctx("default"), "e1");
    assert.equal(viaV1.apiVersion, "events.k8s.io/v1");
    assert.equal((viaV1 as { note?: string }).note, "hello");
  });

  it("with the real schemas: strategic merge by container name, server-side apply, strict field validation", async () => {
    const deploys = store("apps", "deployments");
    const c = ctx("default", { fieldManager: "kubectl-client-side-apply" });
    await deploys.create(c, deployment("api", 1));
    const smp = await deploys.patch(ctx("default", { fieldManager: "kubectl-edit" }), "api", {
      type: "strategic",
      body: { spec: { template: { spec: { containers: [{ name: "c", image: "nginx" }] } } } },
    });
    const containers = ((smp.object.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers);
    assert.deepEqual(containers.map((x) => [x.name, x.image]), [["c", "nginx"]]);
    const applied = await deploys.patch(ctx("default", { fieldManager: "kubectl" }), "api", {
      type: "apply",
      body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", labels: { team: "a" } } },
    });
    assert.equal(applied.object.metadata.labels?.team, "a");
    assert.ok(applied.object.metadata.managedFields?.some((e) => e.manager === "kubectl" && e.operation === "Apply"));
    const strict = ctx("default", { fieldValidation: "Strict" });
    const bad = deployment("strict", 1);
    (bad.spec as Record<string, unknown>).replicaz = 3;
    await assert.rejects(deploys.create(strict, bad), (err: { status?: { code: number; message?: string } }) => {
      assert.equal(err.status?.code, 400);
      assert.equal(err.status?.message, 'strict decoding error: unknown field "spec.replicaz"');
      return true;
    });
  });
});

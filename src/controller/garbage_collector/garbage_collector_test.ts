import { test } from "node:test";
import assert from "node:assert/strict";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer, type FakeApiServer } from "../../client/testing/fake_apiserver.js";
import { isNotFound } from "../../machinery/errors.js";
import { startController } from "../types.js";
import { GarbageCollector } from "./garbage_collector.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Env {
  srv: FakeApiServer;
  client: Client;
  deletedOrder: string[];
}

async function setup(t: { after(fn: () => unknown): void }): Promise<Env> {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const informers = new SharedInformerFactory({ client });
  const gc = new GarbageCollector({
    client,
    informers,
    resources: [resources.deployments, resources.replicasets, resources.pods, resources.configmaps],
  });
  const running = startController(gc);
  const deletedOrder: string[] = [];
  srv.store.subscribe((ev) => ev.type === "DELETED" && deletedOrder.push(`${ev.ref.kind}/${ev.obj.metadata.name}`));
  t.after(async () => {
    await running.stop();
    client.close();
    await srv.close();
  });
  return { srv, client, deletedOrder };
}

const ownerRef = (o: KubeObject, block = true): OwnerReference => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  name: o.metadata!.name!,
  uid: o.metadata!.uid!,
  controller: true,
  blockOwnerDeletion: block,
});

async function exists(client: Client, ref: typeof resources.pods, name: string): Promise<boolean> {
  try {
    await client.resource(ref).get("default", name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function replicaSetWithPods(client: Client, name: string, owner?: KubeObject): Promise<KubeObject> {
  const rs = await client.resource(resources.replicasets).create("default", {
    metadata: { name, ownerReferences: owner ? [ownerRef(owner)] : undefined },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: {} },
  });
  for (const i of [0, 1]) await client.resource(resources.pods).create("default", { metadata: { name: `${name}-${i}`, labels: { app: name }, ownerReferences: [ownerRef(rs)] }, spec: {} });
  return rs;
}

test("background deletion: the owner goes at once, then the collector deletes its dependents", async (t) => {
  const { client, deletedOrder } = await setup(t);
  await replicaSetWithPods(client, "web");
  await client.resource(resources.replicasets).delete("default", "web", { propagationPolicy: "Background" });
  assert.equal(await exists(client, resources.replicasets, "web"), false);
  await until(async () => !(await exists(client, resources.pods, "web-0")) && !(await exists(client, resources.pods, "web-1")), "pods collected");
  assert.equal(deletedOrder[0], "ReplicaSet/web");
});

test("foreground deletion: dependents (and theirs) go first, the owner waits with its finalizer, then goes", async (t) => {
  const { client, deletedOrder } = await setup(t);
  const deploy = await client.resource(resources.deployments).create("default", { metadata: { name: "app" }, spec: { selector: {}, template: {} } });
  await replicaSetWithPods(client, "app-rs", deploy);
  const answer = (await client.resource(resources.deployments).delete("default", "app", { propagationPolicy: "Foreground" })) as KubeObject;
  assert.ok(answer.metadata?.deletionTimestamp, "owner is kept while dependents exist");
  assert.deepEqual(answer.metadata?.finalizers, ["foregroundDeletion"]);
  await until(() => deletedOrder.includes("Deployment/app"), "deployment deleted");
  assert.deepEqual(deletedOrder.slice(0, 2).sort(), ["Pod/app-rs-0", "Pod/app-rs-1"]);
  assert.deepEqual(deletedOrder.slice(2), ["ReplicaSet/app-rs", "Deployment/app"]);
});

test("foreground deletion with a dependent that does not block: the owner does not wait for it", async (t) => {
  const { client, deletedOrder } = await setup(t);
  const owner = await client.resource(resources.configmaps).create("default", { metadata: { name: "owner" } });
  // The dependent has its own finalizer, so it lingers after deletion; it must not hold the owner.
  await client.resource(resources.configmaps).create("default", { metadata: { name: "dep", finalizers: ["test/hold"], ownerReferences: [ownerRef(owner, false)] } });
  await client.resource(resources.configmaps).delete("default", "owner", { propagationPolicy: "Foreground" });
  await until(() => deletedOrder.includes("ConfigMap/owner"), "owner deleted");
  // The dependent is deleted too, in its own time (its own finalizer keeps it visible).
  await until(async () => !!(await client.resource(resources.configmaps).get("default", "dep")).metadata?.deletionTimestamp, "dependent deleted");
});

test("orphan deletion: dependents stay, without the reference to the deleted owner", async (t) => {
  const { client } = await setup(t);
  await replicaSetWithPods(client, "orph");
  await client.resource(resources.replicasets).delete("default", "orph", { propagationPolicy: "Orphan" });
  await until(async () => !(await exists(client, resources.replicasets, "orph")), "owner deleted after orphaning");
  for (const name of ["orph-0", "orph-1"]) {
    const pod = await client.resource(resources.pods).get("default", name);
    assert.equal(pod.metadata?.ownerReferences, undefined, `${name} was orphaned`);
    assert.equal(pod.metadata?.deletionTimestamp, undefined);
  }
});

test("dependents of owners that never existed, or whose name now has another uid, are collected", async (t) => {
  const { client } = await setup(t);
  const pods = client.resource(resources.pods);
  await pods.create("default", { metadata: { name: "ghost-child", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "ghost", uid: "no-such-uid" }] } });
  await client.resource(resources.replicasets).create("default", { metadata: { name: "reborn" }, spec: {} });
  await pods.create("default", { metadata: { name: "old-child", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "reborn", uid: "uid-of-an-earlier-reborn" }] } });
  await until(async () => !(await exists(client, resources.pods, "ghost-child")) && !(await exists(client, resources.pods, "old-child")), "orphans collected");
  assert.equal(await exists(client, resources.replicasets, "reborn"), true, "the live namesake is untouched");
});

test("a dependent with one live owner keeps living and loses the reference to its dead owner", async (t) => {
  const { client } = await setup(t);
  const cms = client.resource(resources.configmaps);
  const a = await cms.create("default", { metadata: { name: "a" } });
  const b = await cms.create("default", { metadata: { name: "b" } });
  await cms.create("default", { metadata: { name: "shared", ownerReferences: [ownerRef(a), ownerRef(b)] } });
  await cms.delete("default", "a", { propagationPolicy: "Background" });
  await until(async () => (await cms.get("default", "shared")).metadata?.ownerReferences?.length === 1, "dangling reference removed");
  const shared = await cms.get("default", "shared");
  assert.equal(shared.metadata?.ownerReferences?.[0]?.name, "b");
  assert.equal(shared.metadata?.deletionTimestamp, undefined);
});

test("an owner with many dependents is verified gone with a few GETs, not one per dependent", async (t) => {
  const { srv, client } = await setup(t);
  const rs = await client.resource(resources.replicasets).create("default", { metadata: { name: "big" }, spec: {} });
  for (let i = 0; i < 20; i++) await client.resource(resources.pods).create("default", { metadata: { name: `big-${i}`, ownerReferences: [ownerRef(rs)] } });
  await client.resource(resources.replicasets).delete("default", "big", { propagationPolicy: "Background" });
  await until(async () => (await client.resource(resources.pods).list("default")).items.length === 0, "pods collected");
  const ownerGets = srv.requests.filter((r) => r.method === "GET" && r.path === "/apis/apps/v1/namespaces/default/replicasets/big").length;
  assert.ok(ownerGets <= 4, `owner read ${ownerGets} times`);
});

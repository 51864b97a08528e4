import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../api/object.js";
import { createClient } from "./rest_client.js";
import { resources } from "./resources.js";
import { SharedInformerFactory } from "./informer_factory.js";
import { SharedInformer, Tombstone, unwrapTombstone } from "./informer.js";
import { Indexer, NAMESPACE_INDEX as NAMESPACE, NODE_NAME_INDEX, nodeNameIndexFunc, OWNER_UID_INDEX, ownerUidIndexFunc } from "./indexer.js";
import { deepFreeze } from "../util/freeze.js";
import { startFakeApiServer, type FakeApiServer } from "./testing/fake_apiserver.js";

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ srv: FakeApiServer; client: ReturnType<typeof createClient>; signal: AbortSignal }> {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const ac = new AbortController();
  t.after(async () => {
    ac.abort();
    client.close();
    await srv.close();
  });
  return { srv, client, signal: ac.signal };
}

const pod = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({ metadata: { name }, spec: { containers: [] }, ...extra });

test("informer lists in pages, then delivers watch events to handlers and keeps the cache", async (t) => {
  const { srv, client, signal } = await setup(t);
  const pods = client.resource(resources.pods);
  for (const n of ["a", "b", "c"]) await pods.create("default", pod(n));
  const inf = new SharedInformer({ source: { client: pods }, pageSize: 2 });
  const seen: string[] = [];
  inf.addEventHandler({
    onAdd: (o, initial) => seen.push(`add ${o.metadata?.name} ${initial}`),
    onUpdate: (o, n) => seen.push(`update ${n.metadata?.name} ${o.metadata?.resourceVersion !== n.metadata?.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${unwrapTombstone(o).metadata?.name}`),
  });
  void inf.run(signal);
  assert.equal(await inf.waitForSync(signal), true);
  assert.ok(srv.requests.some((r) => r.query.includes("limit=2")), "paged list");
  assert.ok(srv.requests.some((r) => r.query.includes("continue=")), "followed continue");
  assert.deepEqual(seen.sort(), ["add a true", "add b true", "add c true"]);
  seen.length = 0;
  await until(() => srv.watcherCount() === 1, "watch");
  assert.ok(srv.requests.some((r) => r.query.includes("allowWatchBookmarks=true")));
  await pods.create("default", pod("d"));
  await pods.patch("default", "a", "merge", { metadata: { labels: { x: "y" } } });
  await pods.delete("default", "b");
  await until(() => seen.length === 3, "3 events");
  assert.deepEqual(seen, ["add d false", "update a true", "delete b"]);
  assert.deepEqual(inf.lister().namespace("default").list().map((p) => p.metadata?.name).sort(), ["a", "c", "d"]);
  assert.deepEqual(inf.lister().list({ matches: (l) => l?.x === "y" }).map((p) => p.metadata?.name), ["a"]);
});

test("after 410 Gone the informer relists; deletions missed meanwhile arrive as tombstones", async (t) => {
  const { srv, client, signal } = await setup(t);
  const pods = client.resource(resources.pods);
  await pods.create("default", pod("keep"));
  await pods.create("default", pod("gone"));
  const inf = new SharedInformer({ source: { client: pods }, backoffInitialMs: 10 });
  const deletes: unknown[] = [];
  const adds: string[] = [];
  inf.addEventHandler({ onDelete: (o) => deletes.push(o), onAdd: (o) => adds.push(o.metadata!.name!) });
  void inf.run(signal);
  await inf.waitForSync(signal);
  await until(() => srv.watcherCount() === 1, "watch");
  // Simulate missed events: stop delivering (close watches), change state, then compact so resuming fails.
  // Done synchronously on the store so the informer cannot resume its watch in between.
  const podsRef = srv.store.find("", "pods")!;
  srv.closeWatches();
  srv.store.delete(podsRef, "default", "gone");
  srv.store.create(podsRef, "default", pod("new"));
  srv.store.compact();
  await until(() => deletes.length === 1 && adds.includes("new"), "relist results");
  assert.ok(deletes[0] instanceof Tombstone);
  assert.equal((deletes[0] as Tombstone<KubeObject>).key, "default/gone");
  assert.equal(unwrapTombstone(deletes[0] as Tombstone<KubeObject>).metadata?.name, "gone");
  const relists = srv.requests.filter((r) => r.method === "GET" && !r.query.includes("watch=true")).length;
  assert.equal(relists, 2);
  // An ERROR 410 event on an open watch also leads to a relist.
  await until(() => srv.watcherCount() === 1, "second watch");
  srv.expireWatches();
  await until(() => srv.requests.filter((r) => r.method === "GET" && !r.query.includes("watch=true")).length === 3, "third list");
});

test("cached objects are frozen; indexes find pods by node and by owner", async (t) => {
  const { client, signal } = await setup(t);
  const pods = client.resource(resources.pods);
  await pods.create("default", pod("p1", { spec: { nodeName: "n1", containers: [] } }));
  await pods.create("default", { metadata: { name: "p2", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u-rs" }] }, spec: { nodeName: "n2" } });
  const inf = new SharedInformer({ source: { client: pods }, indexers: { [NODE_NAME_INDEX]: nodeNameIndexFunc } });
  inf.addIndexers({ [OWNER_UID_INDEX]: ownerUidIndexFunc });
  void inf.run(signal);
  await inf.waitForSync(signal);
  const p1 = inf.lister().namespace("default").get("p1")!;
  assert.throws(() => ((p1.metadata as { name: string }).name = "x"), TypeError);
  assert.deepEqual(inf.lister().byIndex(NODE_NAME_INDEX, "n1").map((p) => p.metadata?.name), ["p1"]);
  assert.deepEqual(inf.lister().byIndex(OWNER_UID_INDEX, "u-rs").map((p) => p.metadata?.name), ["p2"]);
});

test("deepFreeze freezes every nested object and array, not what an object inherits", () => {
  const inherited = { shared: { x: 1 } };
  const o = Object.assign(Object.create(inherited) as Record<string, unknown>, { spec: { containers: [{ name: "c", ports: [{ containerPort: 80 }] }], empty: [] }, n: 1, s: "x", nil: null });
  assert.equal(deepFreeze(o), o);
  const c = (o.spec as { containers: Array<{ ports: object[] }> }).containers;
  for (const v of [o, o.spec, c, c[0], c[0]!.ports, c[0]!.ports[0], (o.spec as { empty: unknown[] }).empty]) assert.ok(Object.isFrozen(v));
  assert.ok(!Object.isFrozen(inherited.shared), "inherited values are not the object's to freeze");
  assert.equal(deepFreeze("s"), "s");
  assert.equal(deepFreeze(null), null);
});

test("an update moves an object between index values; an unchanged value keeps it; a delete drops it", () => {
  const idx = new Indexer<KubeObject>({ indexers: { [NODE_NAME_INDEX]: nodeNameIndexFunc, [OWNER_UID_INDEX]: ownerUidIndexFunc } });
  const p = (node: string | undefined, owners: string[], rv: string): KubeObject => ({
    metadata: { name: "p", namespace: "ns", resourceVersion: rv, ownerReferences: owners.map((uid) => ({ apiVersion: "v1", kind: "X", name: uid, uid })) },
    spec: node ? { nodeName: node } : {},
  });
  const names = (index: string, value: string): string[] => idx.byIndex(index, value).map((o) => o.metadata!.resourceVersion!);
  idx.upsert(p(undefined, ["a", "b"], "1"));
  assert.deepEqual(idx.indexValues(NODE_NAME_INDEX), []);
  idx.upsert(p("n1", ["a", "b"], "2"));
  assert.deepEqual(names(NODE_NAME_INDEX, "n1"), ["2"], "the cached object is the newest one");
  assert.deepEqual(names(OWNER_UID_INDEX, "a"), ["2"]);
  idx.upsert(p("n2", ["b", "c"], "3"));
  assert.deepEqual(idx.indexValues(NODE_NAME_INDEX), ["n2"]);
  assert.deepEqual(idx.indexValues(OWNER_UID_INDEX).sort(), ["b", "c"]);
  assert.deepEqual(names(NAMESPACE, "ns"), ["3"]);
  idx.deleteKey("ns/p");
  assert.deepEqual([idx.indexValues(NODE_NAME_INDEX), idx.indexValues(OWNER_UID_INDEX), idx.indexValues(NAMESPACE)], [[], [], []]);
});

test("resync replays every object as an update; late handlers get the cache as adds", async (t) => {
  const { client, signal } = await setup(t);
  const cms = client.resource(resources.configmaps);
  await cms.create("default", { metadata: { name: "c" } });
  const inf = new SharedInformer({ source: { client: cms } });
  let resyncs = 0;
  inf.addEventHandler({ onUpdate: (o, n) => void (o === n && resyncs++) }, { resyncPeriodMs: 20 });
  void inf.run(signal);
  await inf.waitForSync(signal);
  await until(() => resyncs >= 2, "two resyncs");
  const late: string[] = [];
  inf.addEventHandler({ onAdd: (o, initial) => late.push(`${o.metadata?.name} ${initial}`) });
  assert.deepEqual(late, ["c true"]);
});

test("the factory shares one informer per resource and waits for all caches", async (t) => {
  const { srv, client, signal } = await setup(t);
  const f = new SharedInformerFactory({ client });
  const a = f.forResource(resources.pods);
  const b = f.forResource(resources.pods, { indexers: { [NODE_NAME_INDEX]: nodeNameIndexFunc } });
  assert.equal(a, b);
  f.forResource(resources.namespaces);
  f.start(signal);
  assert.equal(await f.waitForCacheSync(signal), true);
  assert.equal(f.forResource(resources.namespaces).lister().list().length, 4);
  const late = f.forResource(resources.configmaps);
  assert.equal(await late.waitForSync(signal), true, "informers requested after start run too");
  await until(() => srv.watcherCount() === 3, "three watches");
});

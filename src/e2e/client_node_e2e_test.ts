// @kubernetes/client-node against `k8ts server`: CRUD through the generated API classes, and an informer that sees
// every change.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { KubeConfig, CoreV1Api, AppsV1Api, makeInformer, type ObjectCache, type V1ConfigMap } from "@kubernetes/client-node";
import { startCluster, eventually, type Cluster } from "./kubectl_harness.js";

let c: Cluster;
let kc: KubeConfig;
before(async () => {
  c = await startCluster();
  const fromFile = new KubeConfig();
  fromFile.loadFromFile(c.kubeconfig);
  // client-node refuses plain-HTTP servers unless TLS verification is declared off; the server speaks HTTP for now.
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: fromFile.clusters.map((cl) => ({ ...cl, skipTLSVerify: true })),
    users: fromFile.users,
    contexts: fromFile.contexts,
    currentContext: fromFile.currentContext,
  });
});
after(async () => {
  await c?.stop();
});

test("CRUD on configmaps and deployments", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "cn1" }, data: { a: "1" } } });
  assert.ok(created.metadata?.uid);
  const got = await core.readNamespacedConfigMap({ namespace: "default", name: "cn1" });
  assert.equal(got.data?.a, "1");
  got.data = { a: "2" };
  const replaced = await core.replaceNamespacedConfigMap({ namespace: "default", name: "cn1", body: got });
  assert.equal(replaced.data?.a, "2");
  assert.notEqual(replaced.metadata?.resourceVersion, got.metadata?.resourceVersion);
  await assert.rejects(core.replaceNamespacedConfigMap({ namespace: "default", name: "cn1", body: got }), (e: { code?: number }) => e.code === 409);
  const list = await core.listNamespacedConfigMap({ namespace: "default" });
  assert.ok(list.items.some((i) => i.metadata?.name === "cn1"));
  await core.deleteNamespacedConfigMap({ namespace: "default", name: "cn1" });
  await assert.rejects(core.readNamespacedConfigMap({ namespace: "default", name: "cn1" }), (e: { code?: number }) => e.code === 404);

  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.createNamespacedDeployment({
    namespace: "default",
    body: {
      metadata: { name: "cn-web" },
      spec: {
        selector: { matchLabels: { app: "cn-web" } },
        template: { metadata: { labels: { app: "cn-web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      },
    },
  });
  assert.equal(d.spec?.replicas, 1, "defaulted replicas");
  assert.equal(d.spec?.strategy?.type, "RollingUpdate");
  await apps.deleteNamespacedDeployment({ namespace: "default", name: "cn-web" });
});

test("an informer sees every add, update and delete", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/default/configmaps", () =>
    core.listNamespacedConfigMap({ namespace: "default" }),
  );
  const seen: string[] = [];
  informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
  informer.on("update", (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
  informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
  await informer.start();
  try {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "inf" }, data: { v: "1" } } });
    for (let i = 2; i <= 5; i++) {
      const cm = await core.readNamespacedConfigMap({ namespace: "default", name: "inf" });
      cm.data = { v: String(i) };
      await core.replaceNamespacedConfigMap({ namespace: "default", name: "inf", body: cm });
    }
    await core.deleteNamespacedConfigMap({ namespace: "default", name: "inf" });
    const ok = await eventually(async () => seen.includes("delete inf"));
    assert.ok(ok, seen.join("; "));
    const mine = seen.filter((s) => s.endsWith(" inf") || s.includes(" inf "));
    assert.equal(mine[0], "add inf");
    assert.deepEqual(mine.filter((s) => s.startsWith("update")).map((s) => s.split(" ")[2]), ["2", "3", "4", "5"]);
    assert.equal(mine.at(-1), "delete inf");
    // The informer returned is a ListWatch, which is also the object cache.
    assert.equal((informer as unknown as ObjectCache<V1ConfigMap>).get("inf", "default"), undefined);
  } finally {
    await informer.stop();
  }
});

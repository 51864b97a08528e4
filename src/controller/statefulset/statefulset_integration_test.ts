// The StatefulSet controller against the fake API server over real HTTP; the test plays scheduler and kubelet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { GarbageCollector } from "../garbage_collector/garbage_collector.js";
import { startController } from "../types.js";
import type { ClaimObject, StatefulSetObject } from "./stateful_pods.js";
import { StatefulSetController } from "./statefulset_controller.js";
import { newStatefulSet } from "./testing.js";

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function podNames(client: Client): Promise<string[]> {
  return (await client.resource<PodObject>(resources.pods).list("default")).items.map((p) => p.metadata!.name!).sort();
}

async function makeReady(client: Client, name: string): Promise<void> {
  await client.resource<PodObject>(resources.pods).patch("default", name, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, { subresource: "status" });
}

test("a StatefulSet of 3 starts web-0, web-1, web-2 each after the previous is Ready, and scales down 2 then 1", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const ctrl = startController(new StatefulSetController({ client, informers: new SharedInformerFactory({ client }) }));
  t.after(async () => {
    await ctrl.stop();
    client.close();
    await srv.close();
  });
  const log: string[] = [];
  srv.store.subscribe((ev) => {
    if (ev.ref.resource !== "pods") return;
    if (ev.type === "ADDED") log.push(`+${ev.obj.metadata.name}`);
    if (ev.type === "DELETED") log.push(`-${ev.obj.metadata.name}`);
  });
  const sets = client.resource<StatefulSetObject>(resources.statefulsets);
  const set = newStatefulSet("web", 3, { volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }] });
  await sets.create("default", { ...set, metadata: { name: "web", namespace: "default" }, status: undefined });
  for (const name of ["web-0", "web-1", "web-2"]) {
    await until(async () => (await podNames(client)).includes(name), `${name} to be created`);
    // Nothing further appears while this pod is not Ready.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await podNames(client)).at(-1), name);
    await makeReady(client, name);
  }
  await until(async () => (await sets.get("default", "web")).status?.readyReplicas === 3, "3 ready replicas");
  const claims = (await client.resource<ClaimObject>(resources.persistentvolumeclaims).list("default")).items;
  assert.deepEqual(claims.map((c) => `${c.metadata?.name}:${c.spec?.storageClassName}`).sort(), ["data-web-0:standard", "data-web-1:standard", "data-web-2:standard"]);
  const web1 = (await client.resource<PodObject>(resources.pods).get("default", "web-1"));
  assert.deepEqual(web1.spec?.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "data-web-1" } }]);
  assert.equal(web1.spec?.hostname, "web-1");
  assert.equal(web1.spec?.subdomain, "web");

  await sets.patch("default", "web", "merge", { spec: { replicas: 1 } });
  await until(async () => (await podNames(client)).join() === "web-0", "scale down to web-0");
  assert.deepEqual(log, ["+web-0", "+web-1", "+web-2", "-web-2", "-web-1"]);
  await until(async () => (await sets.get("default", "web")).status?.replicas === 1, "status replicas 1");
  const st = (await sets.get("default", "web")).status!;
  assert.equal(st.currentRevision, st.updateRevision);
});

test("persistentVolumeClaimRetentionPolicy Delete: claims of scaled-away pods, then all claims, go with the garbage collector", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const ctrl = startController(new StatefulSetController({ client, informers: new SharedInformerFactory({ client }) }));
  const gc = startController(
    new GarbageCollector({ client, informers: new SharedInformerFactory({ client }), resources: [resources.statefulsets, resources.pods, resources.persistentvolumeclaims, resources.controllerrevisions] }),
  );
  t.after(async () => {
    await ctrl.stop();
    await gc.stop();
    client.close();
    await srv.close();
  });
  const sets = client.resource<StatefulSetObject>(resources.statefulsets);
  const claimsApi = client.resource<ClaimObject>(resources.persistentvolumeclaims);
  const claimNames = async () => (await claimsApi.list("default")).items.map((c) => c.metadata!.name!).sort();
  const set = newStatefulSet("db", 2, {
    podManagementPolicy: "Parallel",
    volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
  });
  await sets.create("default", { ...set, metadata: { name: "db", namespace: "default" }, status: undefined });
  await until(async () => (await claimNames()).join() === "data-db-0,data-db-1" && (await podNames(client)).length === 2, "two pods and claims");
  for (const n of await podNames(client)) await makeReady(client, n);
  await sets.patch("default", "db", "merge", { spec: { replicas: 1 } });
  await until(async () => (await claimNames()).join() === "data-db-0", "the claim of db-1 to be collected with its pod");
  await sets.delete("default", "db");
  await until(async () => (await claimNames()).length === 0 && (await podNames(client)).length === 0, "everything to be collected");
});

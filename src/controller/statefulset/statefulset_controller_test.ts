import { test } from "node:test";
import assert from "node:assert/strict";
import { StatefulSetHarness, newStatefulSet } from "./testing.js";

test("OrderedReady: web-0 first with its identity and claim, each next pod only after the previous is Ready", async () => {
  const h = new StatefulSetHarness();
  h.setSet(
    newStatefulSet("web", 3, {
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { storageClassName: "fast", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    }),
  );
  await h.sync();
  assert.deepEqual(h.names(), ["web-0"]);
  const p = h.pod("web-0");
  assert.equal(p.spec?.hostname, "web-0");
  assert.equal(p.spec?.subdomain, "web");
  assert.equal(p.metadata?.labels?.["statefulset.kubernetes.io/pod-name"], "web-0");
  assert.equal(p.metadata?.labels?.["apps.kubernetes.io/pod-index"], "0");
  assert.equal(p.metadata?.labels?.app, "web");
  assert.deepEqual(p.spec?.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "data-web-0" } }]);
  const pvc = h.claims.indexer.get("default/data-web-0")!;
  assert.equal(pvc.spec?.storageClassName, "fast");
  assert.deepEqual(pvc.metadata?.labels, { app: "web" });
  assert.equal(pvc.metadata?.ownerReferences, undefined, "Retain by default: no owner");
  const st = h.set().status!;
  assert.equal(p.metadata?.labels?.["controller-revision-hash"], st.updateRevision);
  assert.equal(st.currentRevision, st.updateRevision);
  await h.sync();
  assert.deepEqual(h.names(), ["web-0"], "web-1 waits for web-0");
  h.run("web-0", { ready: false });
  await h.sync();
  assert.deepEqual(h.names(), ["web-0"], "Running is not enough: Ready too");
  h.run("web-0");
  await h.sync();
  assert.deepEqual(h.names(), ["web-0", "web-1"]);
  h.run("web-1");
  await h.sync();
  h.run("web-2");
  await h.sync();
  assert.deepEqual(h.names(), ["web-0", "web-1", "web-2"]);
  assert.deepEqual(
    h.claims.indexer.list().map((c) => c.metadata?.name).sort(),
    ["data-web-0", "data-web-1", "data-web-2"],
  );
  const s = h.set().status!;
  assert.equal(s.replicas, 3);
  assert.equal(s.readyReplicas, 3);
  assert.equal(s.availableReplicas, 3);
  assert.equal(s.currentReplicas, 3);
  assert.equal(s.updatedReplicas, 3);
  assert.ok(h.recorder.events.includes("Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful"));
  assert.ok(h.recorder.events.includes("Normal SuccessfulCreate create Claim data-web-0 Pod web-0 in StatefulSet web success"));
});

async function readySet(h: StatefulSetHarness, n: number, spec = {}): Promise<void> {
  h.setSet(newStatefulSet("web", n, spec));
  for (let i = 0; i < n + 1; i++) {
    await h.sync();
    for (const name of h.names()) if (!h.pod(name).status?.phase) h.run(name);
  }
  await h.sync();
}

test("OrderedReady scale down: highest ordinal first, one at a time, waiting for each to be gone", async () => {
  const h = new StatefulSetHarness();
  await readySet(h, 3);
  h.setSet({ ...newStatefulSet("web", 1) });
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2"]);
  // Suppose web-2 were still terminating: nothing else happens meanwhile.
  h.pods.indexer.upsert({ ...structuredClone(h.podWriter.created.find((p) => p.metadata?.name === "web-2")!), status: { phase: "Running" } });
  h.terminating("web-2");
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2"]);
  h.pods.indexer.deleteKey("default/web-2");
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2", "web-1"]);
  assert.deepEqual(h.names(), ["web-0"]);
});

test("Parallel: all pods created at once and all surplus deleted at once", async () => {
  const h = new StatefulSetHarness();
  h.setSet(newStatefulSet("web", 3, { podManagementPolicy: "Parallel" }));
  await h.sync();
  assert.deepEqual(h.names(), ["web-0", "web-1", "web-2"]);
  h.setSet(newStatefulSet("web", 0, { podManagementPolicy: "Parallel" }));
  await h.sync();
  assert.deepEqual(h.podWriter.deleted.sort(), ["web-0", "web-1", "web-2"]);
});

test("a failed pod is deleted and recreated under the same name", async () => {
  const h = new StatefulSetHarness();
  await readySet(h, 2);
  const oldUid = h.pod("web-1").metadata?.uid;
  h.run("web-1", { phase: "Failed" });
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-1"]);
  await h.sync();
  assert.ok(h.pod("web-1"));
  assert.notEqual(h.pod("web-1").metadata?.uid, oldUid);
});

test("RollingUpdate: from the highest ordinal down, one at a time, and the revisions move when done", async () => {
  const h = new StatefulSetHarness();
  await readySet(h, 3);
  const before = h.set().status!;
  h.setSet(newStatefulSet("web", 3, {}, "web:2"));
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2"]);
  let st = h.set().status!;
  assert.notEqual(st.updateRevision, before.updateRevision);
  assert.equal(st.currentRevision, before.currentRevision);
  await h.sync();
  assert.equal(h.imageOf("web-2"), "web:2");
  assert.equal(h.pod("web-2").metadata?.labels?.["controller-revision-hash"], st.updateRevision);
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2"], "web-1 waits for the new web-2 to be Ready");
  h.run("web-2");
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-2", "web-1"]);
  for (let i = 0; i < 4; i++) {
    await h.sync();
    for (const n of h.names()) if (!h.pod(n).status?.phase) h.run(n);
  }
  await h.sync();
  assert.deepEqual(["web-0", "web-1", "web-2"].map((n) => h.imageOf(n)), ["web:2", "web:2", "web:2"]);
  st = h.set().status!;
  assert.equal(st.currentRevision, st.updateRevision);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.currentReplicas, 3);
  assert.equal(st.observedGeneration, 2);
  assert.equal(h.revisions.indexer.list().length, 2);
});

test("RollingUpdate partition: ordinals below it keep the current revision, even when recreated", async () => {
  const h = new StatefulSetHarness();
  const strategy = { type: "RollingUpdate", rollingUpdate: { partition: 2 } };
  await readySet(h, 3, { updateStrategy: strategy });
  h.setSet(newStatefulSet("web", 3, { updateStrategy: strategy }, "web:2"));
  for (let i = 0; i < 4; i++) {
    await h.sync();
    for (const n of h.names()) if (!h.pod(n).status?.phase) h.run(n);
  }
  assert.deepEqual(["web-0", "web-1", "web-2"].map((n) => h.imageOf(n)), ["web:1", "web:1", "web:2"]);
  h.pods.indexer.deleteKey("default/web-0");
  await h.sync();
  assert.equal(h.imageOf("web-0"), "web:1", "recreated from the current revision");
  const st = h.set().status!;
  assert.notEqual(st.currentRevision, st.updateRevision);
});

test("maxUnavailable 2 in Parallel mode replaces two pods at a time", async () => {
  const h = new StatefulSetHarness();
  const spec = { podManagementPolicy: "Parallel", updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 2 } } };
  await readySet(h, 4, spec);
  h.setSet(newStatefulSet("web", 4, spec, "web:2"));
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, ["web-3", "web-2"]);
});

test("OnDelete: pods are replaced only when deleted by hand", async () => {
  const h = new StatefulSetHarness();
  const spec = { updateStrategy: { type: "OnDelete" } };
  await readySet(h, 2, spec);
  h.setSet(newStatefulSet("web", 2, spec, "web:2"));
  await h.sync();
  assert.deepEqual(h.podWriter.deleted, []);
  h.pods.indexer.deleteKey("default/web-0");
  await h.sync();
  assert.equal(h.imageOf("web-0"), "web:2");
  assert.equal(h.imageOf("web-1"), "web:1");
});

test("PVC retention: whenDeleted Delete owns claims by the set; whenScaled Delete hands condemned claims to their pod", async () => {
  const h = new StatefulSetHarness();
  const spec = {
    volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
  };
  await readySet(h, 2, spec);
  const refs = (n: string) => h.claims.indexer.get(`default/${n}`)?.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name}`);
  assert.deepEqual(refs("data-web-0"), ["StatefulSet/web"]);
  assert.deepEqual(refs("data-web-1"), ["StatefulSet/web"]);
  h.setSet(newStatefulSet("web", 1, spec));
  await h.sync();
  assert.deepEqual(refs("data-web-1"), ["Pod/web-1"], "the claim follows its pod (alone) to the garbage collector");
  assert.deepEqual(refs("data-web-0"), ["StatefulSet/web"]);
});

test("identity labels edited away are put back", async () => {
  const h = new StatefulSetHarness();
  await readySet(h, 1);
  const p = structuredClone(h.pod("web-0"));
  p.metadata = { ...p.metadata, labels: { app: "web", "controller-revision-hash": p.metadata!.labels!["controller-revision-hash"]! } };
  h.pods.indexer.upsert(p);
  await h.sync();
  assert.equal(h.pod("web-0").metadata?.labels?.["statefulset.kubernetes.io/pod-name"], "web-0");
  assert.equal(h.pod("web-0").metadata?.labels?.["apps.kubernetes.io/pod-index"], "0");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { errors } from "../../machinery/errors.js";
import { newPod } from "../replicaset/testing.js";
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from "./annotations.js";
import { computeHash, POD_TEMPLATE_HASH_LABEL } from "./hash.js";
import { DeploymentHarness, newDeployment } from "./testing.js";
import { getCondition, type ReplicaSetObject } from "./util.js";

const spec = (rs: ReplicaSetObject | undefined): number => rs?.spec?.replicas ?? 0;
const ann = (o: { metadata?: { annotations?: Record<string, string> } } | undefined, k: string) => o?.metadata?.annotations?.[k];

/** Rolls until nothing changes, checking the surge and availability bounds after every controller step. */
async function rollOut(h: DeploymentHarness, bounds: { maxTotal: number; minAvailable: number }, available?: (image: string) => boolean): Promise<string[]> {
  const steps: string[] = [];
  for (let i = 0; i < 50; i++) {
    const before = JSON.stringify(h.replicaSetsOf().map((rs) => spec(rs)));
    await h.sync();
    const rss = h.replicaSetsOf();
    const total = rss.reduce((n, rs) => n + spec(rs), 0);
    // Pods of a scaled-down RS are gone at once; new pods are not available until settle().
    const availableNow = rss.reduce((n, rs) => n + Math.min(spec(rs), rs.status?.availableReplicas ?? 0), 0);
    assert.ok(total <= bounds.maxTotal, `step ${i}: ${total} pods exceed ${bounds.maxTotal}`);
    assert.ok(availableNow >= bounds.minAvailable, `step ${i}: only ${availableNow} available, below ${bounds.minAvailable}`);
    const after = JSON.stringify(rss.map((rs) => spec(rs)));
    if (after !== before) steps.push(rss.map((rs) => spec(rs)).join("/"));
    h.settle(available);
    if (after === before && i > 0) {
      await h.sync();
      if (JSON.stringify(h.replicaSetsOf().map((rs) => spec(rs))) === after) return steps;
    }
  }
  throw new Error("rollout did not settle");
}

test("first sync creates <name>-<hash> with pod-template-hash label and selector, revision 1, replica annotations", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 3, "nginx:1"));
  await h.sync();
  const [rs] = h.replicaSetsOf();
  const hash = computeHash(h.get().spec?.template);
  assert.equal(rs?.metadata?.name, `web-${hash}`);
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL], hash);
  assert.equal(rs?.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL], hash);
  assert.deepEqual(rs?.spec?.selector?.matchLabels, { app: "web", [POD_TEMPLATE_HASH_LABEL]: hash });
  assert.equal(spec(rs), 3);
  assert.equal(ann(rs, REVISION_ANNOTATION), "1");
  assert.equal(ann(rs, DESIRED_REPLICAS_ANNOTATION), "3");
  assert.equal(ann(rs, MAX_REPLICAS_ANNOTATION), "4", "25% surge of 3 rounds up to 1");
  assert.deepEqual(rs?.metadata?.ownerReferences, [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d-web", controller: true, blockOwnerDeletion: true }]);
  assert.equal(ann(h.get(), REVISION_ANNOTATION), "1");
  assert.deepEqual(h.events(), [`Normal ScalingReplicaSet Scaled up replica set web-${hash} to 3`]);
  const progressing = getCondition(h.get().status, "Progressing");
  assert.equal(progressing?.reason, "NewReplicaSetCreated");
  assert.equal(progressing?.message, `Created new replica set "web-${hash}"`);

  h.settle();
  await h.sync();
  const st = h.get().status!;
  assert.deepEqual(
    { observed: st.observedGeneration, replicas: st.replicas, updated: st.updatedReplicas, ready: st.readyReplicas, available: st.availableReplicas, unavailable: st.unavailableReplicas },
    { observed: 1, replicas: 3, updated: 3, ready: 3, available: 3, unavailable: 0 },
  );
  assert.equal(getCondition(st, "Progressing")?.reason, "NewReplicaSetAvailable");
  assert.equal(getCondition(st, "Progressing")?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
  assert.equal(getCondition(st, "Available")?.reason, "MinimumReplicasAvailable");
  assert.equal(getCondition(st, "Available")?.status, "True");
});

test("the hash ignores pod-template-hash, key order and empty values, and changes with collisionCount", () => {
  const a = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x", env: [] }] } };
  const b = { spec: { containers: [{ image: "x", name: "c" }] }, metadata: { annotations: {}, labels: { [POD_TEMPLATE_HASH_LABEL]: "zzz", app: "web" } } };
  assert.equal(computeHash(a), computeHash(b));
  assert.notEqual(computeHash(a), computeHash(a, 1));
  assert.notEqual(computeHash(a), computeHash({ ...a, spec: { containers: [{ name: "c", image: "y" }] } }));
});

test("RollingUpdate maxSurge=1 maxUnavailable=0: one new pod at a time, never below 3 available", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 3, "A", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await rollOut(h, { maxTotal: 4, minAvailable: 0 });
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  const steps = await rollOut(h, { maxTotal: 4, minAvailable: 3 });
  // old/new after each step.
  assert.deepEqual(steps, ["3/1", "2/1", "2/2", "1/2", "1/3", "0/3"]);
  assert.equal(ann(h.get(), REVISION_ANNOTATION), "2");
  assert.equal(ann(h.rsWithImage("B"), REVISION_ANNOTATION), "2");
  assert.ok(h.events().includes(`Normal ScalingReplicaSet Scaled down replica set ${h.rsWithImage("A")?.metadata?.name} to 2 from 3`));
  const st = h.get().status!;
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.replicas, 3);
  assert.equal(getCondition(st, "Progressing")?.reason, "NewReplicaSetAvailable");
});

test("RollingUpdate maxSurge=0 maxUnavailable=1: down first, then up, never above 3 pods", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 3, "A", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } }));
  await rollOut(h, { maxTotal: 3, minAvailable: 0 });
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  const steps = await rollOut(h, { maxTotal: 3, minAvailable: 2 });
  // The new ReplicaSet starts at 0 while one old pod goes in the same step.
  assert.deepEqual(steps, ["2/0", "2/1", "1/1", "1/2", "0/2", "0/3"]);
});

test("RollingUpdate percentages: 25% of 10 surges 3 (rounded up) and leaves 8 available (2 unavailable, rounded down)", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 10, "A"));
  await rollOut(h, { maxTotal: 13, minAvailable: 0 });
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  const steps = await rollOut(h, { maxTotal: 13, minAvailable: 8 });
  // One step surges by 3 and, as 10 old pods are available, lets 2 of them go (8 must stay available).
  assert.equal(steps[0], "8/3");
  assert.equal(steps.at(-1), "0/10");
});

test("rollback: putting the old template back reuses the first ReplicaSet, bumping its revision", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 3, "A"));
  await rollOut(h, { maxTotal: 4, minAvailable: 0 });
  const first = h.rsWithImage("A")!;
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  await rollOut(h, { maxTotal: 4, minAvailable: 2 });
  // kubectl rollout undo: the template of revision 1 (without its pod-template-hash label) goes back.
  h.edit("web", (d) => {
    const t = structuredClone(first.spec!.template!);
    delete t.metadata!.labels![POD_TEMPLATE_HASH_LABEL];
    d.spec!.template = t;
  });
  await rollOut(h, { maxTotal: 4, minAvailable: 2 });
  const rss = h.replicaSetsOf();
  assert.equal(rss.length, 2, "no third ReplicaSet");
  const revived = h.rsWithImage("A")!;
  assert.equal(revived.metadata?.uid, first.metadata?.uid);
  assert.equal(spec(revived), 3);
  assert.equal(spec(h.rsWithImage("B")), 0, "kept, scaled to zero, for the next undo");
  assert.equal(ann(revived, REVISION_ANNOTATION), "3");
  assert.equal(ann(revived, REVISION_HISTORY_ANNOTATION), "1");
  assert.equal(ann(h.get(), REVISION_ANNOTATION), "3");
  assert.deepEqual(h.control.created.length, 2);
});

test("revisionHistoryLimit: old ReplicaSets beyond the limit are deleted, oldest revisions first", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 2, "v1", { revisionHistoryLimit: 2 }));
  await rollOut(h, { maxTotal: 3, minAvailable: 0 });
  for (const v of ["v2", "v3", "v4", "v5"]) {
    h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = v));
    await rollOut(h, { maxTotal: 3, minAvailable: 1 });
  }
  assert.deepEqual(
    h.replicaSetsOf().map((rs) => `${rs.spec?.template?.spec?.containers[0]?.image}:${ann(rs, REVISION_ANNOTATION)}:${spec(rs)}`),
    ["v3:3:0", "v4:4:0", "v5:5:2"],
  );
  assert.equal(h.control.deleted.length, 2);
});

test("paused: a template change makes no new ReplicaSet, scaling still applies; resuming rolls out", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 2, "A"));
  await rollOut(h, { maxTotal: 3, minAvailable: 0 });
  h.edit("web", (d) => {
    d.spec!.paused = true;
    d.spec!.template!.spec!.containers[0]!.image = "B";
  });
  await h.sync();
  assert.equal(getCondition(h.get().status, "Progressing")?.reason, "DeploymentPaused");
  assert.equal(getCondition(h.get().status, "Progressing")?.status, "Unknown");
  assert.equal(h.replicaSetsOf().length, 1);
  h.edit("web", (d) => (d.spec!.replicas = 4));
  await h.sync();
  assert.equal(spec(h.rsWithImage("A")), 4, "kubectl scale works while paused");
  assert.equal(h.replicaSetsOf().length, 1);
  h.settle();
  h.edit("web", (d) => (d.spec!.paused = false));
  await h.sync();
  assert.ok(h.rsWithImage("B"), "resumed: the new ReplicaSet appears");
  assert.equal(h.get().status?.observedGeneration, h.get().metadata?.generation);
  const steps = await rollOut(h, { maxTotal: 5, minAvailable: 3 });
  assert.equal(steps.at(-1), "0/4");
});

test("proportional scaling mid-rollout: 10 -> 15 with 8 old and 5 stuck new pods adds 3 to old and 2 to new", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 10, "A", { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
  await rollOut(h, { maxTotal: 13, minAvailable: 0 });
  // Image B never becomes available: the rollout stalls at 8 old + 5 new.
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  await rollOut(h, { maxTotal: 13, minAvailable: 8 }, (img) => img !== "B");
  assert.deepEqual([spec(h.rsWithImage("A")), spec(h.rsWithImage("B"))], [8, 5]);
  h.edit("web", (d) => (d.spec!.replicas = 15));
  await h.sync();
  assert.deepEqual([spec(h.rsWithImage("A")), spec(h.rsWithImage("B"))], [11, 7]);
  for (const rs of h.replicaSetsOf()) {
    assert.equal(ann(rs, DESIRED_REPLICAS_ANNOTATION), "15");
    assert.equal(ann(rs, MAX_REPLICAS_ANNOTATION), "18");
  }
});

test("Recreate: old ReplicaSets go to zero, the new one waits until their pods are gone", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 2, "A", { strategy: { type: "Recreate" } }));
  await h.sync();
  h.settle();
  const old = h.rsWithImage("A")!;
  assert.equal(spec(old), 2);
  h.pods.indexer.upsert(newPod("web-a1", { owner: old, labels: { ...old.spec!.template!.metadata!.labels } }));
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  await h.sync();
  assert.equal(spec(h.rsWithImage("A")), 0);
  assert.equal(h.rsWithImage("B"), undefined);
  h.settle();
  await h.sync();
  assert.equal(h.rsWithImage("B"), undefined, "a pod of the old ReplicaSet is still running");
  h.pods.indexer.deleteKey("default/web-a1");
  await h.sync();
  assert.equal(spec(h.rsWithImage("B")), 2);
});

test("progress deadline: a stalled rollout times out with ProgressDeadlineExceeded on the clock", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 2, "A", { progressDeadlineSeconds: 60 }));
  await rollOut(h, { maxTotal: 3, minAvailable: 0 });
  h.edit("web", (d) => (d.spec!.template!.spec!.containers[0]!.image = "B"));
  await rollOut(h, { maxTotal: 3, minAvailable: 1 }, (img) => img !== "B");
  const requeue = await h.sync();
  assert.ok(requeue !== undefined && requeue > 0 && requeue <= 60_000, `asks to come back before the deadline (${requeue})`);
  assert.equal(getCondition(h.get().status, "Progressing")?.reason, "ReplicaSetUpdated");
  h.clock.advance(61_000);
  await h.sync();
  const c = getCondition(h.get().status, "Progressing");
  assert.equal(c?.status, "False");
  assert.equal(c?.reason, "ProgressDeadlineExceeded");
  assert.equal(c?.message, `ReplicaSet "${h.rsWithImage("B")?.metadata?.name}" has timed out progressing.`);
  assert.equal(await h.sync(), undefined, "no more requeues once timed out");
});

test("Available=False MinimumReplicasUnavailable while fewer than replicas - maxUnavailable are available", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 4, "A"));
  await h.sync();
  h.settle(() => false);
  await h.sync();
  const c = getCondition(h.get().status, "Available");
  assert.equal(c?.status, "False");
  assert.equal(c?.reason, "MinimumReplicasUnavailable");
  assert.equal(h.get().status?.unavailableReplicas, 4);
});

test("a name collision with a foreign ReplicaSet bumps collisionCount and the next sync uses a new hash", async () => {
  const h = new DeploymentHarness();
  const d = newDeployment("web", 1, "A");
  h.add(d);
  const hash = computeHash(d.spec!.template);
  await h.control.createReplicaSet("default", { metadata: { name: `web-${hash}`, labels: { other: "x" } }, spec: { selector: { matchLabels: { other: "x" } }, template: { metadata: { labels: { other: "x" } } } } });
  await assert.rejects(h.sync(), (e) => e instanceof Error && /already exists/.test(e.message));
  assert.equal(h.get().status?.collisionCount, 1);
  await h.sync();
  const [rs] = h.replicaSetsOf();
  assert.equal(rs?.metadata?.name, `web-${computeHash(d.spec!.template, 1)}`);
});

test("adopts an orphan ReplicaSet matching the selector and reuses it when its template matches", async () => {
  const h = new DeploymentHarness();
  const d = newDeployment("web", 2, "A");
  h.add(d);
  const template = { metadata: { labels: { app: "web", [POD_TEMPLATE_HASH_LABEL]: "old" } }, spec: { containers: [{ name: "app", image: "A" }] } };
  await h.control.createReplicaSet("default", { metadata: { name: "web-old", labels: template.metadata.labels }, spec: { replicas: 2, selector: { matchLabels: template.metadata.labels }, template } });
  await h.sync();
  const rss = h.replicaSetsOf();
  assert.deepEqual(rss.map((r) => r.metadata?.name), ["web-old"]);
  assert.equal(rss[0]?.metadata?.ownerReferences?.[0]?.uid, "d-web");
});

test("an empty selector is refused with a SelectingAll event; only observedGeneration moves", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 1, "A", { selector: {} }));
  await h.sync();
  assert.deepEqual(h.events(), ["Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required."]);
  assert.equal(h.replicaSetsOf().length, 0);
  assert.equal(h.get().status?.observedGeneration, 1);
});

test("ReplicaSet creation failure sets Progressing=False ReplicaSetCreateError", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 1, "A"));
  const orig = h.control.createReplicaSet.bind(h.control);
  h.control.createReplicaSet = async () => {
    throw errors.forbidden({ group: "apps", resource: "replicasets" }, "web-x", "exceeded quota");
  };
  await assert.rejects(h.sync(), /exceeded quota/);
  const c = getCondition(h.get().status, "Progressing");
  assert.equal(c?.status, "False");
  assert.equal(c?.reason, "ReplicaSetCreateError");
  h.control.createReplicaSet = orig;
  await h.sync();
  assert.equal(getCondition(h.get().status, "Progressing")?.reason, "NewReplicaSetCreated");
});

test("a write conflict (stale cache) is retried through the queue instead of failing the sync", async () => {
  const h = new DeploymentHarness();
  h.add(newDeployment("web", 1, "A"));
  const orig = h.control.updateDeploymentStatus.bind(h.control);
  h.control.updateDeploymentStatus = async () => {
    h.control.updateDeploymentStatus = orig;
    throw errors.conflict({ group: "apps", resource: "deployments" }, "web", "the object has been modified");
  };
  await h.sync();
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1000);
  assert.equal(h.controller.queue.len(), 1, "requeued after a backoff");
  await h.sync();
  // The ReplicaSet was created before the conflict: the retry finds it.
  assert.equal(h.replicaSetsOf().length, 1);
  assert.equal(getCondition(h.get().status, "Progressing")?.reason, "FoundNewReplicaSet");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { EXPECTATIONS_TTL_MS } from "../../client/expectations.js";
import { errors } from "../../machinery/errors.js";
import { Harness, newPod, newReplicaSet } from "./testing.js";
import { REPLICATION_CONTROLLER, type ReplicaSetLike } from "./workload_kind.js";

test("scales up from zero: pods from the template, named <rs>-, controlled by the ReplicaSet", async () => {
  const h = new Harness();
  const rs = h.addOwner(newReplicaSet("web", 3));
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 3);
  for (const pod of h.podControl.created) {
    assert.equal(pod.metadata?.generateName, "web-");
    assert.deepEqual(pod.metadata?.labels, { app: "web" });
    assert.deepEqual(pod.metadata?.ownerReferences, [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(pod.spec?.containers[0]?.image, "img");
  }
  const status = h.owner("default/web").status;
  assert.equal(status?.replicas, 0, "the pods do not exist yet");
  assert.equal(status?.observedGeneration, 1);
});

test("expectations: a second sync before the informer saw the creates creates nothing; an expired expectation heals", async () => {
  const h = new Harness();
  h.addOwner(newReplicaSet("web", 3));
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 3);
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 3, "no duplicate burst while creates are unobserved");
  // The informer sees two of the three pods.
  h.controller.expectations.creationObserved("default/web");
  h.controller.expectations.creationObserved("default/web");
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 3);
  // The third watch event was lost: after the TTL the controller acts on what it sees.
  h.clock.advance(EXPECTATIONS_TTL_MS + 1);
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 6);
});

test("creates in slow-start batches and stops at the first failing batch, reporting ReplicaFailure", async () => {
  const h = new Harness();
  h.addOwner(newReplicaSet("web", 10));
  h.podControl.createLimit = 2;
  h.podControl.createError = errors.forbidden({ group: "", resource: "pods" }, "web-x", "exceeded quota: compute-resources");
  await assert.rejects(h.controller.sync("default/web"), /exceeded quota/);
  // Batches of 1 then 2: the second batch fails once, and no batch of 4 is tried.
  assert.equal(h.podControl.createAttempts, 3);
  assert.equal(h.podControl.created.length, 2);
  const cond = h.owner("default/web").status?.conditions?.find((c) => c.type === "ReplicaFailure");
  assert.equal(cond?.status, "True");
  assert.equal(cond?.reason, "FailedCreate");
  assert.match(cond?.message ?? "", /exceeded quota/);
  // Failed creates are not expected any more: only the two successful ones are awaited.
  assert.deepEqual(h.controller.expectations.getExpectations("default/web"), { add: 2, del: 0 });

  // Quota freed, the pods observed: the next sync creates the rest and clears the condition.
  h.controller.expectations.creationObserved("default/web");
  h.controller.expectations.creationObserved("default/web");
  h.podControl.createLimit = Infinity;
  h.addPods(...h.podControl.created.map((p, i) => ({ ...p, metadata: { ...p.metadata, name: `web-${i}`, uid: `c${i}` } })));
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 10);
  assert.equal(h.owner("default/web").status?.conditions, undefined);
});

test("replaces failed, succeeded and deleting pods; ignores pods of other owners", async () => {
  const h = new Harness();
  const rs = h.addOwner(newReplicaSet("web", 3));
  const other = newReplicaSet("other", 1);
  h.addPods(
    newPod("ok", { owner: rs, ready: true }),
    newPod("failed", { owner: rs, phase: "Failed" }),
    newPod("done", { owner: rs, phase: "Succeeded" }),
    newPod("going", { owner: rs, deleting: true }),
    newPod("theirs", { owner: other }),
  );
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 2);
  assert.deepEqual(h.podControl.patched, [], "a pod controlled by another owner is never adopted");
  const status = h.owner("default/web").status;
  assert.equal(status?.replicas, 1);
  assert.equal(status?.readyReplicas, 1);
});

test("scales down by rank: unassigned, then pending, then not ready, then more restarts, then newest", async () => {
  const h = new Harness();
  const rs = h.addOwner(newReplicaSet("web", 2));
  const t0 = Date.UTC(2025, 0, 1);
  h.addPods(
    newPod("ready-old", { owner: rs, nodeName: "n1", ready: true, created: t0 }),
    newPod("ready-new", { owner: rs, nodeName: "n2", ready: true, created: t0 + 1000, readySince: t0 }),
    newPod("unassigned", { owner: rs, phase: "Pending" }),
    newPod("pending", { owner: rs, nodeName: "n1", phase: "Pending" }),
    newPod("unready", { owner: rs, nodeName: "n3", ready: false }),
    newPod("restarts", { owner: rs, nodeName: "n3", ready: false, restarts: 5 }),
  );
  await h.controller.sync("default/web");
  assert.deepEqual(h.podControl.deleted.sort(), ["pending", "restarts", "unassigned", "unready"]);
  h.podControl.clear();
  // While the deletions are unobserved, nothing more happens.
  await h.controller.sync("default/web");
  assert.deepEqual(h.podControl.deleted, []);
});

test("adopts matching orphans, releases pods whose labels stopped matching, leaves non-matching orphans alone", async () => {
  const h = new Harness();
  const rs = h.addOwner(newReplicaSet("web", 2));
  h.addPods(
    newPod("orphan", { labels: { app: "web" } }),
    newPod("stranger", { labels: { app: "db" } }),
    newPod("relabelled", { owner: rs, labels: { app: "web-debug" } }),
    newPod("mine", { owner: rs }),
  );
  await h.controller.sync("default/web");
  const byName = Object.fromEntries(h.podControl.patched.map((p) => [p.name, p.patch as { metadata: { ownerReferences: unknown } }]));
  assert.deepEqual(Object.keys(byName).sort(), ["orphan", "relabelled"]);
  assert.deepEqual(byName.orphan!.metadata.ownerReferences, [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(byName.relabelled!.metadata.ownerReferences, null);
  assert.equal(h.podControl.created.length, 0, "the adopted orphan counts: 2 replicas");
  assert.equal(h.owner("default/web").status?.replicas, 2);
});

test("set-based selectors: matchExpressions In, NotIn, Exists, DoesNotExist decide what is adopted", async () => {
  const h = new Harness();
  const rs = newReplicaSet("web", 5);
  rs.spec!.selector = {
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["front", "edge"] },
      { key: "env", operator: "NotIn", values: ["dev"] },
      { key: "team", operator: "Exists" },
      { key: "legacy", operator: "DoesNotExist" },
    ],
  };
  h.addOwner(rs);
  const base = { app: "web", team: "a" };
  h.addPods(
    newPod("yes-front", { labels: { ...base, tier: "front" } }),
    newPod("yes-edge-prod", { labels: { ...base, tier: "edge", env: "prod" } }),
    newPod("no-tier", { labels: { ...base, tier: "back" } }),
    newPod("no-dev", { labels: { ...base, tier: "front", env: "dev" } }),
    newPod("no-team", { labels: { app: "web", tier: "front" } }),
    newPod("no-legacy", { labels: { ...base, tier: "front", legacy: "1" } }),
  );
  await h.controller.sync("default/web");
  assert.deepEqual(h.podControl.patched.map((p) => p.name).sort(), ["yes-edge-prod", "yes-front"]);
});

test("does not adopt when a fresh read shows the owner is gone or replaced", async () => {
  const h = new Harness();
  const rs = h.addOwner(newReplicaSet("web", 1));
  h.addPods(newPod("orphan"));
  // The cache still shows the old object; the API has a new one under the same name.
  h.liveOwner = () => ({ ...rs, metadata: { ...rs.metadata, uid: "someone-else" } });
  await h.controller.sync("default/web");
  assert.deepEqual(h.podControl.patched, []);
  h.liveOwner = () => undefined;
  await h.controller.sync("default/web");
  assert.deepEqual(h.podControl.patched, []);
});

test("status: readyReplicas, availableReplicas after minReadySeconds on the clock, fullyLabeledReplicas, requeue", async () => {
  const h = new Harness();
  const rs = newReplicaSet("web", 3, { minReadySeconds: 10 });
  rs.spec!.template!.metadata!.labels = { app: "web", version: "2" };
  h.addOwner(rs);
  const now = h.clock.now();
  h.addPods(
    newPod("a", { owner: rs, ready: true, readySince: now - 60_000, labels: { app: "web", version: "2" } }),
    newPod("b", { owner: rs, ready: true, readySince: now - 2_000 }),
    newPod("c", { owner: rs, ready: true, readySince: now }),
  );
  const res = await h.controller.sync("default/web");
  let status = h.owner("default/web").status!;
  assert.deepEqual(
    { replicas: status.replicas, ready: status.readyReplicas, available: status.availableReplicas, fully: status.fullyLabeledReplicas },
    { replicas: 3, ready: 3, available: 1, fully: 1 },
  );
  assert.deepEqual(res, { requeueAfterMs: 10_000 }, "comes back when the ready pods become available");
  h.clock.advance(10_000);
  assert.equal(await h.controller.sync("default/web"), undefined);
  status = h.owner("default/web").status!;
  assert.equal(status.availableReplicas, 3);
  const writes = h.statusWrites.length;
  await h.controller.sync("default/web");
  assert.equal(h.statusWrites.length, writes, "an unchanged status is not written again");
});

test("a ReplicaSet being deleted creates nothing; a missing one is a no-op", async () => {
  const h = new Harness();
  const rs = newReplicaSet("web", 3);
  rs.metadata = { ...rs.metadata, deletionTimestamp: new Date().toISOString() };
  h.addOwner(rs);
  await h.controller.sync("default/web");
  assert.equal(h.podControl.created.length, 0);
  await h.controller.sync("default/nothing-here");
});

test("ReplicationController: equality selector defaulting to the template labels, v1 owner references", async () => {
  const h = new Harness(REPLICATION_CONTROLLER);
  const rc: ReplicaSetLike = {
    apiVersion: "v1",
    kind: "ReplicationController",
    metadata: { name: "legacy", namespace: "default", uid: "rc-uid", resourceVersion: "1", generation: 1 },
    spec: { replicas: 2, template: { metadata: { labels: { app: "legacy" } }, spec: { containers: [{ name: "c", image: "img" }] } } },
  };
  h.addOwner(rc);
  h.addPods(newPod("orphan", { labels: { app: "legacy", extra: "x" } }), newPod("other", { labels: { app: "web" } }));
  await h.controller.sync("default/legacy");
  assert.deepEqual(h.podControl.patched.map((p) => p.name), ["orphan"]);
  assert.equal(h.podControl.created.length, 1);
  assert.deepEqual(h.podControl.created[0]!.metadata?.ownerReferences?.[0], { apiVersion: "v1", kind: "ReplicationController", name: "legacy", uid: "rc-uid", controller: true, blockOwnerDeletion: true });
  assert.equal(h.owner("default/legacy").status?.replicas, 1);
});

// The disruption controller against the real API server (SQLite), with no other controller running: the test
// writes the ReplicaSets, Deployments and pods itself and reads back what the controller writes into each
// PodDisruptionBudget's status, and what the eviction subresource then allows.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer } from "../../daemons/server.js";
import { isStatusError } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { rfc3339 } from "../replicaset/pod_utils.js";
import { startController } from "../types.js";
import { DisruptionController, PDB_REF, type PdbObject } from "./disruption_controller.js";

type PodObject = Pod & KubeObject;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== undefined) return last as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ client: Client }> {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-disruption-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false, metrics: false, leaderElect: false, controllerManager: { controllers: [] } });
  t.after(() => server.stop());
  const client = createClient({ server: server.url });
  t.after(() => client.close());
  const informers = new SharedInformerFactory({ client, log: silentLogger });
  const dc = startController(new DisruptionController({ client, informers, log: silentLogger }));
  t.after(() => dc.stop());
  return { client };
}

const owner = (o: KubeObject) => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true });

/** A running pod with the app label, Ready or not, owned by `by` when given. */
async function runningPod(client: Client, name: string, ready: boolean, by?: KubeObject): Promise<PodObject> {
  const pods = client.resource<PodObject>(resources.pods);
  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "web" }, ownerReferences: by ? [owner(by)] : undefined }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  return pods.patch("default", name, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }, { subresource: "status" });
}

async function replicaSet(client: Client, name: string, replicas: number, by?: KubeObject): Promise<KubeObject> {
  return client.resource(resources.replicasets).create("default", {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, ownerReferences: by ? [owner(by)] : undefined },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
}

/** The budget's status once the controller has answered its current generation and it satisfies `ok`. */
function statusOf(client: Client, name: string, ok: (s: NonNullable<PdbObject["status"]>) => boolean = () => true): Promise<NonNullable<PdbObject["status"]>> {
  return until(`the status of ${name}`, async () => {
    const p = await client.resource<PdbObject>(PDB_REF).get("default", name);
    return p.status?.observedGeneration === p.metadata?.generation && ok(p.status!) ? p.status! : undefined;
  });
}

async function evict(client: Client, name: string): Promise<number> {
  try {
    await client.request({ method: "POST", path: `/api/v1/namespaces/default/pods/${name}/eviction`, body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: "default" } } });
    return 201;
  } catch (err) {
    if (isStatusError(err)) return err.status.code ?? 0;
    throw err;
  }
}

test("minAvailable as a number: counts Ready pods, allows the rest to go, and an eviction spends the allowance", async (t) => {
  const { client } = await setup(t);
  const rs = await replicaSet(client, "web-1", 4);
  for (const [name, ready] of [["a", true], ["b", true], ["c", true], ["d", false]] as const) await runningPod(client, name, ready, rs);
  await client.resource<PdbObject>(PDB_REF).create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: 2, selector: { matchLabels: { app: "web" } } } });

  // Once the controller has seen the 4 pods (their watch and the budget's are separate streams):
  const s = await statusOf(client, "web", (x) => x.expectedPods === 4);
  assert.deepEqual([s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed], [3, 2, 1]);
  assert.deepEqual(s.conditions?.map((c) => [c.type, c.status, c.reason]), [["DisruptionAllowed", "True", "SufficientPods"]]);

  // One eviction goes through; the next finds the allowance spent (the evicted pod is in disruptedPods).
  assert.equal(await evict(client, "a"), 201);
  assert.equal(await evict(client, "b"), 429);
  // The unbound pod is deleted at once: the controller sees it gone and counts the two healthy pods left.
  const after = await statusOf(client, "web", (x) => x.expectedPods === 3);
  assert.deepEqual([after.expectedPods, after.currentHealthy, after.disruptionsAllowed, after.disruptedPods], [3, 2, 0, {}]);
  assert.deepEqual(after.conditions?.map((c) => [c.status, c.reason]), [["False", "InsufficientPods"]]);

  // The not-ready pod turns Ready: one may go again.
  await client.resource<PodObject>(resources.pods).patch("default", "d", "merge", { status: { conditions: [{ type: "Ready", status: "True" }] } }, { subresource: "status" });
  const ready = await statusOf(client, "web", (x) => x.currentHealthy === 3);
  assert.equal(ready.disruptionsAllowed, 1);
  assert.equal(await evict(client, "b"), 201);
});

test("maxUnavailable and percentages count the replicas the controllers want (a Deployment's over its ReplicaSet), rounding up", async (t) => {
  const { client } = await setup(t);
  const deployment = await client.resource(resources.deployments).create("default", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { replicas: 5, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
  // The ReplicaSet says 3 (mid-rollout, say); the Deployment's 5 is what is expected. Only 3 pods exist, all Ready.
  const rs = await replicaSet(client, "web-1", 3, deployment);
  for (const name of ["a", "b", "c"]) await runningPod(client, name, true, rs);
  const pdbs = client.resource<PdbObject>(PDB_REF);
  await pdbs.create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "max" }, spec: { maxUnavailable: "30%", selector: { matchLabels: { app: "web" } } } });
  await pdbs.create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "min" }, spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } } });

  // 30% of 5 is 1.5, rounded up to 2 unavailable: 3 must stay healthy, and 3 are: nothing may go.
  // (Waiting until the controller has seen the Deployment and the 3 pods: each comes on its own watch.)
  const seen = (x: NonNullable<PdbObject["status"]>): boolean => x.expectedPods === 5 && x.currentHealthy === 3;
  const max = await statusOf(client, "max", seen);
  assert.deepEqual([max.desiredHealthy, max.disruptionsAllowed], [3, 0]);
  // 50% of 5 rounded up is 3 as well.
  const min = await statusOf(client, "min", seen);
  assert.deepEqual([min.desiredHealthy, min.disruptionsAllowed], [3, 0]);

  // The Deployment scaled down to 3: 30% of 3 rounds up to 1 unavailable, so one of the 3 may go.
  await client.resource(resources.deployments).patch("default", "web", "merge", { spec: { replicas: 3 } });
  const scaled = await statusOf(client, "max", (x) => x.expectedPods === 3);
  assert.deepEqual([scaled.desiredHealthy, scaled.disruptionsAllowed], [2, 1]);

  // A selected pod no controller accounts for: the percentage budget cannot be worked out and allows nothing.
  // (The other budget goes first: the eviction subresource refuses pods under two budgets.)
  await pdbs.delete("default", "min");
  await runningPod(client, "stray", true);
  const failed = await statusOf(client, "max", (x) => x.conditions?.some((c) => c.reason === "SyncFailed") === true);
  assert.equal(failed.disruptionsAllowed, 0);
  assert.match(failed.conditions!.find((c) => c.type === "DisruptionAllowed")!.message!, /found no controller ref for pod "stray"/);
  assert.equal(await evict(client, "a"), 429);
});

test("an evicted pod not deleted within two minutes counts as healthy again; a recent one does not", async (t) => {
  const { client } = await setup(t);
  for (const name of ["a", "b", "c"]) await runningPod(client, name, true);
  const pdbs = client.resource<PdbObject>(PDB_REF);
  await pdbs.create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } } });
  const first = await statusOf(client, "web", (x) => x.currentHealthy === 3);
  assert.equal(first.disruptionsAllowed, 2);
  // As the eviction subresource writes them: a (three minutes ago, its deletion never came) and b (just now).
  const cur = await pdbs.get("default", "web");
  const at = (agoMs: number): string => rfc3339(Date.now() - agoMs);
  await pdbs.updateStatus("default", { ...cur, status: { ...cur.status, disruptedPods: { a: at(3 * 60_000), b: at(0), gone: at(0) } } });
  const s = await statusOf(client, "web", (x) => x.currentHealthy === 2);
  assert.deepEqual(Object.keys(s.disruptedPods ?? {}), ["b"], "the timed-out entry and the one of a pod that does not exist are dropped");
  assert.equal(s.disruptionsAllowed, 1);
});

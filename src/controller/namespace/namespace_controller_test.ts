import { test } from "node:test";
import assert from "node:assert/strict";
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer, type FakeApiServer } from "../../client/testing/fake_apiserver.js";
import { errors, isNotFound, isStatusError } from "../../machinery/errors.js";
import { startController } from "../types.js";
import { NamespaceController } from "./namespace_controller.js";
import { deletionConditions, mergeConditions } from "./conditions.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ srv: FakeApiServer; client: Client }> {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const informers = new SharedInformerFactory({ client });
  const nc = new NamespaceController({
    client,
    informers,
    resources: [resources.pods, resources.configmaps, resources.replicasets, resources.leases],
    recheckMs: 20,
  });
  const running = startController(nc);
  t.after(async () => {
    await running.stop();
    client.close();
    await srv.close();
  });
  return { srv, client };
}

type Ns = Namespace & KubeObject;
const getNs = (client: Client, name: string): Promise<Ns> => client.resource<Ns>(resources.namespaces).get(undefined, name);
async function nsGone(client: Client, name: string): Promise<boolean> {
  try {
    await getNs(client, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
const condition = (ns: Ns, type: string) => ns.status?.conditions?.find((c) => c.type === type);

test("deleting a namespace deletes its content, waits for lingering pods, then the namespace goes", async (t) => {
  const { client } = await setup(t);
  await client.resource(resources.namespaces).create(undefined, { metadata: { name: "team" } });
  await client.resource(resources.configmaps).create("team", { metadata: { name: "cfg" } });
  await client.resource(resources.replicasets).create("team", { metadata: { name: "rs" }, spec: {} });
  // A pod that terminates slowly: its finalizer stands in for a kubelet still stopping containers.
  await client.resource(resources.pods).create("team", { metadata: { name: "slow", finalizers: ["test/terminating"] }, spec: {} });
  await client.resource(resources.configmaps).create("default", { metadata: { name: "bystander" } });

  await client.resource(resources.namespaces).delete(undefined, "team");
  const terminating = await getNs(client, "team");
  assert.equal(terminating.status?.phase, "Terminating");
  await assert.rejects(client.resource(resources.configmaps).create("team", { metadata: { name: "late" } }), (e) => isStatusError(e, "Forbidden"));

  await until(async () => condition(await getNs(client, "team"), "NamespaceFinalizersRemaining")?.status === "True", "conditions reported");
  const waiting = await getNs(client, "team");
  assert.equal(condition(waiting, "NamespaceContentRemaining")?.message, "Some resources are remaining: pods. has 1 resource instances");
  assert.equal(condition(waiting, "NamespaceFinalizersRemaining")?.message, "Some content in the namespace has finalizers remaining: test/terminating in 1 resource instances");
  assert.equal(condition(waiting, "NamespaceDeletionContentFailure")?.status, "False");
  assert.deepEqual(waiting.spec?.finalizers, ["kubernetes"], "not finalized while content remains");
  assert.equal((await client.resource(resources.configmaps).list("team")).items.length, 0);
  assert.equal((await client.resource(resources.replicasets).list("team")).items.length, 0);

  // The pod finishes terminating.
  await client.resource(resources.pods).patch("team", "slow", "merge", { metadata: { finalizers: null } });
  await until(() => nsGone(client, "team"), "namespace deleted");
  await client.resource(resources.configmaps).get("default", "bystander");
});

test("a failure deleting content is reported as NamespaceDeletionContentFailure and retried", async (t) => {
  const { srv, client } = await setup(t);
  await client.resource(resources.namespaces).create(undefined, { metadata: { name: "flaky" } });
  await client.resource(resources.configmaps).create("flaky", { metadata: { name: "c" } });
  srv.injectError({ method: "DELETE", path: "/namespaces/flaky/configmaps", times: 2, error: errors.internal("etcd unavailable") });
  await client.resource(resources.namespaces).delete(undefined, "flaky");
  await until(async () => condition(await getNs(client, "flaky"), "NamespaceDeletionContentFailure")?.status === "True", "failure reported");
  const failing = await getNs(client, "flaky");
  assert.match(condition(failing, "NamespaceDeletionContentFailure")!.message!, /^Failed to delete all resource types, 1 remaining: configmaps\.: Internal error occurred: etcd unavailable/);
  await until(() => nsGone(client, "flaky"), "namespace deleted after retries");
});

test("an empty namespace is finalized at once; one with other finalizers waits for them", async (t) => {
  const { client } = await setup(t);
  const nss = client.resource<Ns>(resources.namespaces);
  await nss.create(undefined, { metadata: { name: "empty" } });
  await nss.delete(undefined, "empty");
  await until(() => nsGone(client, "empty"), "empty namespace deleted");
  await nss.create(undefined, { metadata: { name: "held" }, spec: { finalizers: ["kubernetes", "example.com/other"] } });
  await nss.delete(undefined, "held");
  await until(async () => JSON.stringify((await getNs(client, "held")).spec?.finalizers) === '["example.com/other"]', "our finalizer removed");
});

test("conditions keep their transition time while unchanged", () => {
  const empty = { failures: [], remaining: new Map(), finalizers: new Map() };
  const first = mergeConditions([], deletionConditions(empty), "t1")!;
  assert.equal(first.length, 5);
  assert.equal(mergeConditions(first, deletionConditions(empty), "t2"), undefined, "no change, no write");
  const next = mergeConditions(first, deletionConditions({ ...empty, remaining: new Map([["pods.", 2]]) }), "t3")!;
  assert.equal(next.find((c) => c.type === "NamespaceContentRemaining")?.lastTransitionTime, "t3");
  assert.equal(next.find((c) => c.type === "NamespaceDeletionContentFailure")?.lastTransitionTime, "t1");
});

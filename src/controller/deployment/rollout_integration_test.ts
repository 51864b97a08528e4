// The Deployment and ReplicaSet controllers together against the fake API server, over real HTTP, informers
// and watches. No kubelet runs: the test plays it, marking pods Running and Ready through the status subresource.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { SharedInformer } from "../../client/informer.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import { startController, type RunningController } from "../types.js";
import { isPodReady, type PodObject } from "../replicaset/pod_utils.js";
import { ReplicaSetController } from "../replicaset/replica_set_controller.js";
import { REPLICATION_CONTROLLER, type ReplicaSetLike } from "../replicaset/workload_kind.js";
import { REVISION_ANNOTATION } from "./annotations.js";
import { DeploymentController } from "./deployment_controller.js";
import { POD_TEMPLATE_HASH_LABEL } from "./hash.js";
import type { DeploymentObject, ReplicaSetObject } from "./util.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Env {
  client: Client;
  pods: () => Promise<PodObject[]>;
  /** Cleanups run last-registered first, before the controllers and the server stop. */
  defer(fn: () => unknown): void;
}

async function setup(t: { after(fn: () => unknown): void }): Promise<Env> {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const informers = new SharedInformerFactory({ client });
  const running: RunningController[] = [
    startController(new ReplicaSetController({ client, informers })),
    startController(new ReplicaSetController({ client, informers, kind: REPLICATION_CONTROLLER })),
    startController(new DeploymentController({ client, informers })),
  ];
  const deferred: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of deferred.reverse()) await fn();
    await Promise.all(running.map((r) => r.stop()));
    client.close();
    await srv.close();
  });
  const pods = async (): Promise<PodObject[]> => (await client.resource<PodObject>(resources.pods).list("default")).items;
  return { client, pods, defer: (fn) => deferred.push(fn) };
}

/** Plays the kubelet: marks pods Running and Ready, at most one per call so a rollout goes through many steps. */
async function kubeletTick(client: Client, pods: PodObject[]): Promise<void> {
  const pod = pods.find((p) => !p.metadata?.deletionTimestamp && !isPodReady(p));
  if (!pod) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await client
    .resource(resources.pods)
    .patch("default", pod.metadata!.name!, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } }, { subresource: "status" })
    .catch(() => undefined);
}

function startKubelet(env: Env): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await kubeletTick(env.client, await env.pods());
      } catch {
        // A failed round is retried on the next tick, as a kubelet would.
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

const imageOf = (p: { spec?: { containers: Array<{ image?: string }> } }): string | undefined => p.spec?.containers[0]?.image;

test("a Deployment of 3 rolls from A to B within maxUnavailable at every observed step, then rolls back reusing the first ReplicaSet", async (t) => {
  const env = await setup(t);
  const { client } = env;
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  const rsClient = client.resource<ReplicaSetObject>(resources.replicasets);
  env.defer(startKubelet(env));

  // Watch pods as a user would (kubectl get pods -w) and track the fewest ready pods seen while rolling.
  const watcher = new SharedInformer<PodObject>({ source: { client: client.resource<PodObject>(resources.pods), namespace: "default" } });
  const ac = new AbortController();
  const watching = watcher.run(ac.signal);
  env.defer(async () => {
    ac.abort();
    await watching;
  });
  let tracking = false;
  let minReady = Infinity;
  const observe = (): void => {
    if (!tracking) return;
    const ready = watcher.indexer.list().filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p)).length;
    minReady = Math.min(minReady, ready);
  };
  watcher.addEventHandler({ onAdd: observe, onUpdate: observe, onDelete: observe });

  await deploys.create("default", {
    metadata: { name: "web" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "A" }] } },
    },
  });
  const complete = async (image: string): Promise<boolean> => {
    const d = await deploys.get("default", "web");
    const s = d.status;
    const pods = (await env.pods()).filter((p) => !p.metadata?.deletionTimestamp);
    return (
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      s?.updatedReplicas === 3 &&
      s?.replicas === 3 &&
      s?.availableReplicas === 3 &&
      pods.length === 3 &&
      pods.every((p) => imageOf(p) === image && isPodReady(p))
    );
  };
  await until(() => complete("A"), "first rollout of A");
  const firstRS = (await rsClient.list("default")).items;
  assert.equal(firstRS.length, 1);
  const rsA = firstRS[0]!;
  assert.equal(rsA.metadata?.annotations?.[REVISION_ANNOTATION], "1");
  const podsA = await env.pods();
  assert.ok(podsA.every((p) => p.metadata?.name?.startsWith(`${rsA.metadata?.name}-`) && p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === rsA.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]));

  // kubectl set image deployment/web app=B
  tracking = true;
  minReady = Infinity;
  await deploys.patch("default", "web", "strategic", { spec: { template: { spec: { containers: [{ name: "app", image: "B" }] } } } });
  await until(() => complete("B"), "rollout to B");
  tracking = false;
  assert.ok(Number.isFinite(minReady) && minReady >= 2, `ready pods dropped to ${minReady}, below replicas - maxUnavailable = 2`);
  const afterB = (await rsClient.list("default")).items;
  assert.equal(afterB.length, 2);
  const rsB = afterB.find((rs) => rs.metadata?.uid !== rsA.metadata?.uid)!;
  assert.equal(rsB.metadata?.annotations?.[REVISION_ANNOTATION], "2");
  assert.equal(afterB.find((rs) => rs.metadata?.uid === rsA.metadata?.uid)?.spec?.replicas, 0, "the old ReplicaSet is kept at 0 for rollback");

  // kubectl rollout undo: a JSON patch putting revision 1's template (minus pod-template-hash) back.
  const template = structuredClone(rsA.spec!.template!);
  delete template.metadata!.labels![POD_TEMPLATE_HASH_LABEL];
  const current = await deploys.get("default", "web");
  tracking = true;
  minReady = Infinity;
  await deploys.patch("default", "web", "json", [
    { op: "replace", path: "/spec/template", value: template },
    { op: "replace", path: "/metadata/annotations", value: { ...current.metadata?.annotations } },
  ]);
  await until(() => complete("A"), "rollback to A");
  tracking = false;
  assert.ok(Number.isFinite(minReady) && minReady >= 2, `ready pods dropped to ${minReady} during the rollback`);
  const afterUndo = (await rsClient.list("default")).items;
  assert.equal(afterUndo.length, 2, "the rollback made no new ReplicaSet");
  const revived = afterUndo.find((rs) => rs.metadata?.uid === rsA.metadata?.uid)!;
  assert.equal(revived.spec?.replicas, 3);
  assert.equal(revived.metadata?.annotations?.[REVISION_ANNOTATION], "3");
  assert.equal((await deploys.get("default", "web")).metadata?.annotations?.[REVISION_ANNOTATION], "3");
  const events = (await client.resource(resources.events).list("default")).items as Array<{ reason?: string; message?: string; involvedObject?: { kind?: string } }>;
  assert.ok(events.some((e) => e.reason === "ScalingReplicaSet" && e.involvedObject?.kind === "Deployment" && e.message === `Scaled up replica set ${rsA.metadata?.name} to 3`));
  assert.ok(events.some((e) => e.reason === "SuccessfulCreate" && e.involvedObject?.kind === "ReplicaSet"));
});

test("a ReplicationController replaces deleted and failed pods, releases relabelled ones, and scales down", async (t) => {
  const env = await setup(t);
  const { client } = env;
  const rcs = client.resource<ReplicaSetLike>(resources.replicationcontrollers);
  const podsApi = client.resource<PodObject>(resources.pods);
  await rcs.create("default", {
    metadata: { name: "legacy" },
    spec: { replicas: 3, selector: { app: "legacy" }, template: { metadata: { labels: { app: "legacy" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
  });
  const owned = async (): Promise<PodObject[]> =>
    (await env.pods()).filter((p) => p.metadata?.ownerReferences?.some((r) => r.kind === "ReplicationController" && r.name === "legacy") && !p.metadata?.deletionTimestamp);
  await until(async () => (await owned()).length === 3, "3 pods");
  const [first, second, third] = await owned();
  assert.ok(first!.metadata?.name?.startsWith("legacy-"));

  await podsApi.delete("default", first!.metadata!.name!);
  await podsApi.patch("default", second!.metadata!.name!, "merge", { status: { phase: "Failed" } }, { subresource: "status" });
  await until(async () => {
    const names = (await owned()).filter((p) => p.status?.phase !== "Failed").map((p) => p.metadata?.name);
    return names.length === 3 && !names.includes(first!.metadata!.name) && !names.includes(second!.metadata!.name);
  }, "replacements for the deleted and the failed pod");

  await podsApi.patch("default", third!.metadata!.name!, "merge", { metadata: { labels: { app: "debug" } } });
  await until(async () => {
    const p = await podsApi.get("default", third!.metadata!.name!);
    return !p.metadata?.ownerReferences?.length;
  }, "the relabelled pod released");
  await until(async () => (await owned()).filter((p) => p.status?.phase !== "Failed").length === 3, "a replacement for the released pod");

  await rcs.patch("default", "legacy", "merge", { spec: { replicas: 1 } });
  await until(async () => (await owned()).filter((p) => p.status?.phase !== "Failed").length === 1, "scaled down to 1");
  await until(async () => {
    const rc = await rcs.get("default", "legacy");
    return rc.status?.replicas === 1 && rc.status?.observedGeneration === rc.metadata?.generation;
  }, "status replicas 1");
});

test("a ReplicaSet adopts a matching orphan pod instead of creating one", async (t) => {
  const env = await setup(t);
  const { client } = env;
  await client.resource<PodObject>(resources.pods).create("default", { metadata: { name: "stray", labels: { app: "cache", tier: "x" } }, spec: { containers: [{ name: "c", image: "x" }] } });
  const rs = await client.resource<ReplicaSetObject>(resources.replicasets).create("default", {
    metadata: { name: "cache" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "cache" }, matchExpressions: [{ key: "tier", operator: "Exists" }] },
      template: { metadata: { labels: { app: "cache", tier: "y" } }, spec: { containers: [{ name: "c", image: "x" }] } },
    },
  });
  await until(async () => (await env.pods()).length === 2, "2 pods");
  await until(async () => (await client.resource<PodObject>(resources.pods).get("default", "stray")).metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid, "stray adopted");
  await until(async () => (await client.resource<ReplicaSetObject>(resources.replicasets).get("default", "cache")).status?.fullyLabeledReplicas === 1, "fullyLabeledReplicas counts only the template-labelled pod");
  assert.equal((await env.pods()).length, 2);
});

test("Recreate: no pod of the new template exists while any old pod is still there", async (t) => {
  const env = await setup(t);
  const { client } = env;
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  env.defer(startKubelet(env));
  const watcher = new SharedInformer<PodObject>({ source: { client: client.resource<PodObject>(resources.pods), namespace: "default" } });
  const ac = new AbortController();
  const watching = watcher.run(ac.signal);
  env.defer(async () => {
    ac.abort();
    await watching;
  });
  let overlap = false;
  const observe = (): void => {
    const images = new Set(watcher.indexer.list().map(imageOf));
    if (images.has("A") && images.has("B")) overlap = true;
  };
  watcher.addEventHandler({ onAdd: observe, onUpdate: observe, onDelete: observe });
  await deploys.create("default", {
    metadata: { name: "db" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "db" } },
      strategy: { type: "Recreate" },
      template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "db", image: "A" }] } },
    },
  });
  const settled = async (image: string): Promise<boolean> => {
    const d = await deploys.get("default", "db");
    const pods = await env.pods();
    return d.status?.availableReplicas === 2 && d.status.updatedReplicas === 2 && pods.length === 2 && pods.every((p) => imageOf(p) === image && isPodReady(p));
  };
  await until(() => settled("A"), "A running");
  await deploys.patch("default", "db", "merge", { spec: { template: { spec: { containers: [{ name: "db", image: "B" }] } } } });
  await until(() => settled("B"), "B running");
  assert.equal(overlap, false, "old and new pods never ran side by side");
  const rss = (await client.resource<ReplicaSetObject>(resources.replicasets).list("default")).items;
  assert.deepEqual(rss.map((rs) => rs.spec?.replicas).sort(), [0, 2]);
});

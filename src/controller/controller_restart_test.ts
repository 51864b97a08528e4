// The controller manager against the real API server (sqlite), stopped and started by the test: what a restart
// must not do (create pods twice, forget garbage) and what a fresh manager must do (finish the rollout, collect the
// orphans of a deleted owner). No scheduler or node runs: the pods stay unbound (so a deletion is immediate) and the
// test plays the kubelet, marking pods Running and Ready through pods/status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../daemons/server.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { silentLogger } from "../util/log.js";
import { ControllerManager } from "./controller_manager.js";
import { isPodReady, type PodObject } from "./replicaset/pod_utils.js";
import type { DeploymentObject, ReplicaSetObject } from "./deployment/util.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Env {
  client: Client;
  /** Starts a controller manager (no leader election); answers its stop. */
  startManager(): () => Promise<void>;
  /** The test's kubelet: while on, marks one not-ready pod of the namespace Running and Ready per tick. */
  kubelet: { on: boolean };
  namespace: string;
  pods(): Promise<PodObject[]>;
}

async function setup(t: { after(fn: () => unknown): void }, namespace: string): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-cm-restart-"));
  const server = await startServer({ dataDir: dir, port: 0, bindAddress: "127.0.0.1", controllers: false, scheduler: false, metrics: false, logger: silentLogger });
  const client = createClient({ server: server.url });
  const managers = new Set<() => Promise<void>>();
  const kubelet = { on: true };
  let stopped = false;
  const podsApi = client.resource<PodObject>(resources.pods);
  const pods = async (): Promise<PodObject[]> => (await podsApi.list(namespace)).items;
  const loop = (async () => {
    while (!stopped) {
      try {
        const pod = kubelet.on ? (await pods()).find((p) => !p.metadata?.deletionTimestamp && !isPodReady(p)) : undefined;
        if (pod) {
          const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
          await podsApi.patch(namespace, pod.metadata!.name!, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } }, { subresource: "status" });
        }
      } catch {
        // Retried on the next tick, as a kubelet would (the pod may have been deleted meanwhile).
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  t.after(async () => {
    stopped = true;
    await loop;
    for (const stop of managers) await stop();
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await client.resource(resources.namespaces).create(undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const startManager = (): (() => Promise<void>) => {
    const ac = new AbortController();
    const running = new ControllerManager({ client, leaderElect: false, workers: 2 }).run(ac.signal);
    const stop = async (): Promise<void> => {
      managers.delete(stop);
      ac.abort();
      await running;
    };
    managers.add(stop);
    return stop;
  };
  return { client, startManager, kubelet, namespace, pods };
}

const imageOf = (p: PodObject): string | undefined => p.spec?.containers[0]?.image;

function webDeployment(image: string): DeploymentObject {
  const labels = { app: "web" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } },
    },
  } as DeploymentObject;
}

test("a controller manager restarted mid-rollout finishes it without creating a pod twice (3 for A, 3 for B)", { timeout: 120_000 }, async (t) => {
  const env = await setup(t, "restart");
  const { client, namespace: ns } = env;
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  const podsApi = client.resource<PodObject>(resources.pods);

  // Every pod ever created, by name, from a watch that starts before the Deployment exists.
  const seen = new Set<string>();
  const from = (await podsApi.list(ns)).metadata?.resourceVersion;
  const watch = podsApi.watch(ns, { resourceVersion: from }, {
    onEvent: (ev) => {
      const name = (ev.object as PodObject).metadata?.name;
      if (ev.type === "ADDED" && name) seen.add(name);
    },
  });
  t.after(() => watch.stop());

  const complete = async (image: string): Promise<boolean> => {
    const d = await deploys.get(ns, "web");
    const s = d.status;
    const live = (await env.pods()).filter((p) => !p.metadata?.deletionTimestamp);
    return (
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      s?.updatedReplicas === 3 &&
      s?.replicas === 3 &&
      s?.availableReplicas === 3 &&
      live.length === 3 &&
      live.every((p) => imageOf(p) === image && isPodReady(p))
    );
  };

  let stopManager = env.startManager();
  await deploys.create(ns, webDeployment("A"));
  await until(() => complete("A"), "rollout of A");

  // The kubelet holds the first new pod not ready, so the manager is stopped with the rollout under way: a B pod
  // created (the surge), none ready, the A pods all still there.
  env.kubelet.on = false;
  await deploys.patch(ns, "web", "strategic", { spec: { template: { spec: { containers: [{ name: "app", image: "B" }] } } } });
  await until(async () => (await env.pods()).some((p) => imageOf(p) === "B") && (await deploys.get(ns, "web")).status?.updatedReplicas === 1, "the first pod of B");
  await stopManager();
  const atStop = (await env.pods()).filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(atStop.filter((p) => imageOf(p) === "B").length, 1, "maxSurge 1: one B pod at the stop");
  assert.equal(atStop.filter((p) => imageOf(p) === "A").length, 3, "maxUnavailable 0: every A pod still there");

  env.kubelet.on = true;
  stopManager = env.startManager();
  await until(() => complete("B"), "rollout to B after the restart");
  await until(() => seen.size >= 6, "the watch to see every pod");
  await stopManager();
  const names = [...seen];
  assert.equal(names.length, 6, `pods ever created: ${names.join(", ")}`);
  const rsList = (await client.resource<ReplicaSetObject>(resources.replicasets).list(ns)).items;
  assert.equal(rsList.length, 2, "one ReplicaSet per template");
  for (const rs of rsList) {
    const prefix = `${rs.metadata!.name!}-`;
    assert.equal(names.filter((n) => n.startsWith(prefix)).length, 3, `3 pods made by ${rs.metadata!.name}`);
  }
});

test("a Deployment deleted (Background) while the controller manager is down: a new manager collects its ReplicaSets and pods", { timeout: 120_000 }, async (t) => {
  const env = await setup(t, "gc");
  const { client, namespace: ns } = env;
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  const rsApi = client.resource<ReplicaSetObject>(resources.replicasets);

  const stopFirst = env.startManager();
  await deploys.create(ns, webDeployment("A"));
  await until(async () => (await deploys.get(ns, "web")).status?.availableReplicas === 3, "3 available pods");
  await stopFirst();

  await deploys.delete(ns, "web", { propagationPolicy: "Background" });
  await assert.rejects(deploys.get(ns, "web"), /not found/i);
  assert.equal((await rsApi.list(ns)).items.length, 1, "nothing collects while the manager is down");
  assert.equal((await env.pods()).length, 3);

  env.startManager();
  await until(async () => (await rsApi.list(ns)).items.length === 0 && (await env.pods()).length === 0, "the ReplicaSet and its pods collected");
});

test("a ReplicaSet selecting by matchExpressions (In, NotIn, Exists) adopts a matching orphan and releases a pod that stops matching", { timeout: 120_000 }, async (t) => {
  const env = await setup(t, "claim");
  const { client, namespace: ns } = env;
  const podsApi = client.resource<PodObject>(resources.pods);
  const rsApi = client.resource<ReplicaSetObject>(resources.replicasets);
  const orphan = (name: string, labels: Record<string, string>): PodObject =>
    ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { containers: [{ name: "app", image: "A" }] } }) as PodObject;
  await podsApi.create(ns, orphan("match", { app: "web", tier: "front", track: "canary" }));
  await podsApi.create(ns, orphan("not-in", { app: "web", tier: "db", track: "canary" }));
  await podsApi.create(ns, orphan("no-track", { app: "web", tier: "front" }));
  await podsApi.create(ns, orphan("not-web", { app: "api", tier: "front", track: "canary" }));

  env.startManager();
  const rs = await rsApi.create(ns, {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web" },
    spec: {
      replicas: 2,
      selector: {
        matchExpressions: [
          { key: "app", operator: "In", values: ["web", "www"] },
          { key: "tier", operator: "NotIn", values: ["db"] },
          { key: "track", operator: "Exists" },
        ],
      },
      template: { metadata: { labels: { app: "web", tier: "front", track: "stable" } }, spec: { containers: [{ name: "app", image: "A" }] } },
    },
  } as ReplicaSetObject);
  const controllerOf = (p: PodObject): string | undefined => p.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
  const owned = async (): Promise<PodObject[]> => (await env.pods()).filter((p) => controllerOf(p) === rs.metadata?.uid && !p.metadata?.deletionTimestamp);

  await until(async () => (await owned()).length === 2 && (await rsApi.get(ns, "web")).status?.readyReplicas === 2, "2 owned ready pods");
  const adopted = await podsApi.get(ns, "match");
  const ref = adopted.metadata?.ownerReferences?.[0];
  assert.deepEqual(
    { kind: ref?.kind, name: ref?.name, uid: ref?.uid, controller: ref?.controller, blockOwnerDeletion: ref?.blockOwnerDeletion },
    { kind: "ReplicaSet", name: "web", uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true },
  );
  assert.equal((await owned()).length, 2, "the orphan counts as one of the 2 replicas: one pod created");
  for (const name of ["not-in", "no-track", "not-web"]) {
    assert.equal((await podsApi.get(ns, name)).metadata?.ownerReferences, undefined, `${name} is not adopted`);
  }

  // The adopted pod's labels stop matching (NotIn): it is released and replaced.
  await podsApi.patch(ns, "match", "merge", { metadata: { labels: { tier: "db" } } });
  await until(async () => (await podsApi.get(ns, "match")).metadata?.ownerReferences === undefined, "the pod released");
  await until(async () => (await owned()).length === 2, "a replacement for the released pod");
  assert.ok(!(await owned()).some((p) => p.metadata?.name === "match"));
  assert.equal((await podsApi.get(ns, "match")).metadata?.deletionTimestamp, undefined, "a released pod is left running");
});

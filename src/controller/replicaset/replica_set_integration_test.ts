// The ReplicaSet controller against the fake API server: real informers, watches and HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import { errors } from "../../machinery/errors.js";
import { startController } from "../types.js";
import { ReplicaSetController } from "./replica_set_controller.js";
import type { ReplicaSetLike } from "./workload_kind.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(t: { after(fn: () => unknown): void }) {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const running = startController(new ReplicaSetController({ client, informers: new SharedInformerFactory({ client }) }));
  t.after(async () => {
    await running.stop();
    client.close();
    await srv.close();
  });
  const rsApi = client.resource<ReplicaSetLike>(resources.replicasets);
  const podCount = async (): Promise<number> => (await client.resource(resources.pods).list("default")).items.length;
  const postsOfPods = (): number => srv.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pods")).length;
  return { srv, client, rsApi, podCount, postsOfPods };
}

const spec = (replicas: number) => ({
  replicas,
  selector: { matchLabels: { app: "burst" } },
  template: { metadata: { labels: { app: "burst" } }, spec: { containers: [{ name: "c", image: "x" }] } },
});

test("a burst of 60 creates is issued exactly once while the informer catches up", async (t) => {
  const { rsApi, podCount, postsOfPods } = await setup(t);
  await rsApi.create("default", { metadata: { name: "burst" }, spec: spec(60) });
  await until(async () => (await rsApi.get("default", "burst")).status?.replicas === 60, "status replicas 60");
  // Resyncs and status updates kept enqueueing the ReplicaSet; expectations kept it from creating again.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await podCount(), 60);
  assert.equal(postsOfPods(), 60);
});

test("a quota refusal shows as ReplicaFailure and heals once creates succeed again", async (t) => {
  const { srv, rsApi, podCount } = await setup(t);
  // Every status the ReplicaSet goes through, as a watching user sees it (the failure may last only one retry).
  const seen: string[] = [];
  const watcher = new SharedInformer<ReplicaSetLike>({ source: { client: rsApi, namespace: "default" } });
  watcher.addEventHandler({
    onUpdate: (_old, rs) => {
      for (const c of rs.status?.conditions ?? []) seen.push(`${c.type}/${c.reason}: ${c.message}`);
    },
  });
  const ac = new AbortController();
  const watching = watcher.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await watching;
  });
  await watcher.waitForSync();
  srv.injectError({ method: "POST", path: "/pods", times: 1, error: errors.forbidden({ group: "", resource: "pods" }, "q-x", "exceeded quota: pods=2") });
  await rsApi.create("default", { metadata: { name: "q" }, spec: { ...spec(2), selector: { matchLabels: { app: "q" } }, template: { metadata: { labels: { app: "q" } }, spec: { containers: [{ name: "c", image: "x" }] } } } });
  await until(async () => (await podCount()) === 2 && !(await rsApi.get("default", "q")).status?.conditions?.length, "recovered: 2 pods, condition gone");
  await until(() => seen.length > 0, "the failure condition observed");
  assert.match(seen[0]!, /^ReplicaFailure\/FailedCreate: pods "q-x" is forbidden: exceeded quota/);
});

test("minReadySeconds: a pod that turned ready is counted available once the time has passed, without other events", async (t) => {
  const { client, rsApi } = await setup(t);
  await rsApi.create("default", {
    metadata: { name: "slow" },
    spec: { ...spec(2), minReadySeconds: 1, selector: { matchLabels: { app: "slow" } }, template: { metadata: { labels: { app: "slow" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
  });
  await until(async () => (await rsApi.get("default", "slow")).status?.replicas === 2, "2 pods");
  // Only one pod becomes ready, so the "all ready but not yet available" requeue of sync does not apply.
  const [pod] = (await client.resource(resources.pods).list("default")).items;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await client.resource(resources.pods).patch("default", pod!.metadata!.name!, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } }, { subresource: "status" });
  await until(async () => (await rsApi.get("default", "slow")).status?.readyReplicas === 1, "1 ready");
  await until(async () => (await rsApi.get("default", "slow")).status?.availableReplicas === 1, "1 available after minReadySeconds");
});

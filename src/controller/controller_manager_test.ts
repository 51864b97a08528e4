import { test } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "../client/leader_election.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { ControllerManager, LEASE_NAME, LEASE_NAMESPACE } from "./controller_manager.js";
import { startController, type RunningController } from "./types.js";
import type { ReplicaSetLike } from "./replicaset/workload_kind.js";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("two managers: one leads and reconciles; when it stops, the other takes the lease and carries on", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  // Short lease timings keep the test quick; the ratios are Kubernetes' (15/10/2).
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
  const a = new ControllerManager({ client, identity: "a", ...timing });
  const b = new ControllerManager({ client, identity: "b", ...timing });
  const runA = startController(a);
  let runB: RunningController | undefined;
  t.after(async () => {
    await runA.stop();
    await runB?.stop();
    client.close();
    await srv.close();
  });
  await until(() => a.isLeader(), "a leads");
  runB = startController(b);
  const lease = (): Promise<Lease> => client.resource<Lease>(resources.leases).get(LEASE_NAMESPACE, LEASE_NAME);
  assert.equal((await lease()).spec?.holderIdentity, "a");

  const rsApi = client.resource<ReplicaSetLike>(resources.replicasets);
  await rsApi.create("default", {
    metadata: { name: "web" },
    spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
  });
  const podCount = async (): Promise<number> => (await client.resource(resources.pods).list("default")).items.length;
  await until(async () => (await podCount()) === 2, "2 pods from the leader");
  assert.equal(b.isLeader(), false, "the standby does not act");

  await runA.stop();
  await until(() => b.isLeader(), "b takes over");
  assert.equal((await lease()).spec?.holderIdentity, "b");
  await rsApi.patch("default", "web", "merge", { spec: { replicas: 4 } });
  await until(async () => (await podCount()) === 4, "4 pods from the new leader");
});

test("without leader election the controllers run at once; stopping winds them down", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const m = new ControllerManager({ client, leaderElect: false, controllers: ["replicationcontroller"] });
  const run = startController(m);
  t.after(async () => {
    client.close();
    await srv.close();
  });
  await client.resource(resources.replicationcontrollers).create("default", {
    metadata: { name: "rc" },
    spec: { replicas: 1, selector: { app: "rc" }, template: { metadata: { labels: { app: "rc" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
  });
  await until(async () => (await client.resource(resources.pods).list("default")).items.length === 1, "a pod");
  await run.stop();
  assert.equal(m.isLeader(), false);
  await assert.rejects(client.resource(resources.leases).get(LEASE_NAMESPACE, LEASE_NAME), /not found/);
});

// The Job, CronJob, DaemonSet and StatefulSet controllers against the real k8ts API server (SQLite store, real
// defaults, validation and graceful deletion), over HTTP. Pods have no real nodes: the test plays the kubelet,
// reporting pods Running and Ready (or Succeeded/Failed) through pods/status and confirming graceful deletions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../api/object.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer } from "../../daemons/server.js";
import { isNotFound } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { CronJobController, type CronJobObject } from "../cronjob/cronjob_controller.js";
import { targetNodeName, type DaemonSetObject } from "../daemonset/daemon_pods.js";
import { DaemonSetController, type NodeObject } from "../daemonset/daemonset_controller.js";
import { JobController } from "../job/job_controller.js";
import type { JobObject } from "../job/job_pods.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import type { StatefulSetObject } from "../statefulset/stateful_pods.js";
import { StatefulSetController } from "../statefulset/statefulset_controller.js";
import { startController, type Controller, type RunningController } from "../types.js";

async function until(cond: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Env {
  client: Client;
  start(make: (client: Client, informers: SharedInformerFactory) => Controller): RunningController;
}

async function withServer(t: { after(fn: () => unknown): void }): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-workloads-"));
  // The server runs the garbage collector (claims and pods go through it); the controllers under test run here.
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false, controllerManager: { controllers: ["garbagecollector", "namespace"] } });
  const client = createClient({ server: server.url });
  const running: RunningController[] = [];
  t.after(async () => {
    for (const r of running) await r.stop();
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    client,
    start(make) {
      const r = startController(make(client, new SharedInformerFactory({ client })));
      running.push(r);
      return r;
    },
  };
}

const podsApi = (c: Client) => c.resource<PodObject>(resources.pods);

async function pods(c: Client): Promise<PodObject[]> {
  return (await podsApi(c).list("default")).items;
}

/** The kubelet's part: confirms graceful deletions and reports the pod's phase (Ready when Running). */
async function report(c: Client, pod: PodObject, phase: "Running" | "Succeeded" | "Failed"): Promise<void> {
  const exitCode = phase === "Failed" ? 1 : 0;
  const state = phase === "Running" ? { running: {} } : { terminated: { exitCode, reason: phase === "Failed" ? "Error" : "Completed" } };
  await podsApi(c).patch(
    "default",
    pod.metadata!.name!,
    "merge",
    {
      status: {
        phase,
        conditions: [{ type: "Ready", status: phase === "Running" ? "True" : "False" }],
        containerStatuses: [{ name: "c", image: "busybox", imageID: "", ready: phase === "Running", restartCount: 0, state }],
      },
    },
    { subresource: "status" },
  );
}

async function confirmDeletions(c: Client): Promise<void> {
  for (const p of await pods(c)) {
    if (!p.metadata?.deletionTimestamp) continue;
    try {
      await podsApi(c).delete("default", p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

const bare = <T extends KubeObject>(o: T, name: string): T => ({ ...o, metadata: { ...o.metadata, name, namespace: "default" } });

test("Job: 4 completions, parallelism 2, one failure: exactly 4 successes, then Complete (kubectl wait works)", async (t) => {
  const env = await withServer(t);
  env.start((client, informers) => new JobController({ client, informers, backoffBaseMs: 20 }));
  const jobs = env.client.resource<JobObject>(resources.jobs);
  await jobs.create("default", bare({ spec: { completions: 4, parallelism: 2, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } }, "pi"));
  let failed = false;
  let maxActive = 0;
  await until(async () => {
    const all = await pods(env.client);
    const running = all.filter((p) => p.status?.phase === "Pending" && !p.metadata?.deletionTimestamp);
    maxActive = Math.max(maxActive, running.length);
    for (const p of running) {
      assert.ok(p.metadata?.finalizers?.includes("batch.kubernetes.io/job-tracking"));
      await report(env.client, p, failed ? "Succeeded" : "Failed");
      failed = true;
    }
    const j = await jobs.get("default", "pi");
    return Boolean(j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"));
  }, "the Job to complete");
  const j = await jobs.get("default", "pi");
  assert.equal(j.status?.succeeded, 4);
  assert.equal(j.status?.failed, 1);
  assert.equal(j.status?.active, 0);
  assert.deepEqual(
    j.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ["SuccessCriteriaMet", "True", "CompletionsReached"],
      ["Complete", "True", "CompletionsReached"],
    ],
  );
  assert.ok(maxActive <= 2);
  assert.equal((await pods(env.client)).filter((p) => p.status?.phase === "Succeeded").length, 4);
  assert.ok((await pods(env.client)).every((p) => !p.metadata?.finalizers?.length));
});

test("CronJob on a fake clock creates its Job through the real API, and a manual run from it is left alone", async (t) => {
  const env = await withServer(t);
  const clock = new FakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 1000);
  env.start((client, informers) => new CronJobController({ client, informers, clock }));
  const cronjobs = env.client.resource<CronJobObject>(resources.cronjobs);
  const jobs = env.client.resource<JobObject>(resources.jobs);
  const created = await cronjobs.create(
    "default",
    bare({ spec: { schedule: "*/1 * * * *", concurrencyPolicy: "Forbid", jobTemplate: { spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } } } } }, "tick"),
  );
  // What `kubectl create job --from=cronjob/tick` sends: the template, an owner reference, the manual annotation.
  await jobs.create("default", {
    metadata: {
      name: "tick-manual",
      namespace: "default",
      annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "tick", uid: created.metadata!.uid!, controller: true }],
    },
    spec: created.spec!.jobTemplate.spec!,
  });
  const scheduled = async () => (await jobs.list("default")).items.filter((j) => j.metadata?.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
  for (let moved = 0; (await scheduled()).length === 0; moved += 1000) {
    assert.ok(moved < 3 * 60_000, "a Job within three fake minutes");
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [job] = await scheduled();
  assert.equal(job!.metadata?.name, `tick-${Math.floor(Date.parse(job!.metadata!.annotations!["batch.kubernetes.io/cronjob-scheduled-timestamp"]!) / 60_000)}`);
  await until(async () => (await cronjobs.get("default", "tick")).status?.active?.length === 1, "status.active");
  const st = (await cronjobs.get("default", "tick")).status!;
  assert.equal(st.active![0]!.name, job!.metadata?.name, "the manual run is not in status.active");
  assert.ok(st.lastScheduleTime);
});

test("DaemonSet: follows nodes joining and leaving and rolls out a new image", async (t) => {
  const env = await withServer(t);
  env.start((client, informers) => new DaemonSetController({ client, informers }));
  const nodes = env.client.resource<NodeObject>(resources.nodes);
  for (const n of ["n1", "n2"]) await nodes.create(undefined, { metadata: { name: n, labels: { "kubernetes.io/hostname": n } } });
  const dsApi = env.client.resource<DaemonSetObject>(resources.daemonsets);
  const labels = { app: "agent" };
  await dsApi.create("default", bare({ spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "agent:1" }] } } } }, "agent"));
  const layout = async () =>
    (await pods(env.client))
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => `${targetNodeName(p)}=${p.spec?.containers[0]?.image}`)
      .sort()
      .join(",");
  const kubelet = async () => {
    await confirmDeletions(env.client);
    for (const p of await pods(env.client)) if (p.status?.phase === "Pending" && !p.metadata?.deletionTimestamp) await report(env.client, p, "Running");
  };
  await until(async () => (await kubelet(), (await layout()) === "n1=agent:1,n2=agent:1"), "a daemon on n1 and n2");
  await nodes.create(undefined, { metadata: { name: "n3" } });
  await until(async () => (await kubelet(), (await layout()) === "n1=agent:1,n2=agent:1,n3=agent:1"), "a daemon on the new node");
  await nodes.delete(undefined, "n1");
  await until(async () => (await kubelet(), (await layout()) === "n2=agent:1,n3=agent:1"), "the daemon of the removed node to go");
  await dsApi.patch("default", "agent", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "agent:2" }] } } } });
  await until(async () => {
    await kubelet();
    const st = (await dsApi.get("default", "agent")).status;
    return (await layout()) === "n2=agent:2,n3=agent:2" && st?.updatedNumberScheduled === 2 && st.numberAvailable === 2 && st.observedGeneration === 2;
  }, "the rollout");
  const revs = (await env.client.resource<KubeObject & { revision: number }>(resources.controllerrevisions).list("default")).items;
  assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
});

test("StatefulSet: ordered start on readiness, ordered scale down, rolling update from the top", async (t) => {
  const env = await withServer(t);
  env.start((client, informers) => new StatefulSetController({ client, informers }));
  const sets = env.client.resource<StatefulSetObject>(resources.statefulsets);
  const labels = { app: "web" };
  await sets.create(
    "default",
    bare({ spec: { replicas: 3, serviceName: "web", selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "web:1" }] } } } }, "web"),
  );
  const order: string[] = [];
  const names = async () => (await pods(env.client)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();
  const kubelet = async () => {
    await confirmDeletions(env.client);
    for (const p of await pods(env.client))
      if (p.status?.phase === "Pending" && !p.metadata?.deletionTimestamp) {
        order.push(p.metadata!.name!);
        await report(env.client, p, "Running");
      }
  };
  await until(async () => (await kubelet(), (await sets.get("default", "web")).status?.readyReplicas === 3), "3 ready replicas");
  assert.deepEqual(order, ["web-0", "web-1", "web-2"]);
  const gen = (await sets.patch("default", "web", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "web:2" }] } } } })).metadata?.generation;
  order.length = 0;
  await until(async () => {
    await kubelet();
    const st = (await sets.get("default", "web")).status;
    return st !== undefined && st.observedGeneration === gen && st.updatedReplicas === 3 && st.readyReplicas === 3 && st.currentRevision === st.updateRevision;
  }, "the rolling update");
  assert.deepEqual(order, ["web-2", "web-1", "web-0"], "replaced from the highest ordinal down");
  await sets.patch("default", "web", "merge", { spec: { replicas: 1 } });
  await until(async () => (await kubelet(), (await names()).join() === "web-0"), "scale down to web-0");
});

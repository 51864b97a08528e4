// The Job controller against the fake API server over real HTTP; the test plays the kubelet by writing pod status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { GarbageCollector } from "../garbage_collector/garbage_collector.js";
import { startController, type RunningController } from "../types.js";
import { JobController } from "./job_controller.js";
import type { JobObject } from "./job_pods.js";
import { newJob } from "./testing.js";

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function start(client: Client): RunningController {
  const informers = new SharedInformerFactory({ client });
  // A short backoff keeps the test quick; the backoff timing itself is tested on a fake clock.
  return startController(new JobController({ client, informers, backoffBaseMs: 20 }));
}

async function setPhase(client: Client, pod: PodObject, phase: "Succeeded" | "Failed"): Promise<void> {
  const exitCode = phase === "Succeeded" ? 0 : 1;
  await client.resource<PodObject>(resources.pods).patch("default", pod.metadata!.name!, "merge", {
    status: { phase, containerStatuses: [{ name: "c", image: "busybox", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode } } }] },
  }, { subresource: "status" });
}

test("a Job of 5 completions, parallelism 2, completes with exactly 5 successes despite a failure and a controller restart", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  let ctrl = start(client);
  t.after(async () => {
    await ctrl.stop();
    client.close();
    await srv.close();
  });
  const jobs = client.resource<JobObject>(resources.jobs);
  const podsApi = client.resource<PodObject>(resources.pods);
  const job = newJob("pi", { completions: 5, parallelism: 2 });
  await jobs.create("default", { ...job, metadata: { name: "pi", namespace: "default" }, status: undefined });
  const running = async (): Promise<PodObject[]> => (await podsApi.list("default")).items.filter((p) => !p.status?.phase && !p.metadata?.deletionTimestamp);
  let failedOnce = false;
  let successes = 0;
  let maxActive = 0;
  while (successes < 5) {
    const pods = await until(async () => {
      const r = await running();
      return r.length ? r : undefined;
    }, "a running pod");
    maxActive = Math.max(maxActive, pods.length);
    const pod = pods[0]!;
    if (!failedOnce) {
      failedOnce = true;
      await setPhase(client, pod, "Failed");
    } else {
      await setPhase(client, pod, "Succeeded");
      successes++;
    }
    if (successes === 2) {
      // The controller manager restarts mid-run: a new controller with new caches takes over.
      await ctrl.stop();
      ctrl = start(client);
    }
    await until(async () => !(await running()).some((p) => p.metadata?.uid === pod.metadata?.uid), "the finished pod to be seen");
  }
  const done = await until(async () => {
    const j = await jobs.get("default", "pi");
    return j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True") ? j : undefined;
  }, "the Complete condition");
  assert.equal(done.status?.succeeded, 5);
  assert.equal(done.status?.failed, 1);
  assert.equal(done.status?.active, 0);
  assert.ok(done.status?.completionTime);
  assert.ok(maxActive <= 2, `never more than parallelism pods ran (saw ${maxActive})`);
  const all = (await podsApi.list("default")).items;
  assert.equal(all.filter((p) => p.status?.phase === "Succeeded").length, 5);
  assert.ok(all.every((p) => !p.metadata?.finalizers?.length), "every tracking finalizer was removed");
});

test("deleting a running Job: the garbage collector deletes its pods and the controller lets their finalizers go", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const ctrl = start(client);
  const gc = startController(new GarbageCollector({ client, informers: new SharedInformerFactory({ client }), resources: [resources.jobs, resources.pods] }));
  t.after(async () => {
    await ctrl.stop();
    await gc.stop();
    client.close();
    await srv.close();
  });
  const jobs = client.resource<JobObject>(resources.jobs);
  const podsApi = client.resource<PodObject>(resources.pods);
  const job = newJob("sleep", { parallelism: 3, completions: 3 });
  await jobs.create("default", { ...job, metadata: { name: "sleep", namespace: "default" }, status: undefined });
  await until(async () => (await podsApi.list("default")).items.length === 3 || undefined, "three pods");
  await jobs.delete("default", "sleep", { propagationPolicy: "Background" });
  await until(async () => (await podsApi.list("default")).items.length === 0 || undefined, "the pods to be gone");
});

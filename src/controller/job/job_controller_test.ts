import { test } from "node:test";
import assert from "node:assert/strict";
import { errors } from "../../machinery/errors.js";
import { JOB_TRACKING_FINALIZER } from "./job_pods.js";
import { JobHarness, newJob } from "./testing.js";

const KEY = "default/pi";
const cond = (h: JobHarness, type: string) => h.job("pi").status?.conditions?.find((c) => c.type === type);

test("creates parallelism pods with the job's labels, tracking finalizer and controller reference", async () => {
  const h = new JobHarness();
  const job = h.addJob(newJob("pi", { completions: 5, parallelism: 2 }));
  await h.controller.sync(KEY);
  const pods = h.podList();
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.equal(p.metadata?.generateName, "pi-");
    assert.deepEqual(p.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(p.metadata?.labels?.["batch.kubernetes.io/job-name"], "pi");
    assert.equal(p.metadata?.labels?.["batch.kubernetes.io/controller-uid"], job.metadata?.uid);
    assert.equal(p.metadata?.labels?.app, "pi");
    assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: "batch/v1", kind: "Job", name: "pi", uid: job.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
  }
  const st = h.job("pi").status!;
  assert.equal(st.active, 2);
  assert.equal(st.ready, 0);
  assert.equal(st.startTime, "2026-01-01T00:00:00Z");
  // While the creates are unobserved nothing more is created.
  await h.controller.sync(KEY);
  assert.equal(h.podList().length, 2);
});

test("completions 5 / parallelism 2 completes with exactly 5 successes when a pod fails once, after a 10 s backoff", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 5, parallelism: 2 }));
  await h.settle(KEY);
  const [a, b] = h.activePods();
  h.finish(a!, "Succeeded");
  h.finish(b!, "Failed");
  await h.settle(KEY);
  let st = h.job("pi").status!;
  assert.equal(st.succeeded, 1);
  assert.equal(st.failed, 1);
  assert.deepEqual(st.uncountedTerminatedPods, {});
  assert.ok(!a!.metadata?.deletionTimestamp && h.podList().every((p) => p.status?.phase === undefined || !p.metadata?.finalizers), "finished pods lost their finalizer");
  assert.equal(h.activePods().length, 0, "the failure holds new pods back");
  h.clock.advance(9_999);
  await h.settle(KEY);
  assert.equal(h.activePods().length, 0);
  h.clock.advance(1);
  await h.settle(KEY);
  assert.equal(h.activePods().length, 2);
  for (let round = 0; round < 10 && !cond(h, "Complete"); round++) {
    for (const p of h.activePods()) h.finish(p, "Succeeded");
    await h.settle(KEY);
  }
  st = h.job("pi").status!;
  assert.equal(st.succeeded, 5);
  assert.equal(st.failed, 1);
  assert.equal(st.active, 0);
  assert.equal(h.podList().filter((p) => p.status?.phase === "Succeeded").length, 5, "no pod beyond the completions was started");
  assert.equal(cond(h, "SuccessCriteriaMet")?.status, "True");
  assert.equal(cond(h, "Complete")?.status, "True");
  assert.equal(cond(h, "Complete")?.reason, "CompletionsReached");
  assert.equal(st.completionTime, "2026-01-01T00:00:10Z");
  // SuccessCriteriaMet is written before Complete.
  const firstWithComplete = h.statusWrites.findIndex((j) => j.status?.conditions?.some((c) => c.type === "Complete"));
  const firstWithTarget = h.statusWrites.findIndex((j) => j.status?.conditions?.some((c) => c.type === "SuccessCriteriaMet"));
  assert.ok(firstWithTarget >= 0 && firstWithTarget < firstWithComplete);
});

test("a controller restart between recording and counting neither loses nor repeats a completion", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 3, parallelism: 3 }));
  await h.settle(KEY);
  const [a, b] = h.activePods();
  h.finish(a!, "Succeeded");
  h.finish(b!, "Succeeded");
  // Crash 1: the uids are in uncountedTerminatedPods but the finalizers could not be removed.
  const patch = h.podWriter.patch.bind(h.podWriter);
  h.podWriter.patch = async () => {
    throw errors.internal("connection reset");
  };
  await assert.rejects(h.controller.sync(KEY), /connection reset/);
  assert.equal(h.job("pi").status?.uncountedTerminatedPods?.succeeded?.length, 2);
  assert.equal(h.job("pi").status?.succeeded ?? 0, 0);
  h.restart();
  h.podWriter.patch = patch;
  // Crash 2: finalizers removed, the final status write fails.
  h.failStatusWrites = errors.internal("etcd unavailable");
  await assert.rejects(h.controller.sync(KEY), /etcd unavailable/);
  assert.ok(h.podList().filter((p) => p.status?.phase === "Succeeded").every((p) => !p.metadata?.finalizers));
  h.restart();
  h.failStatusWrites = undefined;
  await h.settle(KEY);
  let st = h.job("pi").status!;
  assert.equal(st.succeeded, 2);
  assert.deepEqual(st.uncountedTerminatedPods, {});
  h.restart();
  await h.settle(KEY);
  assert.equal(h.job("pi").status?.succeeded, 2, "a restart with a fresh controller does not count again");
  for (const p of h.activePods()) h.finish(p, "Succeeded");
  await h.settle(KEY);
  st = h.job("pi").status!;
  assert.equal(st.succeeded, 3);
  assert.equal(cond(h, "Complete")?.status, "True");
});

test("Indexed: one pod per index with annotation, label, hostname and JOB_COMPLETION_INDEX; completedIndexes", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 3, parallelism: 2, completionMode: "Indexed" }));
  await h.settle(KEY);
  let pods = h.activePods();
  assert.deepEqual(pods.map((p) => p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"]).sort(), ["0", "1"]);
  const p0 = pods.find((p) => p.metadata?.labels?.["batch.kubernetes.io/job-completion-index"] === "0")!;
  assert.equal(p0.metadata?.generateName, "pi-0-");
  assert.equal(p0.spec?.hostname, "pi-0");
  assert.deepEqual(p0.spec?.containers[0]?.env, [{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
  const p1 = pods.find((p) => p !== p0)!;
  h.finish(p1, "Succeeded");
  await h.settle(KEY);
  assert.equal(h.job("pi").status?.completedIndexes, "1");
  pods = h.activePods();
  assert.deepEqual(pods.map((p) => p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"]).sort(), ["0", "2"]);
  for (const p of pods) h.finish(p, "Succeeded");
  await h.settle(KEY);
  const st = h.job("pi").status!;
  assert.equal(st.completedIndexes, "0-2");
  assert.equal(st.succeeded, 3);
  assert.equal(cond(h, "Complete")?.status, "True");
});

test("backoffLimit exceeded: FailureTarget, running pods stopped and counted, then Failed", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 4, parallelism: 2, backoffLimit: 1 }));
  await h.settle(KEY);
  const [a] = h.activePods();
  h.finish(a!, "Failed");
  await h.settle(KEY);
  h.clock.advance(10_000);
  await h.settle(KEY);
  const [b] = h.activePods();
  h.finish(b!, "Failed");
  await h.settle(KEY);
  assert.equal(cond(h, "FailureTarget")?.reason, "BackoffLimitExceeded");
  assert.equal(cond(h, "Failed")?.status, "True");
  assert.equal(cond(h, "Failed")?.reason, "BackoffLimitExceeded");
  assert.equal(cond(h, "Failed")?.message, "Job has reached the specified backoff limit");
  const st = h.job("pi").status!;
  assert.equal(st.active, 0);
  assert.equal(st.failed, 3, "two failures plus the running pod that was stopped");
  assert.equal(st.completionTime, undefined);
  assert.equal(h.activePods().length, 0);
  assert.equal(h.podList().filter((p) => p.metadata?.finalizers?.length).length, 0);
});

test("backoff doubles per failure (10 s, 20 s, 40 s) and resets after a success", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 10, parallelism: 1, backoffLimit: 10 }));
  await h.settle(KEY);
  for (const wait of [10_000, 20_000, 40_000]) {
    h.finish(h.activePods()[0]!, "Failed");
    await h.settle(KEY);
    assert.equal(h.controller.backoffRemaining(KEY, h.clock.now()), wait);
    h.clock.advance(wait - 1);
    await h.settle(KEY);
    assert.equal(h.activePods().length, 0);
    h.clock.advance(1);
    await h.settle(KEY);
    assert.equal(h.activePods().length, 1);
  }
  h.finish(h.activePods()[0]!, "Succeeded");
  await h.settle(KEY);
  assert.equal(h.controller.backoffRemaining(KEY, h.clock.now()), 0);
  assert.equal(h.activePods().length, 1);
});

test("activeDeadlineSeconds: requeued for the deadline, then DeadlineExceeded and the pods go", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 1, activeDeadlineSeconds: 30 }));
  const res = await h.controller.sync(KEY);
  assert.equal(res?.requeueAfterMs, 30_000);
  h.clock.advance(30_000);
  await h.settle(KEY);
  assert.equal(cond(h, "Failed")?.reason, "DeadlineExceeded");
  assert.equal(cond(h, "Failed")?.message, "Job was active longer than specified deadline");
  assert.equal(h.activePods().length, 0);
});

test("podFailurePolicy: Ignore does not count a disruption, FailJob fails at once on a matching exit code", async () => {
  const h = new JobHarness();
  h.addJob(
    newJob("pi", {
      completions: 2,
      parallelism: 1,
      backoffLimit: 6,
      podFailurePolicy: {
        rules: [
          { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          { action: "FailJob", onExitCodes: { operator: "In", values: [42] } },
        ],
      },
    }),
  );
  await h.settle(KEY);
  h.finish(h.activePods()[0]!, "Failed", { conditions: [{ type: "DisruptionTarget", status: "True" }] });
  await h.settle(KEY);
  assert.equal(h.job("pi").status?.failed, 0);
  assert.equal(h.activePods().length, 1, "replaced at once: an ignored failure is no failure");
  h.finish(h.activePods()[0]!, "Failed", { exitCode: 42 });
  await h.settle(KEY);
  assert.equal(cond(h, "Failed")?.reason, "PodFailurePolicy", JSON.stringify(h.job("pi").status));
  assert.match(cond(h, "Failed")?.message ?? "", /^Container c for pod default\/pi-\w+ failed with exit code 42 matching FailJob rule at index 1$/);
  assert.equal(h.job("pi").status?.failed, 1);
});

test("backoffLimitPerIndex: an index failing too often is marked failed; the job fails with FailedIndexes", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 2, parallelism: 2, completionMode: "Indexed", backoffLimitPerIndex: 1 }));
  await h.settle(KEY);
  const idx = (p: { metadata?: { annotations?: Record<string, string> } }) => p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"];
  h.finish(h.activePods().find((p) => idx(p) === "0")!, "Failed");
  h.finish(h.activePods().find((p) => idx(p) === "1")!, "Succeeded");
  await h.settle(KEY);
  h.clock.advance(10_000);
  await h.settle(KEY);
  const retry = h.activePods();
  assert.equal(retry.length, 1);
  assert.equal(idx(retry[0]!), "0");
  assert.equal(retry[0]!.metadata?.annotations?.["batch.kubernetes.io/job-index-failure-count"], "1");
  h.finish(retry[0]!, "Failed");
  await h.settle(KEY);
  const st = h.job("pi").status!;
  assert.equal(st.failedIndexes, "0");
  assert.equal(st.completedIndexes, "1");
  assert.equal(cond(h, "Failed")?.reason, "FailedIndexes");
});

test("maxFailedIndexes exceeded fails the job before the other indexes finish", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 4, parallelism: 4, completionMode: "Indexed", backoffLimitPerIndex: 0, maxFailedIndexes: 0 }));
  await h.settle(KEY);
  h.finish(h.activePods()[0]!, "Failed");
  await h.settle(KEY);
  assert.equal(cond(h, "Failed")?.reason, "MaxFailedIndexesExceeded");
  assert.equal(h.activePods().length, 0);
});

test("suspend deletes active pods without counting them, resume restarts the clock and the pods", async () => {
  const h = new JobHarness();
  const job = h.addJob(newJob("pi", { completions: 2, parallelism: 2 }));
  await h.settle(KEY);
  h.addJob({ ...h.job("pi"), spec: { ...job.spec!, suspend: true } });
  await h.settle(KEY);
  assert.equal(h.podList().length, 0, "finalizers dropped before delete, so the pods are gone");
  let st = h.job("pi").status!;
  assert.equal(st.failed, 0);
  assert.equal(st.active, 0);
  assert.equal(cond(h, "Suspended")?.status, "True");
  assert.equal(cond(h, "Suspended")?.reason, "JobSuspended");
  h.clock.advance(60_000);
  h.addJob({ ...h.job("pi"), spec: { ...job.spec!, suspend: false } });
  await h.settle(KEY);
  st = h.job("pi").status!;
  assert.equal(cond(h, "Suspended")?.status, "False");
  assert.equal(cond(h, "Suspended")?.reason, "JobResumed");
  assert.equal(st.startTime, "2026-01-01T00:01:00Z");
  assert.equal(h.activePods().length, 2);
});

test("ttlSecondsAfterFinished deletes the finished job once the TTL has passed", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 1, ttlSecondsAfterFinished: 60 }));
  await h.settle(KEY);
  h.finish(h.activePods()[0]!, "Succeeded");
  await h.settle(KEY);
  assert.equal(cond(h, "Complete")?.status, "True");
  h.clock.advance(59_000);
  const res = await h.controller.sync(KEY);
  assert.equal(res?.requeueAfterMs, 1_000);
  assert.deepEqual(h.deletedJobs, []);
  h.clock.advance(1_000);
  await h.controller.sync(KEY);
  assert.deepEqual(h.deletedJobs, ["pi"]);
});

test("parallelism lowered: surplus pods (not ready first) are removed without counting as failures", async () => {
  const h = new JobHarness();
  const job = h.addJob(newJob("pi", { completions: 10, parallelism: 3 }));
  await h.settle(KEY);
  const [a, b] = h.activePods();
  h.finish(a!, "Running", { ready: true });
  h.finish(b!, "Running", { ready: true });
  h.addJob({ ...h.job("pi"), spec: { ...job.spec!, parallelism: 2 } });
  await h.settle(KEY);
  const left = h.activePods();
  assert.equal(left.length, 2);
  assert.ok(left.every((p) => p.status?.phase === "Running"), "the not-ready pod was the one removed");
  assert.equal(h.job("pi").status?.failed, 0);
  assert.equal(h.job("pi").status?.ready, 2);
});

test("with a podFailurePolicy, pods still running when the Job fails are let go and counted once deleted", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 3, parallelism: 2, backoffLimit: 0, podFailurePolicy: { rules: [{ action: "Count", onExitCodes: { operator: "In", values: [1] } }] } }));
  await h.settle(KEY);
  const [a, b] = h.activePods();
  h.finish(a!, "Failed");
  h.finish(b!, "Running", { ready: true });
  await h.settle(KEY);
  // No kubelet ever reports the deleted pod as Failed: the Job must still finish.
  assert.equal(cond(h, "Failed")?.reason, "BackoffLimitExceeded");
  assert.equal(h.job("pi").status?.failed, 2);
  assert.equal(h.podList().filter((p) => p.metadata?.finalizers?.length).length, 0);
});

test("podReplacementPolicy Failed: a terminating pod is replaced only once it is gone or Failed", async () => {
  const h = new JobHarness();
  h.addJob(newJob("pi", { completions: 2, parallelism: 1, podReplacementPolicy: "Failed" }));
  await h.settle(KEY);
  const [a] = h.activePods();
  // Someone deletes the running pod; it keeps running while it terminates.
  h.pods.indexer.upsert({ ...structuredClone(h.pods.indexer.get(`default/${a!.metadata!.name}`)!), metadata: { ...a!.metadata, deletionTimestamp: new Date(h.clock.now()).toISOString() } });
  await h.settle(KEY);
  assert.equal(h.activePods().length, 0, "no replacement while it terminates");
  assert.equal(h.job("pi").status?.terminating, 1);
  h.finish(a!, "Failed");
  await h.settle(KEY);
  h.clock.advance(10_000);
  await h.settle(KEY);
  assert.equal(h.activePods().length, 1);
  assert.equal(h.job("pi").status?.failed, 1);
});

test("an orphan pod matching the Job's selector is adopted and counted", async () => {
  const h = new JobHarness();
  const job = newJob("pi", { completions: 1, selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "job-uid-pi" } } });
  h.addJob(job);
  await h.podWriter.create("default", {
    metadata: { name: "orphan", labels: { "batch.kubernetes.io/controller-uid": "job-uid-pi" } },
    spec: { containers: [{ name: "c", image: "busybox" }] },
    status: { phase: "Running" },
  });
  await h.settle(KEY);
  assert.equal(h.podList().length, 1, "no new pod: the orphan is the Job's now");
  const adopted = h.pods.indexer.get("default/orphan")!;
  assert.equal(adopted.metadata?.ownerReferences?.[0]?.uid, "job-uid-pi");
  assert.deepEqual(adopted.metadata?.finalizers, ["batch.kubernetes.io/job-tracking"], "tracked like its own pods");
  h.finish(adopted, "Succeeded");
  await h.settle(KEY);
  assert.equal(h.job("pi").status?.succeeded, 1);
  assert.equal(cond(h, "Complete")?.status, "True");
});

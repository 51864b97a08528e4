import { test } from "node:test";
import assert from "node:assert/strict";
import { CronJobHarness, T0, newCronJob } from "./testing.js";

const KEY = "default/backup";
const MIN = 60_000;
const minutes = (ms: number) => Math.floor(ms / MIN);

test("creates <cronjob>-<minutes> at each scheduled time with the template, annotation and controller reference", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup"));
  const res = await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), []);
  assert.equal(res?.requeueAfterMs, 5 * MIN + 100, "requeued for the next scheduled time");
  h.clock.advance(5 * MIN + 100);
  await h.controller.sync(KEY);
  const name = `backup-${minutes(T0 + 5 * MIN)}`;
  assert.deepEqual(h.jobNames(), [name]);
  const job = h.jobs.indexer.get(`default/${name}`)!;
  assert.equal(job.metadata?.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"], "2026-01-01T00:05:00Z");
  assert.deepEqual(job.metadata?.labels, { app: "backup" });
  assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: "batch/v1", kind: "CronJob", name: "backup", uid: "cj-uid-backup", controller: true, blockOwnerDeletion: true }]);
  assert.equal(job.spec?.template.spec?.containers[0]?.image, "busybox");
  const st = h.cj("backup").status!;
  assert.equal(st.lastScheduleTime, "2026-01-01T00:05:00Z");
  assert.deepEqual(st.active?.map((r) => [r.kind, r.name, r.uid]), [["Job", name, job.metadata?.uid]]);
  assert.ok(h.recorder.events.includes(`Normal SuccessfulCreate Created job ${name}`));
  // Syncing again at the same time creates nothing more.
  await h.controller.sync(KEY);
  assert.equal(h.jobNames().length, 1);
});

test("a finished job leaves status.active and sets lastSuccessfulTime", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup"));
  await h.runUntil(KEY, T0 + 5 * MIN + 100);
  const name = h.jobNames()[0]!;
  h.clock.advance(30_000);
  h.finishJob(name, "Complete");
  await h.controller.sync(KEY);
  const st = h.cj("backup").status!;
  assert.equal(st.active, undefined);
  assert.equal(st.lastSuccessfulTime, "2026-01-01T00:05:30Z");
  assert.ok(h.recorder.events.includes(`Normal SawCompletedJob Saw completed job: ${name}, condition: Complete`));
});

test("concurrencyPolicy Allow runs overlap, Forbid skips while one runs, Replace deletes the running one", async () => {
  for (const [policy, expectJobs, expectDeleted] of [
    ["Allow", 2, 0],
    ["Forbid", 1, 0],
    ["Replace", 2, 1],
  ] as const) {
    const h = new CronJobHarness();
    h.add(newCronJob("backup", { concurrencyPolicy: policy }));
    await h.runUntil(KEY, T0 + 10 * MIN + 100);
    assert.equal(h.jobWriter.created.length, expectJobs, policy);
    assert.equal(h.jobWriter.deleted.length, expectDeleted, policy);
    const active = h.cj("backup").status?.active ?? [];
    assert.equal(active.length, policy === "Allow" ? 2 : 1, policy);
    if (policy === "Forbid") assert.ok(h.recorder.events.includes("Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid"));
    if (policy === "Replace") assert.equal(active[0]?.name, `backup-${minutes(T0 + 10 * MIN)}`);
  }
});

test("Forbid: a run skipped while the previous one ran starts once it finished (no deadline set)", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { concurrencyPolicy: "Forbid" }));
  await h.runUntil(KEY, T0 + 10 * MIN + 100);
  assert.equal(h.jobNames().length, 1);
  h.clock.advance(60_000);
  h.finishJob(h.jobNames()[0]!, "Complete");
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), [`backup-${minutes(T0 + 5 * MIN)}`, `backup-${minutes(T0 + 10 * MIN)}`]);
  assert.equal(h.cj("backup").status?.active?.[0]?.name, `backup-${minutes(T0 + 10 * MIN)}`);
});

test("startingDeadlineSeconds: a run noticed later than the deadline is skipped; within it, it starts late", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { startingDeadlineSeconds: 60 }));
  // The controller was down: it looks again 2 minutes after the scheduled time.
  h.clock.advance(7 * MIN);
  const res = await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), []);
  assert.equal(res?.requeueAfterMs, 3 * MIN + 100);
  h.clock.advance(3 * MIN + 30_000);
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), [`backup-${minutes(T0 + 10 * MIN)}`], "30 s late is within the 60 s deadline");
  assert.equal(h.cj("backup").status?.lastScheduleTime, "2026-01-01T00:10:00Z");
});

test("too many missed runs: an event, and only the most recent one starts", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { schedule: "* * * * *" }));
  h.clock.advance(3 * 60 * MIN + 30_000);
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), [`backup-${minutes(T0 + 180 * MIN)}`]);
  assert.ok(h.recorder.events.some((e) => e.startsWith("Warning TooManyMissedTimes too many missed start times")));
});

test("a few missed runs without a deadline: only the latest starts, without the warning", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup"));
  h.clock.advance(17 * MIN);
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), [`backup-${minutes(T0 + 15 * MIN)}`]);
  assert.ok(!h.recorder.events.some((e) => e.includes("TooManyMissedTimes")));
});

test("suspend: nothing starts while suspended", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { suspend: true }));
  const res = await h.controller.sync(KEY);
  assert.equal(res, undefined);
  h.clock.advance(60 * MIN);
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), []);
});

test("history limits keep the newest successful and failed jobs", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
  const finished: string[] = [];
  for (let i = 1; i <= 6; i++) {
    await h.runUntil(KEY, T0 + i * 5 * MIN + 100);
    const latest = `backup-${minutes(T0 + i * 5 * MIN)}`;
    h.finishJob(latest, i <= 4 ? "Complete" : "Failed");
    finished.push(latest);
  }
  await h.controller.sync(KEY);
  assert.deepEqual(h.jobNames(), [finished[2], finished[3], finished[5]].sort());
  assert.deepEqual(h.jobWriter.deleted.sort(), [finished[0], finished[1], finished[4]].sort());
});

test("timeZone: the schedule runs on that zone's clock and the annotation carries its offset", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { schedule: "0 9 * * *", timeZone: "Asia/Tokyo" }));
  const res = await h.controller.sync(KEY);
  // 09:00 in Tokyo is 00:00 UTC; the CronJob was created at exactly 00:00 UTC, so the next is a day later.
  assert.equal(res?.requeueAfterMs, 24 * 60 * MIN + 100);
  h.clock.advance(24 * 60 * MIN);
  await h.controller.sync(KEY);
  const job = h.jobs.indexer.list()[0]!;
  assert.equal(job.metadata?.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"], "2026-01-02T09:00:00+09:00");
});

test("bad time zones and schedules are reported as events, not retried", async () => {
  const h = new CronJobHarness();
  h.add(newCronJob("backup", { timeZone: "Mars/Olympus" }));
  assert.equal(await h.controller.sync(KEY), undefined);
  h.add(newCronJob("other", { schedule: "61 * * * *" }));
  assert.equal(await h.controller.sync("default/other"), undefined);
  assert.ok(h.recorder.events.includes('Warning UnknownTimeZone invalid timeZone: "Mars/Olympus"'));
  assert.ok(h.recorder.events.some((e) => e.startsWith('Warning UnparseableSchedule unparseable schedule: "61 * * * *"')));
});

test("a job created by hand from the CronJob (kubectl create job --from) is reported, not adopted into active", async () => {
  const h = new CronJobHarness();
  const cj = newCronJob("backup");
  h.add(cj);
  await h.jobWriter.create("default", {
    metadata: { name: "backup-manual", annotations: { "cronjob.kubernetes.io/instantiate": "manual" }, ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "backup", uid: "cj-uid-backup", controller: true }] },
    spec: cj.spec!.jobTemplate.spec!,
  });
  await h.controller.sync(KEY);
  assert.equal(h.cj("backup").status?.active, undefined);
  assert.ok(h.recorder.events.includes("Warning UnexpectedJob Saw a job that the controller did not create or forgot: backup-manual"));
});

test("its own Job seen before the CronJob's cache shows it in active: no UnexpectedJob (the live CronJob is asked)", async () => {
  const h = new CronJobHarness();
  const cj = newCronJob("backup");
  h.add(cj);
  await h.runUntil(KEY, T0 + 5 * 60_000);
  const written = h.cj("backup");
  assert.equal(written.status?.active?.length, 1);
  // The cache goes back to before the status write; the API server has the write.
  h.live.set(KEY, structuredClone(written));
  h.add({ ...cj, metadata: { ...cj.metadata, resourceVersion: "1" } });
  await h.controller.sync(KEY);
  assert.ok(!h.recorder.events.some((e) => e.includes("UnexpectedJob")), h.recorder.events.join("\n"));
  assert.deepEqual(h.cj("backup").status?.active?.map((r) => r.name), written.status?.active?.map((r) => r.name));
});

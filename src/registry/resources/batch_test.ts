import { test } from "node:test";
import assert from "node:assert/strict";
import type { Job, CronJob } from "kubernetes-types/batch/v1.js";
import { jobs } from "./jobs.js";
import { cronjobs } from "./cronjobs.js";
import { NOW, created, fields, updated } from "./testing.js";

const job = (spec: Record<string, unknown>) => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "pi", namespace: "default" }, spec });
const tpl = (restartPolicy = "Never") => ({ spec: { restartPolicy, containers: [{ name: "pi", image: "perl" }] } });

test("job defaults and the generated selector", () => {
  const { obj, errs } = created(jobs, job({ template: tpl() }));
  assert.deepEqual(errs, []);
  const j = obj as unknown as Job;
  const uid = obj.metadata.uid!;
  assert.equal(j.spec!.completions, 1);
  assert.equal(j.spec!.parallelism, 1);
  assert.equal(j.spec!.backoffLimit, 6);
  assert.equal(j.spec!.completionMode, "NonIndexed");
  assert.equal(j.spec!.suspend, false);
  assert.equal(j.spec!.manualSelector, false);
  assert.equal(j.spec!.podReplacementPolicy, "TerminatingOrFailed");
  assert.deepEqual(j.spec!.selector, { matchLabels: { "batch.kubernetes.io/controller-uid": uid } });
  assert.deepEqual(j.spec!.template.metadata!.labels, { "controller-uid": uid, "job-name": "pi", "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi" });
  const par = created(jobs, job({ parallelism: 3, template: tpl() })).obj as unknown as Job;
  assert.equal(par.spec!.completions, undefined);
});

test("job restartPolicy must be OnFailure or Never", () => {
  const { errs } = created(jobs, job({ template: tpl("Always") }));
  assert.deepEqual(fields(errs), ["FieldValueNotSupported:spec.template.spec.restartPolicy"]);
  assert.match(errs[0]!.detail, /"OnFailure", "Never"/);
});

test("job selector and template are immutable", () => {
  const { obj: old } = created(jobs, job({ template: tpl() }));
  const t = structuredClone(old) as unknown as Job;
  t.spec!.template.spec!.containers[0]!.image = "perl:2";
  assert.deepEqual(fields(updated(jobs, t as never, old).errs), ["FieldValueInvalid:spec.template"]);
  const p = structuredClone(old) as unknown as Job;
  p.spec!.parallelism = 2;
  assert.deepEqual(updated(jobs, p as never, old).errs, []);
});

test("job table and field selector", () => {
  const { obj } = created(jobs, job({ template: tpl() }));
  obj.status = { succeeded: 1, startTime: "2026-01-01T11:56:00Z", completionTime: "2026-01-01T11:56:30Z", conditions: [{ type: "Complete", status: "True" }] };
  assert.deepEqual(jobs.table!.cells(obj, NOW).slice(0, 5), ["pi", "Complete", "1/1", "30s", "5m"]);
  assert.deepEqual(jobs.strategy.fieldAttrs!(obj), { "status.successful": "1" });
  obj.status = { active: 1, startTime: "2026-01-01T11:59:00Z" };
  assert.deepEqual(jobs.table!.cells(obj, NOW).slice(1, 4), ["Running", "0/1", "60s"]);
});

test("cronjob defaults, schedule validation and table", () => {
  const cj = (schedule: string, extra: Record<string, unknown> = {}) => ({ metadata: { name: "hello" }, spec: { schedule, jobTemplate: { spec: { template: tpl("OnFailure") } }, ...extra } });
  const { obj, errs } = created(cronjobs, cj("*/5 * * * *"));
  assert.deepEqual(errs, []);
  const c = obj as unknown as CronJob;
  assert.equal(c.spec!.concurrencyPolicy, "Allow");
  assert.equal(c.spec!.suspend, false);
  assert.equal(c.spec!.successfulJobsHistoryLimit, 3);
  assert.equal(c.spec!.failedJobsHistoryLimit, 1);
  assert.deepEqual(fields(created(cronjobs, cj("* * *")).errs), ["FieldValueInvalid:spec.schedule"]);
  assert.deepEqual(fields(created(cronjobs, cj("61 * * * *")).errs), ["FieldValueInvalid:spec.schedule"]);
  assert.deepEqual(created(cronjobs, cj("@hourly")).errs, []);
  assert.deepEqual(created(cronjobs, cj("0 9 * * MON-FRI", { timeZone: "Europe/Paris" })).errs, []);
  assert.deepEqual(fields(created(cronjobs, cj("0 9 * * *", { timeZone: "Mars/Olympus" })).errs), ["FieldValueInvalid:spec.timeZone"]);
  assert.deepEqual(cronjobs.table!.cells(obj, NOW).slice(0, 7), ["hello", "*/5 * * * *", "<none>", "False", 0, "<none>", "5m"]);
});

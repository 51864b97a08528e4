// batch/v1 cronjobs: defaults (Allow, not suspended, history 3/1), schedule and time zone validation, the job
// template validated as a job's, and the `kubectl get cronjobs` table.
import { deepClone } from "../../api/object.js";
import type { CronJob, CronJobSpec } from "kubernetes-types/batch/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, nonnegative, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { cronScheduleError, timeZoneError } from "../../api/validation/cron.js";
import { ALL, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, col, resetForStatus, selectorCell, since, templateCells } from "./common.js";
import { validateJobSpec } from "./jobs.js";
import { defaultTemplate } from "./workload.js";

const CONCURRENCY = ["Allow", "Forbid", "Replace"];
/** Job names are the cronjob name plus an 11-character suffix, and must fit a 63-character label. */
const MAX_CRONJOB_NAME = 52;

export function defaultCronJobSpec(spec: CronJobSpec): void {
  spec.concurrencyPolicy ??= "Allow";
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultTemplate(spec.jobTemplate?.spec?.template);
}

function validate(cj: CronJob): FieldError[] {
  const errs: FieldError[] = [];
  const name = cj.metadata?.name ?? "";
  if (name.length > MAX_CRONJOB_NAME) errs.push(invalid("metadata.name", name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  const spec = cj.spec;
  if (!spec) return [...errs, required("spec")];
  if (!spec.schedule) errs.push(required("spec.schedule"));
  else {
    const e = cronScheduleError(spec.schedule);
    if (e) errs.push(invalid("spec.schedule", spec.schedule, e));
  }
  if (spec.timeZone !== undefined) {
    const e = timeZoneError(spec.timeZone);
    if (e) errs.push(invalid("spec.timeZone", spec.timeZone, e));
  }
  if (spec.concurrencyPolicy && !CONCURRENCY.includes(spec.concurrencyPolicy)) errs.push(notSupported("spec.concurrencyPolicy", spec.concurrencyPolicy, CONCURRENCY));
  errs.push(...nonnegative(spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds"));
  errs.push(...nonnegative(spec.successfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit"));
  errs.push(...nonnegative(spec.failedJobsHistoryLimit, "spec.failedJobsHistoryLimit"));
  if (!spec.jobTemplate) errs.push(required("spec.jobTemplate"));
  else errs.push(...validateJobSpec(spec.jobTemplate.spec, "spec.jobTemplate.spec", { selectorRequired: false }));
  return errs;
}

export const cronjobs: ResourceDef = {
  group: "batch",
  kind: "CronJob",
  resource: "cronjobs",
  singular: "cronjob",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["cj"],
  categories: ALL,
  status: true,
  strategy: {
    defaults(obj) {
      const cj = as<CronJob>(obj);
      if (cj.spec) defaultCronJobSpec(cj.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = {};
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validate(as<CronJob>(obj)),
    validateUpdate: (obj) => validate(as<CronJob>(obj)),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
      col("Timezone", "string", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
      col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
      col("Active", "integer", "A list of pointers to currently running jobs."),
      col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const cj = as<CronJob>(obj);
      const last = cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : "<none>";
      const suspend = cj.spec?.suspend === undefined ? "<unset>" : cj.spec.suspend ? "True" : "False";
      const [containers, images] = templateCells(cj.spec?.jobTemplate?.spec?.template);
      return [
        obj.metadata.name, cj.spec?.schedule ?? "", cj.spec?.timeZone ?? "<none>", suspend, (cj.status?.active ?? []).length,
        last, age(obj, now), containers, images, selectorCell(cj.spec?.jobTemplate?.spec?.selector),
      ];
    },
  },
};

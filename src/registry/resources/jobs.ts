// batch/v1 jobs: defaults, the generated selector and labels (batch.kubernetes.io/controller-uid), validation
// (OnFailure/Never pods, immutable selector and template), and the `kubectl get jobs` table.
import type { Job, JobSpec } from "kubernetes-types/batch/v1.js";
import { deepClone, type StoredObject } from "../../api/object.js";
import type { ResourceDef } from "../types.js";
import { validatePodTemplateSpec, validateSelectorAndTemplate } from "../../api/validation/pod_template.js";
import { immutable, invalid, nonnegative, notSupported, positive, required, type FieldError } from "../../api/validation/field.js";
import { defaultTemplate } from "./workload.js";
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, age, as, col, resetForStatus, selectorCell, since, templateCells } from "./common.js";
import { humanDuration } from "../../util/human_duration.js";

export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
/** Unprefixed labels Kubernetes still adds for selectors written before the prefixed ones existed. */
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";
export const JOB_RESTART_POLICIES = ["OnFailure", "Never"];
const COMPLETION_MODES = ["NonIndexed", "Indexed"];
const DEFAULT_BACKOFF_LIMIT = 6;
const MAX_INT32 = 2147483647;

export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? DEFAULT_BACKOFF_LIMIT : MAX_INT32;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.manualSelector ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? "Failed" : "TerminatingOrFailed";
  for (const r of spec.podFailurePolicy?.rules ?? []) for (const c of r.onPodConditions ?? []) c.status ??= "True";
  defaultTemplate(spec.template);
}

/** Without manualSelector the job selects its pods by its own uid, and its template carries the labels. */
export function generateSelector(job: Job & StoredObject): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? "";
  const name = job.metadata.name ?? "";
  spec.selector = { matchLabels: { [CONTROLLER_UID_LABEL]: uid } };
  const meta = (spec.template.metadata ??= {});
  const labels = (meta.labels ??= {});
  labels[LEGACY_CONTROLLER_UID_LABEL] ??= uid;
  labels[LEGACY_JOB_NAME_LABEL] ??= name;
  labels[CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_NAME_LABEL] ??= name;
}

export function validateJobSpec(spec: JobSpec | undefined, base: string, opts: { selectorRequired: boolean }): FieldError[] {
  if (!spec) return [required(base)];
  const errs: FieldError[] = [];
  if (opts.selectorRequired || spec.selector) errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, "job", base));
  errs.push(...validatePodTemplateSpec(spec.template, `${base}.template`, { restartPolicies: JOB_RESTART_POLICIES }));
  errs.push(...nonnegative(spec.parallelism, `${base}.parallelism`));
  errs.push(...nonnegative(spec.completions, `${base}.completions`));
  errs.push(...positive(spec.activeDeadlineSeconds, `${base}.activeDeadlineSeconds`));
  errs.push(...nonnegative(spec.backoffLimit, `${base}.backoffLimit`));
  errs.push(...nonnegative(spec.ttlSecondsAfterFinished, `${base}.ttlSecondsAfterFinished`));
  if (spec.completionMode !== undefined && !COMPLETION_MODES.includes(spec.completionMode)) {
    errs.push(notSupported(`${base}.completionMode`, spec.completionMode, COMPLETION_MODES));
  }
  if (spec.completionMode === "Indexed" && spec.completions === undefined) {
    errs.push(required(`${base}.completions`, "when completion mode is Indexed"));
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== "Indexed") {
    errs.push(invalid(`${base}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, "requires indexed completion mode"));
  }
  return errs;
}

function validateJobUpdate(n: JobSpec | undefined, o: JobSpec | undefined): FieldError[] {
  if (!n || !o) return [];
  const errs = [...immutable(n.selector, o.selector, "spec.selector"), ...immutable(n.completionMode, o.completionMode, "spec.completionMode")];
  errs.push(...immutable(n.podFailurePolicy, o.podFailurePolicy, "spec.podFailurePolicy"));
  errs.push(...immutable(n.backoffLimitPerIndex, o.backoffLimitPerIndex, "spec.backoffLimitPerIndex"));
  // Indexed jobs may scale completions together with parallelism (elastic indexed jobs).
  const elastic = n.completionMode === "Indexed" && n.completions === n.parallelism && o.completions === o.parallelism;
  if (!elastic) errs.push(...immutable(n.completions, o.completions, "spec.completions"));
  // Scheduling directives of a suspended job that never started may change; the rest of the template may not.
  const tplChanged = JSON.stringify(n.template) !== JSON.stringify(o.template);
  if (tplChanged && !(o.suspend && n.suspend !== undefined)) errs.push(...immutable(n.template, o.template, "spec.template"));
  return errs;
}

function conditionTrue(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

export function jobStatusCell(job: Job): string {
  if (conditionTrue(job, "Complete")) return "Complete";
  if (conditionTrue(job, "Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (conditionTrue(job, "Suspended")) return "Suspended";
  if (conditionTrue(job, "FailureTarget")) return "FailureTarget";
  if (conditionTrue(job, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

export function jobCompletionsCell(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const p = job.spec?.parallelism ?? 0;
  return p > 1 ? `${succeeded}/1 of ${p}` : `${succeeded}/1`;
}

function durationCell(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return "";
  const end = job.status?.completionTime;
  return end ? humanDuration(Date.parse(end) - Date.parse(start)) : since(start, now);
}

export const jobs: ResourceDef = {
  group: "batch",
  kind: "Job",
  resource: "jobs",
  singular: "job",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  categories: ["all"],
  status: true,
  strategy: {
    defaults(obj) {
      const j = as<Job>(obj);
      if (j.spec) defaultJobSpec(j.spec);
    },
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = {};
      generateSelector(as<Job>(obj));
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateJobSpec(as<Job>(obj).spec, "spec", { selectorRequired: true }),
    validateUpdate: (obj, old) => [
      ...validateJobSpec(as<Job>(obj).spec, "spec", { selectorRequired: true }),
      ...validateJobUpdate(as<Job>(obj).spec, as<Job>(old).spec),
    ],
    fieldAttrs: (obj) => ({ "status.successful": String(as<Job>(obj).status?.succeeded ?? 0) }),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Status", "string", "Status of the job."),
      col("Completions", "string", "The completion status of the job."),
      col("Duration", "string", "Time required to complete the job."),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const j = as<Job>(obj);
      const [containers, images] = templateCells(j.spec?.template);
      return [obj.metadata.name, jobStatusCell(j), jobCompletionsCell(j), durationCell(j, now), age(obj, now), containers, images, selectorCell(j.spec?.selector)];
    },
  },
};

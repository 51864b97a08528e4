// Query parameters of resource requests, parsed and checked once (a bad value is a 400 naming the parameter).
import { errors } from "../machinery/errors.js";
import type { DeleteParams, FieldValidation, ListParams, WatchParams } from "../registry/rest.js";
import { isPlainObject } from "./body.js";

function intParam(q: URLSearchParams, name: string, opts: { min?: number } = {}): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid ${name} ${JSON.stringify(v)}: must be an integer`);
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min) throw errors.badRequest(`invalid ${name} ${n}: must be at least ${opts.min}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === "" || v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw errors.badRequest(`invalid ${name} ${JSON.stringify(v)}: must be true or false`);
}

export function listParams(q: URLSearchParams): ListParams {
  const rvm = q.get("resourceVersionMatch") ?? "";
  if (rvm !== "" && rvm !== "NotOlderThan" && rvm !== "Exact") {
    throw errors.badRequest(`invalid resourceVersionMatch ${JSON.stringify(rvm)}: must be NotOlderThan or Exact`);
  }
  return {
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
    limit: intParam(q, "limit", { min: 0 }),
    continue: q.get("continue") || undefined,
    resourceVersion: q.get("resourceVersion") ?? undefined,
    resourceVersionMatch: rvm === "" ? undefined : rvm,
  };
}

/** Without timeoutSeconds a watch ends after Kubernetes' default minimum request timeout, so clients re-watch. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;

export function watchParams(q: URLSearchParams): WatchParams {
  return {
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
    resourceVersion: q.get("resourceVersion") ?? undefined,
    allowWatchBookmarks: boolParam(q, "allowWatchBookmarks"),
    sendInitialEvents: boolParam(q, "sendInitialEvents"),
    timeoutSeconds: intParam(q, "timeoutSeconds", { min: 0 }),
  };
}

/** dryRun=All (query, possibly repeated) -> true; any other value is rejected like Kubernetes does. */
export function dryRunParam(values: unknown[]): boolean {
  let dry = false;
  for (const v of values) {
    if (v === "All") dry = true;
    else if (v !== "" && v !== undefined) throw errors.badRequest(`invalid dryRun value ${JSON.stringify(v)}: the only supported value is "All"`);
  }
  return dry;
}

export function fieldValidationParam(q: URLSearchParams): FieldValidation {
  const v = q.get("fieldValidation") ?? "";
  if (v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw errors.badRequest(`invalid fieldValidation ${JSON.stringify(v)}: must be one of Strict, Warn, Ignore`);
}

const POLICIES = new Set(["Orphan", "Background", "Foreground"]);

/** DeleteOptions from the body (when present) and the query, the query winning as in Kubernetes. */
export function deleteParams(q: URLSearchParams, body: unknown): { params: DeleteParams; dryRun: boolean } {
  const params: DeleteParams = {};
  let dryValues: unknown[] = q.getAll("dryRun");
  if (body !== undefined) {
    if (!isPlainObject(body)) throw errors.badRequest("the DeleteOptions body must be an object");
    if (body.kind !== undefined && body.kind !== "DeleteOptions") throw errors.badRequest(`expected a DeleteOptions body, got kind ${JSON.stringify(body.kind)}`);
    if (typeof body.gracePeriodSeconds === "number") params.gracePeriodSeconds = body.gracePeriodSeconds;
    if (typeof body.propagationPolicy === "string") params.propagationPolicy = body.propagationPolicy as DeleteParams["propagationPolicy"];
    if (typeof body.orphanDependents === "boolean") params.orphanDependents = body.orphanDependents;
    if (isPlainObject(body.preconditions)) {
      const p = body.preconditions;
      params.preconditions = {
        ...(typeof p.uid === "string" ? { uid: p.uid } : {}),
        ...(typeof p.resourceVersion === "string" ? { resourceVersion: p.resourceVersion } : {}),
      };
    }
    if (Array.isArray(body.dryRun)) dryValues = [...dryValues, ...body.dryRun];
  }
  const grace = intParam(q, "gracePeriodSeconds");
  if (grace !== undefined) params.gracePeriodSeconds = grace;
  const policy = q.get("propagationPolicy");
  if (policy) params.propagationPolicy = policy as DeleteParams["propagationPolicy"];
  const orphan = boolParam(q, "orphanDependents");
  if (orphan !== undefined) params.orphanDependents = orphan;
  if (params.propagationPolicy !== undefined && !POLICIES.has(params.propagationPolicy)) {
    throw errors.badRequest(`invalid propagationPolicy ${JSON.stringify(params.propagationPolicy)}: must be one of Orphan, Background, Foreground`);
  }
  if (params.gracePeriodSeconds !== undefined && params.gracePeriodSeconds < 0) params.gracePeriodSeconds = 0;
  return { params, dryRun: dryRunParam(dryValues) };
}

export { boolParam };

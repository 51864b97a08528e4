// StatusError: the one error type for API errors. It carries a metav1.Status exactly as Kubernetes sends it.

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "ServerTimeout"
  | "Timeout"
  | "TooManyRequests"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "InternalError"
  | "ServiceUnavailable"
  | "";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A resource named by its group and plural, as Status details name it ("pods", "deployments.apps"). */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** One validation failure at a field path, like Kubernetes' field.Error. */
export interface FieldError {
  type: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueDuplicate" | "FieldValueForbidden" | "FieldValueTooLong" | "FieldValueTooMany" | "FieldValueTypeInvalid" | "InternalError";
  field: string;
  /** The human detail; the message is built from type, field, value and detail. */
  detail: string;
  value?: unknown;
}

const FIELD_TYPE_TEXT: Record<FieldError["type"], string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  InternalError: "Internal error",
};

export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** The message without the field path, as Kubernetes puts it in a Status cause (the field has its own key). */
export function fieldErrorBody(e: FieldError): string {
  const text = FIELD_TYPE_TEXT[e.type];
  const showValue = e.value !== undefined && (e.type === "FieldValueInvalid" || e.type === "FieldValueNotSupported" || e.type === "FieldValueDuplicate" || e.type === "FieldValueTypeInvalid");
  const v = showValue ? `: ${typeof e.value === "string" ? JSON.stringify(e.value) : JSON.stringify(e.value) ?? String(e.value)}` : "";
  return `${text}${v}${e.detail ? `: ${e.detail}` : ""}`;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Omit<Status, "kind" | "apiVersion" | "metadata" | "status">) {
    super(status.message ?? status.reason ?? `status ${status.code}`);
    this.name = "StatusError";
    this.status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", ...status };
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? "";
  }
}

export const errors = {
  badRequest: (message: string) => new StatusError({ code: 400, reason: "BadRequest", message }),
  unauthorized: (message = "Unauthorized") => new StatusError({ code: 401, reason: "Unauthorized", message }),
  forbidden: (gr: GroupResource, name: string, why: string) =>
    new StatusError({
      code: 403,
      reason: "Forbidden",
      message: `${qualified(gr)} ${JSON.stringify(name)} is forbidden: ${why}`,
      details: { name, group: gr.group, kind: gr.resource },
    }),
  notFound: (gr: GroupResource, name: string) =>
    new StatusError({
      code: 404,
      reason: "NotFound",
      message: `${qualified(gr)} ${JSON.stringify(name)} not found`,
      details: { name, group: gr.group || undefined, kind: gr.resource },
    }),
  /** A path that names nothing (no resource, no such group/version). */
  pathNotFound: (message = "the server could not find the requested resource") =>
    new StatusError({ code: 404, reason: "NotFound", message, details: {} }),
  methodNotAllowed: (message: string) => new StatusError({ code: 405, reason: "MethodNotAllowed", message }),
  notAcceptable: (message: string) => new StatusError({ code: 406, reason: "NotAcceptable", message }),
  alreadyExists: (gr: GroupResource, name: string) =>
    new StatusError({
      code: 409,
      reason: "AlreadyExists",
      message: `${qualified(gr)} ${JSON.stringify(name)} already exists`,
      details: { name, group: gr.group || undefined, kind: gr.resource },
    }),
  conflict: (gr: GroupResource, name: string, why: string) =>
    new StatusError({
      code: 409,
      reason: "Conflict",
      message: `Operation cannot be fulfilled on ${qualified(gr)} ${JSON.stringify(name)}: ${why}`,
      details: { name, group: gr.group || undefined, kind: gr.resource },
    }),
  gone: (message: string) => new StatusError({ code: 410, reason: "Expired", message }),
  tooLarge: (message: string) => new StatusError({ code: 413, reason: "RequestEntityTooLarge", message }),
  unsupportedMediaType: (contentType: string) =>
    new StatusError({ code: 415, reason: "UnsupportedMediaType", message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})` }),
  invalid: (kind: string, group: string, name: string, errs: FieldError[]) =>
    new StatusError({
      code: 422,
      reason: "Invalid",
      message: `${kind}${group ? "." + group : ""} ${JSON.stringify(name)} is invalid: ${errs.length === 1 ? fieldErrorMessage(errs[0]!) : "[" + errs.map(fieldErrorMessage).join(", ") + "]"}`,
      details: {
        name,
        group: group || undefined,
        kind,
        causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
      },
    }),
  tooManyRequests: (message: string, retryAfterSeconds = 1) =>
    new StatusError({ code: 429, reason: "TooManyRequests", message, details: { retryAfterSeconds } }),
  internal: (message: string) =>
    new StatusError({ code: 500, reason: "InternalError", message: `Internal error occurred: ${message}`, details: { causes: [{ message }] } }),
  serviceUnavailable: (message: string) => new StatusError({ code: 503, reason: "ServiceUnavailable", message }),
  timeout: (message: string, retryAfterSeconds = 1) =>
    new StatusError({ code: 504, reason: "Timeout", message, details: { retryAfterSeconds } }),
};

export function isStatusError(err: unknown, reason?: StatusReason): err is StatusError {
  return err instanceof StatusError && (reason === undefined || err.reason === reason);
}
export const isNotFound = (e: unknown): boolean => isStatusError(e, "NotFound");
export const isAlreadyExists = (e: unknown): boolean => isStatusError(e, "AlreadyExists");
export const isConflict = (e: unknown): boolean => isStatusError(e, "Conflict");
export const isGone = (e: unknown): boolean => isStatusError(e) && e.code === 410;
export const isInvalid = (e: unknown): boolean => isStatusError(e, "Invalid");

/** Rebuilds a StatusError from a Status received over the wire (clients). */
export function fromStatus(s: Partial<Status> & { code?: number }): StatusError {
  return new StatusError({ code: s.code ?? 500, reason: s.reason, message: s.message, details: s.details });
}

// Create-only "review" resources answered by the API server itself, never stored:
//   authorization.k8s.io selfsubjectaccessreviews (`kubectl auth can-i`): asks the authorizer about the caller;
//   authorization.k8s.io selfsubjectrulesreviews (`kubectl auth can-i --list`): the caller's rules;
//   authentication.k8s.io selfsubjectreviews (`kubectl auth whoami`): the caller's identity.
// The registry may define them (for validation); those it does not define are served from VIRTUAL_RESOURCES.
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { ResourceDef } from "../registry/types.js";
import { isPlainObject } from "./body.js";
import type { Authorizer, AuthorizationAttributes, UserInfo } from "./types.js";

const noValidation = { validate: () => [], validateUpdate: () => [] };

function review(group: string, kind: string, resource: string): ResourceDef {
  return { group, kind, resource, singular: resource.replace(/s$/, ""), namespaced: false, storageVersion: "v1", versions: [{ version: "v1" }], verbs: ["create"], strategy: noValidation };
}

export const VIRTUAL_RESOURCES: ResourceDef[] = [
  review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews"),
  review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews"),
  review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews"),
];

/** Asked of every resource request: compares names instead of building a "group/resource" key each time. */
export function isReviewResource(def: Pick<ResourceDef, "group" | "resource">): boolean {
  for (const d of VIRTUAL_RESOURCES) if (d.resource === def.resource && d.group === def.group) return true;
  return false;
}

/** The registry's resources plus the review resources it does not define itself. */
export function withReviewResources(defs: ResourceDef[]): ResourceDef[] {
  const have = new Set(defs.map((d) => `${d.group}/${d.resource}`));
  return [...defs, ...VIRTUAL_RESOURCES.filter((d) => !have.has(`${d.group}/${d.resource}`))];
}

export function virtualResource(group: string, resource: string): ResourceDef | undefined {
  return VIRTUAL_RESOURCES.find((d) => d.group === group && d.resource === resource);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Validates and answers a review object; the result is what the API returns (HTTP 201). */
export async function answerReview(def: ResourceDef, obj: StoredObject, user: UserInfo, authz: Authorizer): Promise<StoredObject> {
  const errs = def.strategy.validate(obj);
  if (errs.length) throw errors.invalid(def.kind, def.group, obj.metadata.name ?? "", errs);
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  if (def.resource === "selfsubjectreviews") {
    return { ...obj, status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups } } };
  }
  if (def.resource === "selfsubjectrulesreviews") {
    const ns = str(spec.namespace) ?? "";
    const rules = authz.rulesFor
      ? await authz.rulesFor(user, ns)
      : { resourceRules: [], nonResourceRules: [], incomplete: true };
    return { ...obj, status: { ...rules, ...(rules.incomplete && !authz.rulesFor ? { evaluationError: "the authorizer cannot list rules" } : {}) } };
  }
  let attrs: AuthorizationAttributes;
  if (isPlainObject(spec.resourceAttributes)) {
    const r = spec.resourceAttributes;
    attrs = {
      user,
      verb: str(r.verb) ?? "",
      resourceRequest: true,
      path: "",
      apiGroup: typeof r.group === "string" ? r.group : "",
      apiVersion: str(r.version),
      resource: str(r.resource),
      subresource: str(r.subresource),
      namespace: str(r.namespace),
      name: str(r.name),
    };
  } else if (isPlainObject(spec.nonResourceAttributes)) {
    const n = spec.nonResourceAttributes;
    attrs = { user, verb: str(n.verb) ?? "", resourceRequest: false, path: str(n.path) ?? "" };
  } else {
    throw errors.invalid(def.kind, def.group, "", [{ type: "FieldValueInvalid", field: "spec.resourceAttributes", value: null, detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified" }]);
  }
  const decision = await authz.authorize(attrs);
  return { ...obj, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) } };
}

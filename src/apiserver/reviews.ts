// Create-only "review" resources answered by the API server itself, never stored:
// authorization.k8s.io selfsubjectaccessreviews (`kubectl auth can-i`) asks the authorizer about the caller, and
// authentication.k8s.io selfsubjectreviews (`kubectl auth whoami`) echoes the caller's identity.
import type { StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { ResourceDef } from "../registry/types.js";
import { isPlainObject } from "./body.js";
import type { Authorizer, AuthorizationAttributes, UserInfo } from "./types.js";

export function isReviewResource(def: ResourceDef): boolean {
  return (def.group === "authorization.k8s.io" && def.resource === "selfsubjectaccessreviews") || (def.group === "authentication.k8s.io" && def.resource === "selfsubjectreviews");
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Validates and answers a review object; the result is what the API returns (HTTP 201). */
export async function answerReview(def: ResourceDef, obj: StoredObject, user: UserInfo, authz: Authorizer): Promise<StoredObject> {
  const errs = def.strategy.validate(obj);
  if (errs.length) throw errors.invalid(def.kind, def.group, obj.metadata.name ?? "", errs);
  if (def.resource === "selfsubjectreviews") {
    return { ...obj, status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups } } };
  }
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
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
  } else {
    const n = isPlainObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : {};
    attrs = { user, verb: str(n.verb) ?? "", resourceRequest: false, path: str(n.path) ?? "" };
  }
  const decision = await authz.authorize(attrs);
  return { ...obj, status: { allowed: decision.allowed, ...(decision.allowed ? {} : { denied: false }), ...(decision.reason ? { reason: decision.reason } : {}) } };
}

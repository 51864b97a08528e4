// authorization.k8s.io/v1 selfsubjectaccessreviews: create-only questions ("can I ...?"). Nothing is stored; the
// HTTP layer answers status.allowed. The definition gives discovery and validation.
import type { SelfSubjectAccessReview } from "kubernetes-types/authorization/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, type FieldError } from "../../api/validation/field.js";
import { as } from "./common.js";

function validate(r: SelfSubjectAccessReview): FieldError[] {
  const spec = r.spec ?? {};
  const n = (spec.resourceAttributes ? 1 : 0) + (spec.nonResourceAttributes ? 1 : 0);
  if (n === 1) return [];
  return [invalid("spec.resourceAttributes", spec.resourceAttributes ?? null, "exactly one of nonResourceAttributes or resourceAttributes must be specified")];
}

export const selfSubjectAccessReviews: ResourceDef = {
  group: "authorization.k8s.io",
  kind: "SelfSubjectAccessReview",
  resource: "selfsubjectaccessreviews",
  singular: "selfsubjectaccessreview",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  verbs: ["create"],
  strategy: {
    validate: (obj) => validate(as<SelfSubjectAccessReview>(obj)),
    validateUpdate: (obj) => validate(as<SelfSubjectAccessReview>(obj)),
  },
};

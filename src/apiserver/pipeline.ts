// The permissive defaults of the pipeline seams, and the steps that run them for one request.
import type { IncomingMessage } from "node:http";
import { errors, StatusError } from "../machinery/errors.js";
import type {
  AdmissionAttributes,
  AdmissionChain,
  AdmissionRequestKind,
  Authenticator,
  AuthorizationAttributes,
  Authorizer,
  UserInfo,
} from "./types.js";

export const ADMIN_USER: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };

/** A fresh copy of the cluster admin (callers may modify it). */
export function adminUser(): UserInfo {
  return { ...ADMIN_USER, groups: [...ADMIN_USER.groups] };
}

/** Until authentication is configured every caller is the cluster admin. */
export const adminAuthenticator: Authenticator = {
  authenticate: async () => adminUser(),
};

export const allowAllAuthorizer: Authorizer = {
  authorize: async () => ({ allowed: true }),
  rulesFor: async () => ({
    resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
    nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
    incomplete: false,
  }),
};

export function emptyAdmissionChain(): AdmissionChain {
  return { mutating: [], validating: [] };
}

export function admissionIsEmpty(chain: AdmissionChain): boolean {
  return chain.mutating.length === 0 && chain.validating.length === 0;
}

/** The plugins of the chain that act on this kind of request. */
export function admissionFor(chain: AdmissionChain, req: AdmissionRequestKind): AdmissionChain {
  if (admissionIsEmpty(chain)) return chain;
  return { mutating: chain.mutating.filter((p) => !p.handles || p.handles(req)), validating: chain.validating.filter((p) => !p.handles || p.handles(req)) };
}

export async function authenticate(authn: Authenticator, req: IncomingMessage): Promise<UserInfo> {
  const user = await authn.authenticate(req);
  if (!user) throw errors.unauthorized();
  return user;
}

/** Runs the authorizer and turns a deny into Kubernetes' 403 message. */
export async function authorize(authz: Authorizer, attrs: AuthorizationAttributes): Promise<void> {
  const decision = await authz.authorize(attrs);
  if (decision.allowed) return;
  const why = decision.reason ? `: ${decision.reason}` : "";
  const user = JSON.stringify(attrs.user.username);
  if (!attrs.resourceRequest) {
    throw new StatusError({
      code: 403,
      reason: "Forbidden",
      message: `forbidden: User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}${why}`,
      details: {},
    });
  }
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource ?? "";
  const scope = attrs.namespace ? ` in the namespace ${JSON.stringify(attrs.namespace)}` : attrs.resource === "namespaces" ? "" : " at the cluster scope";
  const text = `User ${user} cannot ${attrs.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(attrs.apiGroup ?? "")}${scope}${why}`;
  if (attrs.name) throw errors.forbidden({ group: attrs.apiGroup ?? "", resource: attrs.resource ?? "" }, attrs.name, text);
  const qualified = attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource ?? "";
  throw new StatusError({
    code: 403,
    reason: "Forbidden",
    message: `${qualified} is forbidden: ${text}`,
    details: { group: attrs.apiGroup ?? "", kind: attrs.resource ?? "" },
  });
}

/** Mutating plugins in order, then validating plugins; any may throw to reject the request. */
export async function admit(chain: AdmissionChain, attrs: AdmissionAttributes): Promise<void> {
  for (const p of chain.mutating) await p.admit(attrs);
  for (const p of chain.validating) await p.validate(attrs);
}

/** Admission for connect-style requests (exec, attach, port-forward, logs): no object, only who and where. */
export async function admitConnect(
  chain: AdmissionChain,
  req: { group: string; version: string; resource: string; subresource: string; namespace?: string; name: string; user: AdmissionAttributes["user"] },
): Promise<void> {
  if (admissionIsEmpty(chain)) return;
  await admit(chain, { operation: "CONNECT", kind: "Pod", dryRun: false, ...req });
}

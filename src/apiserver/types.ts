// The seams of the request pipeline: authentication -> authorization -> admission -> registry.
// Each is a small interface so security components can replace the permissive defaults (defaults.ts).
import type { IncomingMessage } from "node:http";
import type { StoredObject } from "../api/object.js";
import type { UserInfo } from "../registry/rest.js";

export type { UserInfo };

/** Identifies the caller of a request. Contract: resolves the user, or undefined when the request carries no
 *  credentials this authenticator accepts (the server answers 401); throws a StatusError to reject with its code. */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined>;
}

/** What an authorizer decides on, as Kubernetes' authorizer.Attributes. */
export interface AuthorizationAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection (resource requests); get, post, put, ...
   *  (lower-case HTTP method, non-resource requests). */
  verb: string;
  resourceRequest: boolean;
  /** The request path (always set; the only field of non-resource requests besides verb and user). */
  path: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** Shown to the user in the 403 message. */
  reason?: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

/** What a user may do in a namespace, as SelfSubjectRulesReview reports it (`kubectl auth can-i --list`). */
export interface RulesSummary {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** True when the authorizer cannot enumerate everything it would allow. */
  incomplete: boolean;
}

/** Contract: never throws for a deny; a thrown error answers 500. */
export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
  /** Optional: the rules that apply to a user in a namespace. Without it rules reviews answer incomplete. */
  rulesFor?(user: UserInfo, namespace: string): Promise<RulesSummary>;
}

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** One write as admission plugins see it. `object` is the incoming object (absent for DELETE and CONNECT);
 *  mutating plugins change it in place. */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  object?: StoredObject;
  /** The stored object before an UPDATE or DELETE, when it could be read. */
  oldObject?: StoredObject;
  user: UserInfo;
  dryRun: boolean;
}

/** What a request is, before its objects are read: lets a chain skip plugins (and reading the old object). */
export type AdmissionRequestKind = Pick<AdmissionAttributes, "operation" | "group" | "resource" | "subresource">;

/** Mutating plugins run first, in order; each may change attrs.object. Throw a StatusError to reject. */
export interface MutatingAdmissionPlugin {
  readonly name: string;
  /** Whether the plugin acts on such requests at all (absent: every request). */
  handles?(req: AdmissionRequestKind): boolean;
  admit(attrs: AdmissionAttributes): Promise<void>;
}

/** Validating plugins run after every mutation; they must not change the object. Throw a StatusError to reject. */
export interface ValidatingAdmissionPlugin {
  readonly name: string;
  /** Whether the plugin acts on such requests at all (absent: every request). */
  handles?(req: AdmissionRequestKind): boolean;
  validate(attrs: AdmissionAttributes): Promise<void>;
}

export interface AdmissionChain {
  mutating: MutatingAdmissionPlugin[];
  validating: ValidatingAdmissionPlugin[];
}

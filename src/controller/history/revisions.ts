// ControllerRevisions, as DaemonSets and StatefulSets keep their history: each distinct pod template is stored once
// as a ControllerRevision named <owner>-<hash>, labelled controller-revision-hash=<hash>, numbered by .revision,
// controlled by the owner. `kubectl rollout history` lists them; `kubectl rollout undo` patches the owner with a
// revision's data, which the controller then sees as a template equal to an old revision and re-numbers it as the
// newest rather than storing it twice. A hash collision (same name, other data) is resolved by bumping the owner's
// status.collisionCount, which is part of the hash.
import type { ControllerRevision } from "kubernetes-types/apps/v1.js";
import type { KubeObject } from "../../api/object.js";
import { isAlreadyExists } from "../../machinery/errors.js";
import { newControllerRef } from "../replicaset/pod_utils.js";
import type { ObjectWriter } from "./object_writer.js";

export type RevisionObject = ControllerRevision & KubeObject;

export const CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash";

/** Keys sorted at every level, so equal data always serializes (and hashes) the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** Kubernetes' SafeEncodeString alphabet: no vowels (no words) and no look-alike characters. */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** A short, name-safe hash of data and the collision count (FNV-1a 32 over the canonical JSON). */
export function revisionHash(data: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(data) + (collisionCount ? `#${collisionCount}` : "");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = "";
  for (let n = h; out.length < 8; n = Math.floor(n / SAFE_ALPHABET.length)) out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
  return out;
}

export interface NewRevisionOptions {
  owner: KubeObject;
  /** apiVersion and kind of the owner, for the controller reference. */
  ownerApiVersion: string;
  ownerKind: string;
  /** Labels every revision carries (the owner's pod template labels, so its selector finds them). */
  labels: Record<string, string>;
  data: unknown;
  revision: number;
  collisionCount?: number;
}

export function newRevision(o: NewRevisionOptions): RevisionObject {
  const hash = revisionHash(o.data, o.collisionCount);
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: `${o.owner.metadata?.name ?? ""}-${hash}`,
      namespace: o.owner.metadata?.namespace,
      labels: { ...o.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind)],
    },
    data: structuredClone(o.data) as RevisionObject["data"],
    revision: o.revision,
  };
}

export function revisionHashOf(rev: RevisionObject): string {
  return rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? rev.metadata?.name?.split("-").pop() ?? "";
}

export function equalRevisions(a: RevisionObject, b: RevisionObject): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** Oldest first (by revision, then name). */
export function sortRevisions(revs: RevisionObject[]): RevisionObject[] {
  return [...revs].sort((a, b) => a.revision - b.revision || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

export function nextRevisionNumber(revs: RevisionObject[]): number {
  return revs.reduce((m, r) => Math.max(m, r.revision), 0) + 1;
}

export interface RevisionStore {
  writer: ObjectWriter<RevisionObject>;
  /** A live read of a revision by name (after AlreadyExists). */
  get(namespace: string, name: string): Promise<RevisionObject>;
}

/**
 * Creates the revision, resolving hash collisions: an existing revision of the same name and data is the one we
 * wanted (answered as is); one with other data means a collision, so the count goes up and the name changes.
 * Answers the stored revision and the collision count to write back to the owner's status.
 */
export async function createRevision(store: RevisionStore, o: NewRevisionOptions): Promise<{ revision: RevisionObject; collisionCount: number }> {
  let collisionCount = o.collisionCount ?? 0;
  for (;;) {
    const rev = newRevision({ ...o, collisionCount });
    const ns = o.owner.metadata?.namespace ?? "";
    try {
      return { revision: await store.writer.create(ns, rev), collisionCount };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await store.get(ns, rev.metadata?.name ?? "");
      if (equalRevisions(existing, rev) && existing.metadata?.ownerReferences?.some((r) => r.uid === o.owner.metadata?.uid)) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
}

/**
 * The current history after making `wanted` its newest entry: an equal existing revision is re-numbered (an undo),
 * or a new one is created. Answers the update revision and the collision count.
 */
export async function ensureRevision(
  store: RevisionStore,
  history: RevisionObject[],
  o: Omit<NewRevisionOptions, "revision">,
): Promise<{ revision: RevisionObject; collisionCount: number; created: boolean }> {
  const wanted = newRevision({ ...o, revision: 0 });
  const sorted = sortRevisions(history);
  const equal = sorted.filter((r) => equalRevisions(r, wanted));
  const latest = sorted[sorted.length - 1];
  const next = nextRevisionNumber(sorted);
  if (equal.length) {
    const found = equal[equal.length - 1]!;
    // Already the newest: nothing to do.
    if (latest && found.metadata?.name === latest.metadata?.name) return { revision: found, collisionCount: o.collisionCount ?? 0, created: false };
    const renumbered = await store.writer.update(found.metadata?.namespace ?? "", { ...structuredClone(found), revision: next });
    return { revision: renumbered, collisionCount: o.collisionCount ?? 0, created: false };
  }
  const res = await createRevision(store, { ...o, revision: next });
  return { ...res, created: true };
}

/** Revisions beyond the history limit that no live pod and neither current nor update revision uses: oldest first. */
export function revisionsToPrune(history: RevisionObject[], inUse: Set<string>, limit: number): RevisionObject[] {
  const unused = sortRevisions(history).filter((r) => !inUse.has(r.metadata?.name ?? "") && !inUse.has(revisionHashOf(r)));
  return unused.slice(0, Math.max(0, history.length - Math.max(limit, 0)));
}

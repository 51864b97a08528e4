// Storage encoding and version conversion. Objects are stored as JSON in the resource's storage version without
// metadata.resourceVersion (the key's modRevision is the resourceVersion); served versions convert through
// ResourceDef.versions. Objects read from the cache are shared: every function here returns a fresh copy.
import { deepClone, type StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import type { KeyValue } from "../storage/types.js";
import type { ResourceDef, ServedVersion } from "./types.js";

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Parses a stored value; resourceVersion = the given revision (the key's modRevision, or a delete's revision). */
export function decodeKv(kv: KeyValue, revision: number = kv.modRevision): StoredObject {
  const obj = JSON.parse(kv.value) as StoredObject;
  obj.metadata ??= {};
  (obj.metadata as { resourceVersion?: string }).resourceVersion = String(revision);
  return obj;
}

/** The object a write stored, with the write's resourceVersion: `obj` is what was encoded (encodeObject) and
 *  written, so parsing the stored text again would only rebuild it (fields whose value is undefined aside, which
 *  serialize to nothing either way). Takes over `obj`: the caller must not change it afterwards. The watch cache
 *  may already hold `obj` itself, frozen (WatchCache.offer): then it carries this resourceVersion already, unless
 *  another write of the same text was taken for it, and a shallow copy names this one. */
export function written(obj: StoredObject, kv: KeyValue): StoredObject {
  const rv = String(kv.modRevision);
  const m = obj.metadata as { resourceVersion?: string };
  if (m.resourceVersion === rv) return obj;
  if (Object.isFrozen(m)) return { ...obj, metadata: { ...obj.metadata, resourceVersion: rv } };
  m.resourceVersion = rv;
  return obj;
}

/** Metadata fields Kubernetes serializes with omitempty: an emptied map or list disappears (e.g. after
 *  `kubectl label x key-` removes the last label). */
const OMIT_EMPTY_META = ["labels", "annotations", "finalizers", "ownerReferences", "managedFields"] as const;

/** Drops empty omitempty metadata fields in place, so the stored object and the answer to the writer agree. */
export function omitEmptyMeta(obj: StoredObject): void {
  const m = obj.metadata as Record<string, unknown>;
  for (const f of OMIT_EMPTY_META) {
    const v = m[f];
    if (v === undefined) continue;
    if (v === null || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && isEmptyObject(v))) delete m[f];
  }
}

function isEmptyObject(v: object): boolean {
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  return true;
}

export function encodeObject(obj: StoredObject): string {
  omitEmptyMeta(obj);
  const m = obj.metadata as { resourceVersion?: string };
  const rv = m.resourceVersion;
  if (rv === undefined) return JSON.stringify(obj);
  // Serialized without resourceVersion (an undefined field is not written), without copying the object to drop it.
  m.resourceVersion = undefined;
  try {
    return JSON.stringify(obj);
  } finally {
    m.resourceVersion = rv;
  }
}

export class VersionCodec {
  constructor(readonly def: ResourceDef) {}

  served(version: string): ServedVersion {
    const v = this.def.versions.find((s) => s.version === version);
    if (!v) throw errors.pathNotFound(`the server could not find the requested resource (${this.def.resource}.${apiVersionOf(this.def.group, version)})`);
    return v;
  }

  /** A copy of a served-version object in the storage version (`owned`: the caller hands obj over, no copy). */
  toStorage(obj: StoredObject, version: string, opts: { owned?: boolean } = {}): StoredObject {
    const sv = this.served(version);
    const copy = opts.owned ? obj : deepClone(obj);
    copy.metadata ??= {};
    if (sv.toStorage) {
      // A converter owns the stored form (it may be another group's, when storagePrefix shares objects).
      const out = sv.toStorage(copy);
      if (!out.apiVersion || out.apiVersion === apiVersionOf(this.def.group, version)) out.apiVersion = apiVersionOf(this.def.group, this.def.storageVersion);
      out.kind ||= this.def.kind;
      return out;
    }
    copy.apiVersion = apiVersionOf(this.def.group, this.def.storageVersion);
    copy.kind = this.def.kind;
    return copy;
  }

  /** A storage-version object in a served version. Without a converter this is the object itself (or a shallow
   *  copy naming the served apiVersion): answers are only serialized, and cached objects are frozen, so sharing is
   *  safe and saves a deep copy per object on every read. Callers that mutate must clone. */
  fromStorage(obj: StoredObject, version: string): StoredObject {
    const sv = this.served(version);
    if (!sv.fromStorage) {
      const apiVersion = apiVersionOf(this.def.group, version);
      return obj.apiVersion === apiVersion && obj.kind === this.def.kind ? obj : { ...obj, apiVersion, kind: this.def.kind };
    }
    const copy = deepClone(obj);
    const out = sv.fromStorage ? sv.fromStorage(copy) : copy;
    out.apiVersion = apiVersionOf(this.def.group, version);
    out.kind = this.def.kind;
    return out;
  }
}

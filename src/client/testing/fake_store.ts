// The in-memory object store behind the fake API server, with the generic semantics controllers depend on:
// resourceVersions from one counter, uid/creationTimestamp/generation, optimistic concurrency, finalizers and
// deletionTimestamp, propagation policies (foregroundDeletion / orphan finalizers), namespace lifecycle
// (Terminating, spec.finalizers, /finalize), and an event history that watches replay from a resourceVersion.
import { randomUUID } from "node:crypto";
import type { KubeObject, ObjectMeta, StoredObject } from "../../api/object.js";
import { errors, type Status } from "../../machinery/errors.js";
import type { DeleteOptions, ResourceRef, WatchEventType } from "../types.js";
import { apiVersionOf } from "../resources.js";

export type KindedRef = ResourceRef & { kind: string };

export interface HistoryEvent {
  rv: number;
  type: Exclude<WatchEventType, "BOOKMARK" | "ERROR">;
  ref: KindedRef;
  obj: StoredObject;
  /** The state before a MODIFIED, so selector-filtered watches can tell entering from leaving. */
  prev?: StoredObject;
}

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };
/** Writable view of an object's metadata (kubernetes-types marks server-set fields readonly). */
const meta = (o: StoredObject): MutableMeta => o.metadata as MutableMeta;

const gr = (ref: ResourceRef) => ({ group: ref.group, resource: ref.resource });

function keyOf(ref: ResourceRef, ns: string, name: string): string {
  return `${ref.group}/${ref.resource}/${ns}/${name}`;
}

export class FakeStore {
  rv = 1;
  /** Watches from a resourceVersion below this are answered 410 Expired. */
  compactedRv = 0;
  readonly history: HistoryEvent[] = [];
  private readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<(ev: HistoryEvent) => void>();

  constructor(readonly resources: KindedRef[]) {
    const ns = this.find("", "namespaces");
    if (ns) for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) this.create(ns, "", { metadata: { name } });
  }

  find(group: string, resource: string): KindedRef | undefined {
    return this.resources.find((r) => r.group === group && r.resource === resource);
  }

  subscribe(fn: (ev: HistoryEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Forgets the history: watches from any earlier resourceVersion now get 410 Expired. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  private emit(type: HistoryEvent["type"], ref: KindedRef, obj: StoredObject, prev?: StoredObject): void {
    const ev: HistoryEvent = { rv: this.rv, type, ref, obj, prev };
    this.history.push(ev);
    for (const l of this.listeners) l(ev);
  }

  private bump(obj: StoredObject): StoredObject {
    this.rv++;
    meta(obj).resourceVersion = String(this.rv);
    return obj;
  }

  get(ref: KindedRef, ns: string, name: string): StoredObject {
    const o = this.objects.get(keyOf(ref, ref.namespaced ? ns : "", name));
    if (!o) throw errors.notFound(gr(ref), name);
    return structuredClone(o);
  }

  /** Objects of a resource (in one namespace or all), sorted by namespace then name as storage lists them. */
  list(ref: KindedRef, ns: string): StoredObject[] {
    const prefix = `${ref.group}/${ref.resource}/${ref.namespaced && ns ? ns + "/" : ""}`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
  }

  create(ref: KindedRef, ns: string, body: KubeObject): StoredObject {
    const obj = structuredClone(body) as StoredObject;
    obj.metadata = { ...(obj.metadata ?? {}) };
    const m = meta(obj);
    if (!m.name && m.generateName) m.name = m.generateName + randomUUID().slice(0, 5);
    if (!m.name) throw errors.invalid(ref.kind, ref.group, "", [{ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" }]);
    if (ref.namespaced) {
      ns = ns || m.namespace || "default";
      if (m.namespace && m.namespace !== ns) throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      m.namespace = ns;
      this.admitNamespace(ns, ref, m.name);
    } else delete m.namespace;
    const key = keyOf(ref, ref.namespaced ? ns : "", m.name);
    if (this.objects.has(key)) throw errors.alreadyExists(gr(ref), m.name);
    obj.apiVersion = apiVersionOf(ref);
    obj.kind = ref.kind;
    m.uid = randomUUID();
    m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    m.generation = 1;
    delete m.deletionTimestamp;
    if (ref.resource === "namespaces" && !ref.group) {
      obj.spec = { finalizers: ["kubernetes"], ...(obj.spec as object | undefined) };
      obj.status = { phase: "Active" };
    }
    this.bump(obj);
    this.objects.set(key, obj);
    this.emit("ADDED", ref, structuredClone(obj));
    return structuredClone(obj);
  }

  /** NamespaceLifecycle admission: no new content in a missing or terminating namespace. */
  private admitNamespace(ns: string, ref: KindedRef, name: string): void {
    const nsRef = this.find("", "namespaces");
    if (!nsRef) return;
    const nsObj = this.objects.get(keyOf(nsRef, "", ns));
    if (!nsObj) throw errors.notFound({ group: "", resource: "namespaces" }, ns);
    if (nsObj.metadata.deletionTimestamp)
      throw errors.forbidden(gr(ref), name, `unable to create new content in namespace ${ns} because it is being terminated`);
  }

  /** PUT of the main resource or a subresource ("status", "finalize"): only that part of the object changes. */
  update(ref: KindedRef, ns: string, name: string, body: KubeObject, subresource?: string): StoredObject {
    const key = keyOf(ref, ref.namespaced ? ns : "", name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(gr(ref), name);
    if (body.metadata?.name && body.metadata.name !== name) throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion)
      throw errors.conflict(gr(ref), name, "the object has been modified; please apply your changes to the latest version and try again");
    let next: StoredObject;
    if (subresource === "status") next = { ...structuredClone(old), status: structuredClone(body.status) };
    else if (subresource === "finalize") {
      const spec = (body.spec ?? {}) as { finalizers?: string[] };
      next = { ...structuredClone(old), spec: { ...(old.spec as object), finalizers: spec.finalizers ?? [] } };
    } else if (subresource) throw errors.pathNotFound();
    else {
      next = structuredClone(body) as StoredObject;
      next.status = structuredClone(old.status);
      const m = { ...(body.metadata ?? {}) };
      next.metadata = {
        ...m,
        name,
        namespace: old.metadata.namespace,
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        deletionTimestamp: old.metadata.deletionTimestamp,
        deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds,
        generation: old.metadata.generation,
      };
      if (JSON.stringify(old.spec) !== JSON.stringify(next.spec)) meta(next).generation = (old.metadata.generation ?? 1) + 1;
      next.apiVersion = old.apiVersion;
      next.kind = old.kind;
    }
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    this.bump(next);
    if (this.finished(ref, next)) {
      this.objects.delete(key);
      this.emit("DELETED", ref, structuredClone(next));
    } else {
      this.objects.set(key, next);
      this.emit("MODIFIED", ref, structuredClone(next), structuredClone(old));
    }
    return structuredClone(next);
  }

  /** True when a deleting object has nothing left holding it: no finalizers (and for namespaces, no spec ones). */
  private finished(ref: KindedRef, obj: StoredObject): boolean {
    if (!obj.metadata.deletionTimestamp || obj.metadata.finalizers?.length) return false;
    if (ref.resource === "namespaces" && !ref.group) return !((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length);
    return true;
  }

  delete(ref: KindedRef, ns: string, name: string, opts: DeleteOptions = {}): StoredObject | Status {
    const key = keyOf(ref, ref.namespaced ? ns : "", name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(gr(ref), name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid)
      throw errors.conflict(gr(ref), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw errors.conflict(gr(ref), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    const next = structuredClone(old);
    let finalizers = [...(next.metadata.finalizers ?? [])];
    // A new policy on an object already being deleted switches between the orphan and foreground finalizers.
    if (opts.propagationPolicy === "Foreground") finalizers = [...finalizers.filter((f) => f !== "orphan" && f !== "foregroundDeletion"), "foregroundDeletion"];
    if (opts.propagationPolicy === "Orphan") finalizers = [...finalizers.filter((f) => f !== "orphan" && f !== "foregroundDeletion"), "orphan"];
    if (opts.propagationPolicy === "Background") finalizers = finalizers.filter((f) => f !== "orphan" && f !== "foregroundDeletion");
    if (finalizers.length) next.metadata.finalizers = finalizers;
    else delete next.metadata.finalizers;
    if (!next.metadata.deletionTimestamp) {
      meta(next).deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      meta(next).deletionGracePeriodSeconds = 0;
    }
    if (ref.resource === "namespaces" && !ref.group) next.status = { ...(next.status as object), phase: "Terminating" };
    if (opts.dryRun) return next;
    this.bump(next);
    if (this.finished(ref, next)) {
      this.objects.delete(key);
      this.emit("DELETED", ref, structuredClone(next));
      return structuredClone(next);
    }
    if (JSON.stringify({ ...old.metadata, resourceVersion: "" }) === JSON.stringify({ ...next.metadata, resourceVersion: "" }) && JSON.stringify(old.status) === JSON.stringify(next.status)) {
      this.rv--; // nothing changed: no write, no event
      return structuredClone(old);
    }
    this.objects.set(key, next);
    this.emit("MODIFIED", ref, structuredClone(next), structuredClone(old));
    return structuredClone(next);
  }
}

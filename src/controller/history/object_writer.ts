// The child-object writes of the workload controllers of issue 8 (Job, CronJob, DaemonSet, StatefulSet) behind
// one small interface, so sync logic is tested with a fake that records what it was asked to do (and can play the
// API server by putting the result into an informer store), while the API implementation also records the events
// Kubernetes users know (SuccessfulCreate / FailedCreate / SuccessfulDelete / FailedDelete) on the owner.
import { randomUUID } from "node:crypto";
import type { KubeObject } from "../../api/object.js";
import type { Indexer } from "../../client/indexer.js";
import type { Client } from "../../client/rest_client.js";
import type { DeleteOptions, PatchType, ResourceRef } from "../../client/types.js";
import { jsonPatch, mergePatch } from "../../client/testing/patch.js";
import { errors, isNotFound } from "../../machinery/errors.js";
import type { EventSink } from "../../client/event_recorder.js";

export interface ObjectWriter<T extends KubeObject> {
  /** Creates obj in namespace; answers what the server stored (name filled in from generateName). */
  create(namespace: string, obj: T, owner?: KubeObject): Promise<T>;
  /** Deletes the object with that uid (a uid precondition, so a newer object reusing the name is never hit). */
  delete(namespace: string, name: string, opts: { uid?: string; owner?: KubeObject; propagationPolicy?: DeleteOptions["propagationPolicy"] }): Promise<void>;
  patch(namespace: string, name: string, type: PatchType, body: unknown): Promise<T>;
  update(namespace: string, obj: T): Promise<T>;
}

/** Events name the object by kind: the one given, or what the ref says. */
function describe(ref: ResourceRef): string {
  return ref.kind?.toLowerCase() ?? ref.resource;
}

export class ApiObjectWriter<T extends KubeObject> implements ObjectWriter<T> {
  constructor(
    private readonly client: Client,
    private readonly ref: ResourceRef,
    private readonly recorder?: EventSink,
  ) {}

  private rc() {
    return this.client.resource<T>(this.ref);
  }

  async create(namespace: string, obj: T, owner?: KubeObject): Promise<T> {
    try {
      const created = await this.rc().create(namespace, obj);
      if (owner) this.recorder?.event(owner, "Normal", "SuccessfulCreate", `Created ${describe(this.ref)}: ${created.metadata?.name}`);
      return created;
    } catch (err) {
      if (owner) this.recorder?.event(owner, "Warning", "FailedCreate", `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async delete(namespace: string, name: string, opts: { uid?: string; owner?: KubeObject; propagationPolicy?: DeleteOptions["propagationPolicy"] }): Promise<void> {
    try {
      await this.rc().delete(namespace, name, { preconditions: opts.uid ? { uid: opts.uid } : undefined, propagationPolicy: opts.propagationPolicy });
      if (opts.owner) this.recorder?.event(opts.owner, "Normal", "SuccessfulDelete", `Deleted ${describe(this.ref)}: ${name}`);
    } catch (err) {
      if (!isNotFound(err) && opts.owner) this.recorder?.event(opts.owner, "Warning", "FailedDelete", `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  patch(namespace: string, name: string, type: PatchType, body: unknown): Promise<T> {
    return this.rc().patch(namespace, name, type, body);
  }

  update(namespace: string, obj: T): Promise<T> {
    return this.rc().update(namespace, obj);
  }
}

/**
 * Records every write; when given an indexer it also applies creates, updates and deletes to it the way the
 * server would (names from generateName, uids, resourceVersions), so a following sync sees its own writes.
 * Patches are applied to the stored object too (JSON patches, or merge patches for the other types).
 */
export class FakeObjectWriter<T extends KubeObject> implements ObjectWriter<T> {
  readonly created: T[] = [];
  readonly deleted: string[] = [];
  readonly patched: Array<{ name: string; body: unknown }> = [];
  readonly updated: T[] = [];
  /** Names whose create fails with AlreadyExists-style errors are set here by tests. */
  failCreate?: (obj: T) => Error | undefined;
  private seq = 0;

  constructor(private readonly store?: Indexer<T>) {}

  async create(namespace: string, obj: T): Promise<T> {
    const err = this.failCreate?.(obj);
    if (err) throw err;
    const m = obj.metadata ?? {};
    const name = m.name ?? `${m.generateName ?? ""}${(++this.seq).toString(36).padStart(5, "0")}`;
    if (this.store?.get(`${namespace}/${name}`)) throw errors.alreadyExists({ group: "", resource: "objects" }, name);
    const stored = structuredClone(obj);
    stored.metadata = { ...m, name, namespace, uid: randomUUID(), resourceVersion: "1", creationTimestamp: new Date(0).toISOString() };
    this.created.push(stored);
    this.store?.upsert(structuredClone(stored));
    return structuredClone(stored);
  }

  /** Like the server: an object with finalizers only gets a deletionTimestamp; one without goes at once. */
  async delete(namespace: string, name: string): Promise<void> {
    this.deleted.push(name);
    const key = `${namespace}/${name}`;
    const cur = this.store?.get(key);
    if (!cur) return;
    if (cur.metadata?.finalizers?.length) {
      this.store!.upsert({ ...structuredClone(cur), metadata: { ...cur.metadata, deletionTimestamp: cur.metadata.deletionTimestamp ?? new Date(0).toISOString() } });
    } else this.store!.deleteKey(key);
  }

  async patch(namespace: string, name: string, type: PatchType, body: unknown): Promise<T> {
    this.patched.push({ name, body });
    if (!this.store) return { metadata: { name, namespace } } as T;
    const cur = this.store.get(`${namespace}/${name}`);
    if (!cur) throw errors.notFound({ group: "", resource: "objects" }, name);
    const next = (type === "json" ? jsonPatch(cur, body) : mergePatch(cur, body)) as T;
    next.metadata = { ...next.metadata, resourceVersion: String(Number(cur.metadata?.resourceVersion ?? "1") + 1) };
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers) this.store.deleteKey(`${namespace}/${name}`);
    else this.store.upsert(structuredClone(next));
    return next;
  }

  async update(namespace: string, obj: T): Promise<T> {
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, namespace, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
    this.updated.push(stored);
    this.store?.upsert(structuredClone(stored));
    return stored;
  }

  clear(): void {
    this.created.length = 0;
    this.deleted.length = 0;
    this.patched.length = 0;
    this.updated.length = 0;
  }
}

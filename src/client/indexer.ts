// The informer cache: objects by key ("ns/name", or "name" when cluster-scoped) plus secondary indexes
// (index name -> indexed value -> keys). Objects handed out are the cached ones: callers must clone before
// mutating. With freeze on (the default outside production) they are deep-frozen so a mutation throws.
import type { KubeObject } from "../api/object.js";
import { deepFreeze } from "../util/freeze.js";

export type IndexFunc<T> = (obj: T) => string[];
export type Indexers<T> = Record<string, IndexFunc<T>>;

export function metaNamespaceKey(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ""}` : (m.name ?? "");
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export const NAMESPACE_INDEX = "namespace";
export const namespaceIndexFunc: IndexFunc<KubeObject> = (o) => [o.metadata?.namespace ?? ""];
/** Dependents by the uids of their owners: the garbage collector's and workload controllers' lookup. */
export const OWNER_UID_INDEX = "ownerUid";
export const ownerUidIndexFunc: IndexFunc<KubeObject> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
/** Pods by spec.nodeName: the kubelet's and scheduler's lookup. */
export const NODE_NAME_INDEX = "nodeName";
export const nodeNameIndexFunc: IndexFunc<KubeObject> = (o) => {
  const n = (o.spec as { nodeName?: string } | undefined)?.nodeName;
  return n ? [n] : [];
};

export const freezeByDefault = (): boolean => process.env.NODE_ENV !== "production";

export interface IndexerOptions<T> {
  indexers?: Indexers<T>;
  keyFunc?: (obj: T) => string;
  freeze?: boolean;
}

interface Index<T> {
  fn: IndexFunc<T>;
  /** Indexed value -> keys of the objects that have it. */
  keys: Map<string, Set<string>>;
}

export class Indexer<T extends KubeObject = KubeObject> {
  readonly keyFunc: (obj: T) => string;
  private readonly items = new Map<string, T>();
  private readonly indexers: Indexers<T>;
  private readonly indices = new Map<string, Index<T>>();
  private readonly freeze: boolean;

  constructor(opts: IndexerOptions<T> = {}) {
    this.keyFunc = opts.keyFunc ?? metaNamespaceKey;
    this.freeze = opts.freeze ?? freezeByDefault();
    this.indexers = { [NAMESPACE_INDEX]: namespaceIndexFunc as IndexFunc<T>, ...opts.indexers };
    for (const [name, fn] of Object.entries(this.indexers)) this.indices.set(name, { fn, keys: new Map() });
  }

  /** Adds index functions; existing objects are indexed immediately. */
  addIndexers(more: Indexers<T>): void {
    for (const [name, fn] of Object.entries(more)) {
      if (this.indexers[name]) throw new Error(`indexer ${JSON.stringify(name)} already exists`);
      this.indexers[name] = fn;
      const index: Index<T> = { fn, keys: new Map() };
      this.indices.set(name, index);
      for (const [key, obj] of this.items) add(index, fn(obj), key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const index of this.indices.values()) remove(index, index.fn(obj), key);
  }

  /** Stores obj (adding or replacing) and returns the previous state, if any. */
  upsert(obj: T): T | undefined {
    const key = this.keyFunc(obj);
    const old = this.items.get(key);
    const stored = this.freeze ? deepFreeze(obj) : obj;
    this.items.set(key, stored);
    for (const index of this.indices.values()) {
      const values = index.fn(stored);
      if (old) {
        const before = index.fn(old);
        // Most updates keep the indexed values (a pod stays in its namespace): nothing to move.
        if (sameValues(before, values)) continue;
        remove(index, before, key);
      }
      add(index, values, key);
    }
    return old;
  }

  /** Removes the object under key and returns what was cached. */
  deleteKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...(index.keys.get(value) ?? [])];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  indexValues(indexName: string): string[] {
    return [...(this.indices.get(indexName)?.keys.keys() ?? [])];
  }
}

function add<T>(index: Index<T>, values: string[], key: string): void {
  for (const v of values) {
    let keys = index.keys.get(v);
    if (!keys) index.keys.set(v, (keys = new Set()));
    keys.add(key);
  }
}

function remove<T>(index: Index<T>, values: string[], key: string): void {
  for (const v of values) {
    const keys = index.keys.get(v);
    if (!keys) continue;
    keys.delete(key);
    if (keys.size === 0) index.keys.delete(v);
  }
}

function sameValues(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

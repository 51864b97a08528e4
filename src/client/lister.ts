// Listers: read-only views of an informer's cache. They return the cached (frozen) objects: clone before mutating.
import type { KubeObject } from "../api/object.js";
import { NAMESPACE_INDEX, type Indexer } from "./indexer.js";

/** Anything with matches(labels), such as machinery's label Selector, or a plain predicate. */
export type ObjectFilter<T> = { matches(labels?: Record<string, string> | null): boolean } | ((obj: T) => boolean);

function filterOf<T extends KubeObject>(f?: ObjectFilter<T>): (obj: T) => boolean {
  if (!f) return () => true;
  if (typeof f === "function") return f;
  return (o) => f.matches(o.metadata?.labels ?? {});
}

export interface NamespaceLister<T> {
  list(filter?: ObjectFilter<T>): T[];
  get(name: string): T | undefined;
}

export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** Every cached object (all namespaces) that passes the filter. */
  list(filter?: ObjectFilter<T>): T[] {
    const f = filterOf(filter);
    return this.indexer.list().filter(f);
  }

  /** A cluster-scoped object by name, or an object by its "ns/name" key. */
  get(key: string): T | undefined {
    return this.indexer.get(key);
  }

  namespace(ns: string): NamespaceLister<T> {
    return {
      list: (filter) => this.indexer.byIndex(NAMESPACE_INDEX, ns).filter(filterOf(filter)),
      get: (name) => this.indexer.get(`${ns}/${name}`),
    };
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }
}

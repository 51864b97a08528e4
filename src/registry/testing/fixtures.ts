// Hand-written resources and helpers for registry tests: a namespaced "widgets" (status + scale), a pod-like
// "pods" (graceful deletion, binding, eviction), a cluster-scoped "gadgets", namespaces and PodDisruptionBudgets.
import type { StoredObject } from "../../api/object.js";
import type { FieldError } from "../../machinery/errors.js";
import { createRegistry, type RegistryHandle, type RegistryOptions } from "../registry.js";
import type { RequestContext, ResourceStore } from "../rest.js";
import type { ResourceDef } from "../types.js";
import { createMemoryStorage, type MemoryStorage } from "./memory_storage.js";

const noErrors = (): FieldError[] => [];

export const widgets: ResourceDef = {
  group: "example.com",
  kind: "Widget",
  resource: "widgets",
  singular: "widget",
  namespaced: true,
  storageVersion: "v1",
  versions: [
    { version: "v1" },
    {
      // v1beta1 calls spec.size "spec.count".
      version: "v1beta1",
      toStorage: (o) => {
        const spec = { ...(o.spec as Record<string, unknown>) };
        if ("count" in spec) {
          spec.size = spec.count;
          delete spec.count;
        }
        return { ...o, spec };
      },
      fromStorage: (o) => {
        const spec = { ...(o.spec as Record<string, unknown>) };
        if ("size" in spec) {
          spec.count = spec.size;
          delete spec.size;
        }
        return { ...o, spec };
      },
    },
  ],
  status: true,
  scale: { specReplicasPath: "spec.size", statusReplicasPath: "status.size", selector: (o) => `app=${o.metadata.name}` },
  strategy: {
    defaults(obj) {
      const spec = (obj.spec ??= {}) as { color?: string };
      spec.color ??= "blue";
    },
    prepareForCreate(obj) {
      delete obj.status;
    },
    validate(obj) {
      const size = (obj.spec as { size?: unknown } | undefined)?.size;
      if (size !== undefined && (typeof size !== "number" || size < 0)) return [{ type: "FieldValueInvalid", field: "spec.size", value: size, detail: "must be greater than or equal to 0" }];
      return [];
    },
    validateUpdate(obj) {
      return widgets.strategy.validate(obj);
    },
    fieldAttrs: (obj) => ({ "spec.color": (obj.spec as { color?: string } | undefined)?.color ?? "" }),
  },
};

export const pods: ResourceDef = {
  group: "",
  kind: "Pod",
  resource: "pods",
  singular: "pod",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  status: true,
  strategy: {
    validate: noErrors,
    validateUpdate: noErrors,
    fieldAttrs: (obj) => ({ "spec.nodeName": (obj.spec as { nodeName?: string } | undefined)?.nodeName ?? "" }),
  },
  defaultGracePeriodSeconds: (obj) => (obj.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30,
};

export const gadgets: ResourceDef = {
  group: "example.com",
  kind: "Gadget",
  resource: "gadgets",
  singular: "gadget",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: { validate: noErrors, validateUpdate: noErrors, allowCreateOnUpdate: true, allowUnconditionalUpdate: true },
};

export const namespaces: ResourceDef = {
  group: "",
  kind: "Namespace",
  resource: "namespaces",
  singular: "namespace",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  status: true,
  strategy: { validate: noErrors, validateUpdate: noErrors },
};

export const pdbs: ResourceDef = {
  group: "policy",
  kind: "PodDisruptionBudget",
  resource: "poddisruptionbudgets",
  singular: "poddisruptionbudget",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  status: true,
  strategy: { validate: noErrors, validateUpdate: noErrors },
};

export const ALL_TEST_RESOURCES = [widgets, pods, gadgets, namespaces, pdbs];

export function ctx(namespace: string | undefined, extra: Partial<RequestContext> = {}): RequestContext {
  return { namespace, version: "v1", user: { username: "tester", groups: [] }, dryRun: false, fieldValidation: "Ignore", warnings: [], ...extra };
}

export interface Harness {
  storage: MemoryStorage;
  registry: RegistryHandle;
  widgets: ResourceStore;
  pods: ResourceStore;
  gadgets: ResourceStore;
  namespaces: ResourceStore;
  pdbs: ResourceStore;
  /** The fake clock's time; advance with `tick`. */
  now: { value: Date };
  tick(seconds: number): void;
  close(): Promise<void>;
}

export async function harness(opts: Partial<RegistryOptions> & { withNamespaces?: boolean } = {}): Promise<Harness> {
  const storage = (opts.storage as MemoryStorage | undefined) ?? createMemoryStorage();
  const now = { value: new Date("2026-01-01T00:00:00Z") };
  const resources = opts.resources ?? (opts.withNamespaces ? ALL_TEST_RESOURCES : ALL_TEST_RESOURCES.filter((r) => r !== namespaces));
  const registry = createRegistry({ clock: () => now.value, ...opts, storage, resources });
  await registry.start();
  const get = (g: string, r: string): ResourceStore => registry.store(g, r) as ResourceStore;
  return {
    storage,
    registry,
    widgets: get("example.com", "widgets"),
    pods: get("", "pods"),
    gadgets: get("example.com", "gadgets"),
    namespaces: get("", "namespaces"),
    pdbs: get("policy", "poddisruptionbudgets"),
    now,
    tick(seconds) {
      now.value = new Date(now.value.getTime() + seconds * 1000);
    },
    async close() {
      await registry.stop();
      await storage.close();
    },
  };
}

export function widget(name: string, spec: Record<string, unknown> = {}, meta: Partial<StoredObject["metadata"]> = {}): StoredObject {
  return { apiVersion: "example.com/v1", kind: "Widget", metadata: { name, ...meta }, spec };
}

export function pod(name: string, spec: Record<string, unknown> = {}, meta: Partial<StoredObject["metadata"]> = {}): StoredObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, ...meta }, spec };
}

/** Awaits a promise that must reject with a StatusError; returns the error's status for assertions. */
export async function statusOf(p: Promise<unknown>): Promise<{ code: number; reason?: string; message?: string; details?: unknown }> {
  try {
    await p;
  } catch (err) {
    const s = (err as { status?: { code: number; reason?: string; message?: string; details?: unknown } }).status;
    if (!s) throw err;
    return s;
  }
  throw new Error("expected a StatusError, but the call succeeded");
}

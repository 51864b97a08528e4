// An in-memory Registry for HTTP-layer tests: enough behaviour (CRUD, merge patches, name field selectors, watch)
// to exercise routing, negotiation and streaming without the real generic store.
import { randomUUID } from "node:crypto";
import type { KubeList, StoredObject } from "../../api/object.js";
import { errors } from "../../machinery/errors.js";
import type {
  DeleteParams,
  DeleteResult,
  ListParams,
  PatchType,
  Registry,
  RequestContext,
  ResourceStore,
  Subresource,
  WatchEventOut,
  WatchParams,
  WatchStream,
  WriteResult,
} from "../../registry/rest.js";
import type { ResourceDef } from "../../registry/types.js";

const noStrategy = { validate: () => [], validateUpdate: () => [] };

export const CONFIGMAPS: ResourceDef = {
  group: "",
  kind: "ConfigMap",
  resource: "configmaps",
  singular: "configmap",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["cm"],
  strategy: noStrategy,
};

export const NAMESPACES: ResourceDef = {
  group: "",
  kind: "Namespace",
  resource: "namespaces",
  singular: "namespace",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ns"],
  status: true,
  strategy: noStrategy,
};

export const PODS: ResourceDef = {
  group: "",
  kind: "Pod",
  resource: "pods",
  singular: "pod",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["po"],
  categories: ["all"],
  status: true,
  strategy: noStrategy,
};

export const NODES: ResourceDef = {
  group: "",
  kind: "Node",
  resource: "nodes",
  singular: "node",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["no"],
  status: true,
  strategy: noStrategy,
};

export const DEPLOYMENTS: ResourceDef = {
  group: "apps",
  kind: "Deployment",
  resource: "deployments",
  singular: "deployment",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["deploy"],
  categories: ["all"],
  status: true,
  scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", selector: () => "app=x" },
  strategy: noStrategy,
  table: {
    columns: [
      { name: "Name", type: "string", format: "name", description: "name", priority: 0 },
      { name: "Replicas", type: "integer", description: "desired replicas", priority: 0 },
      { name: "Selector", type: "string", description: "selector", priority: 1 },
    ],
    cells: (o) => [o.metadata.name, (o.spec as { replicas?: number } | undefined)?.replicas ?? 1, "app=x"],
  },
};

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

type Listener = (e: WatchEventOut) => void;

export interface FakeCall {
  op: string;
  name?: string;
  ctx: RequestContext;
  extra?: unknown;
}

export class FakeStore implements ResourceStore {
  readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<Listener>();
  constructor(
    readonly def: ResourceDef,
    private readonly reg: FakeRegistry,
  ) {}

  private key(ctx: RequestContext, name: string): string {
    return this.def.namespaced ? `${ctx.namespace}/${name}` : name;
  }
  private gr() {
    return { group: this.def.group, resource: this.def.resource };
  }
  private emit(type: WatchEventOut["type"], obj: StoredObject): void {
    for (const l of this.listeners) l({ type, object: structuredClone(obj) });
  }
  private out(ctx: RequestContext, obj: StoredObject): StoredObject {
    const o = structuredClone(obj);
    o.apiVersion = this.def.group ? `${this.def.group}/${ctx.version}` : ctx.version;
    o.kind = this.def.kind;
    return o;
  }

  async get(ctx: RequestContext, name: string, opts?: { subresource?: Subresource }): Promise<StoredObject> {
    this.reg.calls.push({ op: "get", name, ctx, extra: opts });
    const o = this.objects.get(this.key(ctx, name));
    if (!o) throw errors.notFound(this.gr(), name);
    if (opts?.subresource === "scale") {
      return { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name, namespace: ctx.namespace }, spec: { replicas: (o.spec as { replicas?: number }).replicas ?? 1 }, status: { replicas: 0, selector: "app=x" } };
    }
    return this.out(ctx, o);
  }

  async list(ctx: RequestContext, params: ListParams): Promise<KubeList<StoredObject>> {
    this.reg.calls.push({ op: "list", ctx, extra: params });
    const nameSel = /metadata\.name=([^,]+)/.exec(params.fieldSelector ?? "")?.[1];
    const items = [...this.objects.values()]
      .filter((o) => !this.def.namespaced || ctx.namespace === undefined || o.metadata.namespace === ctx.namespace)
      .filter((o) => nameSel === undefined || o.metadata.name === nameSel)
      .map((o) => this.out(ctx, o));
    return { apiVersion: this.def.group ? `${this.def.group}/${ctx.version}` : ctx.version, kind: `${this.def.kind}List`, metadata: { resourceVersion: String(this.reg.rev) }, items };
  }

  async create(ctx: RequestContext, obj: StoredObject): Promise<StoredObject> {
    this.reg.calls.push({ op: "create", ctx, extra: obj });
    const o = structuredClone(obj);
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randomUUID().slice(0, 5);
    const name = o.metadata.name;
    if (!name) throw errors.invalid(this.def.kind, this.def.group, "", [{ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" }]);
    if (this.objects.has(this.key(ctx, name))) throw errors.alreadyExists(this.gr(), name);
    o.metadata = { ...o.metadata, uid: randomUUID(), creationTimestamp: "2024-01-01T00:00:00Z", resourceVersion: String(++this.reg.rev) };
    if (ctx.dryRun) return this.out(ctx, o);
    this.objects.set(this.key(ctx, name), o);
    this.emit("ADDED", this.out(ctx, o));
    if (o.metadata.annotations?.warn) ctx.warnings.push(o.metadata.annotations.warn);
    return this.out(ctx, o);
  }

  async update(ctx: RequestContext, name: string, obj: StoredObject, opts?: { subresource?: Subresource }): Promise<WriteResult> {
    this.reg.calls.push({ op: "update", name, ctx, extra: opts });
    const old = this.objects.get(this.key(ctx, name));
    if (!old) throw errors.notFound(this.gr(), name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(this.gr(), name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    const o = structuredClone(obj);
    o.metadata = { ...old.metadata, ...o.metadata, resourceVersion: ctx.dryRun ? old.metadata.resourceVersion : String(++this.reg.rev) };
    if (!ctx.dryRun) {
      this.objects.set(this.key(ctx, name), o);
      this.emit("MODIFIED", this.out(ctx, o));
    }
    return { object: this.out(ctx, o), created: false };
  }

  async patch(ctx: RequestContext, name: string, patch: { type: PatchType; body: unknown; force?: boolean }, opts?: { subresource?: Subresource }): Promise<WriteResult> {
    this.reg.calls.push({ op: "patch", name, ctx, extra: { ...patch, ...opts } });
    const old = this.objects.get(this.key(ctx, name));
    if (!old) {
      if (patch.type === "apply") {
        const obj = structuredClone(patch.body) as StoredObject;
        await ctx.admitPatched?.("CREATE", obj, null);
        return { object: await this.create(ctx, obj), created: true };
      }
      throw errors.notFound(this.gr(), name);
    }
    if (patch.type === "json") throw errors.badRequest("the fake registry only does merge patches");
    const merged = mergePatch(old, patch.body) as StoredObject;
    merged.metadata = { ...merged.metadata, resourceVersion: old.metadata.resourceVersion };
    await ctx.admitPatched?.("UPDATE", merged, this.out(ctx, old));
    return this.update(ctx, name, merged, opts);
  }

  async delete(ctx: RequestContext, name: string, params: DeleteParams): Promise<DeleteResult> {
    this.reg.calls.push({ op: "delete", name, ctx, extra: params });
    const old = this.objects.get(this.key(ctx, name));
    if (!old) throw errors.notFound(this.gr(), name);
    if (old.metadata.finalizers?.length) {
      old.metadata = { ...old.metadata, deletionTimestamp: old.metadata.deletionTimestamp ?? "2024-01-01T00:00:01Z" };
      return { object: this.out(ctx, old), deleted: false };
    }
    if (!ctx.dryRun) {
      this.objects.delete(this.key(ctx, name));
      this.emit("DELETED", this.out(ctx, old));
    }
    return { object: this.out(ctx, old), deleted: true };
  }

  async deleteCollection(ctx: RequestContext, list: ListParams, params: DeleteParams): Promise<KubeList<StoredObject>> {
    const l = await this.list(ctx, list);
    for (const o of l.items) await this.delete(ctx, o.metadata.name!, params);
    return l;
  }

  async watch(ctx: RequestContext, params: WatchParams): Promise<WatchStream> {
    this.reg.calls.push({ op: "watch", ctx, extra: params });
    if (params.resourceVersion === "1") throw errors.gone("too old resource version: 1 (2)");
    const initial = params.resourceVersion === undefined || params.resourceVersion === "" || params.resourceVersion === "0" ? (await this.list(ctx, {})).items : [];
    let listener: Listener | undefined;
    let onClose: (() => void) | undefined;
    return {
      start: (h) => {
        onClose = h.onClose;
        for (const o of initial) h.onEvent({ type: "ADDED", object: o });
        listener = (e) => {
          const o = e.object as StoredObject;
          if (this.def.namespaced && ctx.namespace !== undefined && o.metadata.namespace !== ctx.namespace) return;
          h.onEvent(e);
        };
        this.listeners.add(listener);
        this.reg.activeWatches++;
      },
      stop: () => {
        if (listener && this.listeners.delete(listener)) {
          this.reg.activeWatches--;
          onClose?.();
        }
      },
    };
  }
}

export interface FakeSubresourceCall {
  name: string;
  subresource: string;
  body: StoredObject;
}

export class FakeRegistry implements Registry {
  rev = 10;
  started = false;
  activeWatches = 0;
  readonly calls: FakeCall[] = [];
  readonly subresourceCalls: FakeSubresourceCall[] = [];
  private readonly stores = new Map<string, FakeStore>();
  constructor(defs: ResourceDef[] = [CONFIGMAPS, NAMESPACES, PODS, NODES, DEPLOYMENTS]) {
    for (const d of defs) {
      const s = new FakeStore(d, this);
      if (d.resource === "pods") {
        Object.assign(s, {
          createSubresource: async (_ctx: RequestContext, name: string, subresource: string, body: StoredObject) => {
            this.subresourceCalls.push({ name, subresource, body });
            return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
          },
        });
      }
      this.stores.set(`${d.group}/${d.resource}`, s);
    }
  }
  resources(): ResourceDef[] {
    return [...this.stores.values()].map((s) => s.def);
  }
  store(group: string, resource: string): FakeStore | undefined {
    return this.stores.get(`${group}/${resource}`);
  }
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
}

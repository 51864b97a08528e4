// POST pods/x/binding and pods/x/eviction, as Kubernetes' BindingREST and EvictionREST.
// Binding sets spec.nodeName once (409 when already bound or being deleted) and marks PodScheduled=True.
// Eviction deletes the pod unless a PodDisruptionBudget forbids it (429); a pod that is not running is deleted
// without consulting budgets. Both answer a Status Success (HTTP 201).
import { deepClone, type StoredObject } from "../api/object.js";
import { errors, isConflict, type Status } from "../machinery/errors.js";
import { selectorFromLabelSelector } from "../machinery/labels.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { GenericStore } from "./generic_store.js";
import { formatTime } from "./object_meta.js";
import type { CreateSubresource, DeleteParams, RequestContext } from "./rest.js";
import { writeUpdate } from "./store_update.js";
import type { StoreOp } from "./store_context.js";

const success = (): Status => ({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });

interface PodShape {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: string | null }[] };
}

function bodyMeta(body: unknown): { name?: string; namespace?: string; annotations?: Record<string, string> } {
  if (typeof body !== "object" || body === null) throw errors.badRequest("the request body must be a JSON object");
  return ((body as { metadata?: unknown }).metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, string> };
}

export async function createPodSubresource(store: GenericStore, op: StoreOp & { sub: CreateSubresource; body: unknown }): Promise<StoredObject | Status> {
  const { ctx, name, sub, body } = op;
  if (store.def.group !== "" || store.def.resource !== "pods") {
    throw errors.pathNotFound(`the server could not find the requested resource (post ${store.def.resource} ${sub})`);
  }
  const meta = bodyMeta(body);
  if (meta.name && meta.name !== name) throw errors.badRequest(`name in URL does not match name in ${sub === "binding" ? "Binding" : "Eviction"} object`);
  if (meta.namespace && ctx.namespace && meta.namespace !== ctx.namespace) {
    throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  return sub === "binding" ? bind(store, ctx, name, body, meta.annotations) : evict(store, ctx, name, body);
}

async function bind(store: GenericStore, ctx: RequestContext, name: string, body: unknown, annotations?: Record<string, string>): Promise<Status> {
  const target = (body as { target?: { kind?: string; name?: string } }).target;
  if (!target?.name) throw errors.invalid("Binding", "", name, [{ type: "FieldValueRequired", field: "target.name", detail: "" }]);
  if (target.kind && target.kind !== "Node") {
    throw errors.invalid("Binding", "", name, [{ type: "FieldValueInvalid", field: "target.kind", value: target.kind, detail: "must be empty or 'Node'" }]);
  }
  const gr = { group: "", resource: "pods/binding" };
  await writeUpdate(store, { ctx, name, build: async (cur) => {
    if (!cur) throw errors.notFound(store.gr, name);
    if (cur.metadata.deletionTimestamp) throw errors.conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const c = cur as StoredObject & PodShape;
    if (c.spec?.nodeName) throw errors.conflict(gr, name, `pod ${name} is already assigned to node ${JSON.stringify(c.spec.nodeName)}`);
    // A new object only along the paths the binding changes (metadata, spec.nodeName, the PodScheduled condition);
    // everything else is the cached pod's, frozen, which nothing below changes (an internal write: no defaulting).
    const now = formatTime(store.now());
    const scheduled = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now };
    const conditions = [...(c.status?.conditions ?? [])];
    const i = conditions.findIndex((x) => x.type === "PodScheduled");
    if (i < 0) conditions.push(scheduled);
    else if (conditions[i]!.status !== "True") conditions[i] = { ...conditions[i]!, status: "True", lastTransitionTime: now };
    const pod: StoredObject & PodShape = {
      ...c,
      metadata: { ...c.metadata, ...(annotations ? { annotations: { ...(c.metadata.annotations ?? {}), ...annotations } } : {}) },
      spec: { ...(c.spec ?? {}), nodeName: target.name },
      status: { ...(c.status ?? {}), conditions },
    };
    return { obj: pod, internal: true };
  } });
  return success();
}

interface PdbShape {
  metadata: StoredObject["metadata"];
  spec?: { selector?: LabelSelector; unhealthyPodEvictionPolicy?: string };
  status?: { disruptionsAllowed?: number; observedGeneration?: number; currentHealthy?: number; desiredHealthy?: number; disruptedPods?: Record<string, string> };
}

const tooMany = (cause: string) => {
  const e = errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0);
  e.status.details = { causes: [{ reason: "DisruptionBudget", message: cause }] };
  return e;
};

/**
 * Checks and charges the pod's PodDisruptionBudget (at most one), retrying on write conflicts. A pod that is not
 * Ready counts for nothing in the budget, so evicting it spends nothing: under unhealthyPodEvictionPolicy
 * AlwaysAllow it always goes, under IfHealthyBudget (the default) when the budget has the healthy pods it needs.
 */
async function chargeBudget(store: GenericStore, ctx: RequestContext, pod: StoredObject & PodShape): Promise<void> {
  const pdbs = store.deps.lookup("policy", "poddisruptionbudgets");
  if (!pdbs) return;
  for (let attempt = 0; attempt < store.deps.tuning.maxRetries; attempt++) {
    const matching = pdbs.cachedList(pod.metadata.namespace).filter((p) => {
      const sel = (p as PdbShape).spec?.selector;
      return sel !== undefined && selectorFromLabelSelector(sel).matches(pod.metadata.labels ?? {});
    });
    if (matching.length === 0) return;
    if (matching.length > 1) throw errors.internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    const cached = matching[0]! as PdbShape;
    const pdb = (await pdbs.readStored(cached.metadata.namespace, cached.metadata.name ?? "")) as PdbShape | null;
    if (!pdb) return;
    const st = pdb.status ?? {};
    if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw tooMany(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
    if (!isReady(pod)) {
      if (pdb.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow") return;
      if ((st.desiredHealthy ?? 0) > 0 && (st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0)) return;
    }
    if ((st.disruptionsAllowed ?? 0) < 1) {
      throw tooMany(`The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
    }
    if (ctx.dryRun) return;
    const next = deepClone(pdb);
    next.status = { ...st, disruptionsAllowed: (st.disruptionsAllowed ?? 0) - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [pod.metadata.name ?? ""]: formatTime(store.now()) } };
    try {
      await pdbs.writeStored(next as StoredObject);
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw errors.tooManyRequests("Cannot evict pod: the disruption budget kept changing; try again", 1);
}

function isReady(pod: StoredObject & PodShape): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

async function evict(store: GenericStore, ctx: RequestContext, name: string, body: unknown): Promise<Status> {
  const deleteOptions = ((body as { deleteOptions?: DeleteParams & { dryRun?: string[] } }).deleteOptions ?? {}) as DeleteParams & { dryRun?: string[] };
  const dctx: RequestContext = deleteOptions.dryRun?.includes("All") ? { ...ctx, dryRun: true } : ctx;
  const pod = (await store.readStored(store.ns(ctx), name)) as (StoredObject & PodShape) | null;
  if (!pod) throw errors.notFound(store.gr, name);
  const phase = pod.status?.phase;
  // Pods that are not running, or already being deleted, disrupt nothing.
  const ignoreBudgets = phase === "Succeeded" || phase === "Failed" || phase === "Pending" || !!pod.metadata.deletionTimestamp;
  if (!ignoreBudgets) await chargeBudget(store, dctx, pod);
  await store.delete(dctx, name, {
    gracePeriodSeconds: deleteOptions.gracePeriodSeconds,
    propagationPolicy: deleteOptions.propagationPolicy,
    preconditions: deleteOptions.preconditions,
    orphanDependents: deleteOptions.orphanDependents,
  });
  return success();
}

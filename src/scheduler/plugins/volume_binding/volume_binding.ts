// VolumeBinding, as Kubernetes' plugin of that name, for the pod's PersistentVolumeClaims:
// - PreFilter: a missing claim, a claim being deleted, or an unbound claim of a class that binds Immediately (or of no
//   class) makes the pod unschedulable until that changes; a pod without claims skips the plugin.
// - Filter: a bound claim's volume may pin the pod (its nodeAffinity must match the node); an unbound
//   WaitForFirstConsumer claim needs, on that node, a free volume that fits (class, access modes, size, selector,
//   node affinity) or a class with a provisioner. A claim already annotated with a selected node keeps the pod there.
// - PreBind (on the chosen node): a fitting free volume is pre-bound to the claim (its claimRef), otherwise the claim
//   is annotated volume.kubernetes.io/selected-node for the provisioner; then the pod waits (up to
//   bindTimeoutSeconds, default 600 as in Kubernetes) until every claim is Bound, and only then is bound itself.
import type { PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import { resources } from "../../../client/resources.js";
import { selectorFromLabelSelector } from "../../../machinery/labels.js";
import { parseQuantity } from "../../../machinery/quantity.js";
import type { Pod } from "../../framework/api_types.js";
import type { CycleState, StateData } from "../../framework/cycle_state.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { Status } from "../../framework/status.js";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Handle, PreBindPlugin, PreFilterPlugin, ReservePlugin } from "../../framework/types.js";
import { nodeMatchesTerms } from "../helper/node_selector.js";

export const NAME = "VolumeBinding";
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
export const ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
export const ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict";
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
const NO_PROVISIONER = "kubernetes.io/no-provisioner";
const DEFAULT_BIND_TIMEOUT_S = 600;
const POLL_MS = 100;

interface ToBind {
  claim: PersistentVolumeClaim;
  sc: StorageClass;
}

/** Per node: which free volume each unbound claim gets (undefined: provision). */
type Decisions = Array<{ claim: PersistentVolumeClaim; volume?: PersistentVolume }>;

class PodVolumes implements StateData {
  readonly byNode = new Map<string, Decisions>();
  constructor(
    readonly bound: PersistentVolume[],
    readonly toBind: ToBind[],
  ) {}
  clone(): StateData {
    return this;
  }
}

const key = `PreFilter${NAME}`;

/** The claim names of the pod's volumes (generic ephemeral volumes are claims named <pod>-<volume>). */
function claimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata?.name}-${v.name}`);
  }
  return out;
}

function quantity(v: unknown): ReturnType<typeof parseQuantity> | undefined {
  try {
    return v === undefined ? undefined : parseQuantity(String(v));
  } catch {
    return undefined;
  }
}

/** Whether a free volume can serve the claim on this node. */
function fits(v: PersistentVolume, c: PersistentVolumeClaim, node: NodeInfo): boolean {
  if ((v.spec?.storageClassName ?? "") !== (c.spec?.storageClassName ?? "")) return false;
  const modes = new Set(v.spec?.accessModes ?? []);
  if (!(c.spec?.accessModes ?? []).every((m) => modes.has(m))) return false;
  if ((v.spec?.volumeMode ?? "Filesystem") !== (c.spec?.volumeMode ?? "Filesystem")) return false;
  const cap = quantity(v.spec?.capacity?.storage);
  const want = quantity(c.spec?.resources?.requests?.storage);
  if (!cap || (want && cap.cmp(want) < 0)) return false;
  if (c.spec?.selector) {
    try {
      if (!selectorFromLabelSelector(c.spec.selector).matches(v.metadata?.labels ?? {})) return false;
    } catch {
      return false;
    }
  }
  const terms = v.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms || (!!node.node && nodeMatchesTerms(terms, node.node));
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly bindTimeoutMs: number;

  constructor(
    private readonly handle: Handle,
    args: { bindTimeoutSeconds?: number } = {},
  ) {
    this.bindTimeoutMs = (args.bindTimeoutSeconds ?? DEFAULT_BIND_TIMEOUT_S) * 1000;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      { resource: "PersistentVolumeClaim", action: "Add" },
      { resource: "PersistentVolumeClaim", action: "Update" },
      { resource: "PersistentVolume", action: "Add" },
      { resource: "PersistentVolume", action: "Update" },
      { resource: "StorageClass", action: "Add" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "UpdateNodeLabel" },
    ];
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const names = claimNames(pod);
    if (names.length === 0) return { status: Status.skip() };
    const lookup = this.handle.volumes;
    if (!lookup) return { status: Status.error("VolumeBinding: no PersistentVolumeClaim lookup in this scheduler") };
    const ns = pod.metadata?.namespace ?? "default";
    const bound: PersistentVolume[] = [];
    const toBind: ToBind[] = [];
    for (const name of names) {
      const claim = lookup.claim(ns, name);
      if (!claim) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" not found`) };
      if (claim.metadata?.deletionTimestamp) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`) };
      const vname = claim.spec?.volumeName;
      if (vname) {
        const v = lookup.volume(vname);
        if (!v) return { status: Status.unresolvable(`persistentvolume "${vname}" not found (bound to persistentvolumeclaim "${name}")`) };
        bound.push(v);
        continue;
      }
      const scName = claim.spec?.storageClassName ?? "";
      const sc = scName ? lookup.storageClass(scName) : undefined;
      if (sc?.volumeBindingMode !== "WaitForFirstConsumer") return { status: Status.unresolvable(ERR_UNBOUND_IMMEDIATE) };
      toBind.push({ claim, sc });
    }
    state.write(key, new PodVolumes(bound, toBind));
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    const s = state.read<PodVolumes>(key);
    if (!s) return Status.success();
    for (const v of s.bound) {
      const terms = v.spec?.nodeAffinity?.required?.nodeSelectorTerms;
      if (terms && !(node.node && nodeMatchesTerms(terms, node.node))) return Status.unresolvable(ERR_NODE_CONFLICT);
    }
    if (s.toBind.length === 0) return Status.success();
    const decisions: Decisions = [];
    const taken = new Set<string>();
    const all = this.handle.volumes?.volumes() ?? [];
    const free = all.filter((v) => {
      const phase = v.status?.phase ?? "Pending";
      return !v.spec?.claimRef && !v.metadata?.deletionTimestamp && (phase === "Available" || phase === "Pending");
    });
    for (const { claim, sc } of s.toBind) {
      const selected = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
      if (selected && selected !== node.name) return Status.unresolvable(`node(s) were not selected for persistentvolumeclaim "${claim.metadata?.name}" (${selected} was)`);
      // A volume already pre-bound to this claim (by an earlier attempt's PreBind, or by a user) is the one.
      const preBound = all.find((v) => {
        const ref = v.spec?.claimRef;
        return ref?.name === claim.metadata?.name && ref?.namespace === claim.metadata?.namespace && (!ref?.uid || ref.uid === claim.metadata?.uid);
      });
      if (preBound) {
        if (!fits(preBound, claim, node)) return Status.unresolvable(ERR_NODE_CONFLICT);
        decisions.push({ claim, volume: preBound });
        continue;
      }
      let best: PersistentVolume | undefined;
      for (const v of free) {
        if (taken.has(v.metadata!.name!) || !fits(v, claim, node)) continue;
        if (!best || quantity(v.spec?.capacity?.storage)!.cmp(quantity(best.spec?.capacity?.storage)!) < 0) best = v;
      }
      if (best) {
        taken.add(best.metadata!.name!);
        decisions.push({ claim, volume: best });
      } else if (sc.provisioner && sc.provisioner !== NO_PROVISIONER) decisions.push({ claim });
      else return Status.unschedulable(ERR_BIND_CONFLICT);
    }
    s.byNode.set(node.name, decisions);
    return Status.success();
  }

  reserve(): Status {
    return Status.success();
  }

  unreserve(): void {
    // Nothing is assumed in a cache: PreBind's writes are what the binder and the provisioner act on.
  }

  async preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const s = state.read<PodVolumes>(key);
    if (!s || s.toBind.length === 0) return Status.success();
    const client = this.handle.client;
    if (!client) return Status.error("VolumeBinding: no API client to bind volumes with");
    const decisions: Decisions = s.byNode.get(nodeName) ?? s.toBind.map(({ claim }) => ({ claim }));
    try {
      for (const d of decisions) {
        const ns = d.claim.metadata!.namespace;
        const name = d.claim.metadata!.name!;
        if (d.volume?.spec?.claimRef?.uid === d.claim.metadata?.uid) continue;
        if (d.volume) {
          const ref = { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: ns, name, uid: d.claim.metadata?.uid };
          // The resourceVersion makes this a compare-and-swap: a volume taken meanwhile fails the binding cycle.
          await client.resource(resources.persistentvolumes).patch(undefined, d.volume.metadata!.name!, "merge", { metadata: { resourceVersion: d.volume.metadata?.resourceVersion }, spec: { claimRef: ref } });
        } else if (d.claim.metadata?.annotations?.[ANN_SELECTED_NODE] !== nodeName) {
          await client.resource(resources.persistentvolumeclaims).patch(ns, name, "merge", { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } });
        }
      }
    } catch (err) {
      return Status.error(err as Error);
    }
    return this.waitBound(pod, decisions.map((d) => d.claim));
  }

  /** Polls the claim cache until every claim is Bound; an error after bindTimeoutSeconds or if one disappears. */
  private async waitBound(pod: Pod, claims: PersistentVolumeClaim[]): Promise<Status> {
    const end = Date.now() + this.bindTimeoutMs;
    for (;;) {
      let pending: string | undefined;
      for (const c of claims) {
        const cur = this.handle.volumes?.claim(c.metadata!.namespace!, c.metadata!.name!);
        if (!cur || cur.metadata?.uid !== c.metadata?.uid) return Status.error(`persistentvolumeclaim "${c.metadata?.name}" was deleted while binding pod ${pod.metadata?.name}`);
        if (!cur.spec?.volumeName || cur.status?.phase !== "Bound") pending = c.metadata!.name!;
      }
      if (!pending) return Status.success();
      if (Date.now() > end) return Status.error(`binding volumes: timed out waiting for persistentvolumeclaim "${pending}" to be bound`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

export function newVolumeBinding(args: unknown, handle: Handle): VolumeBinding {
  const a = (args ?? {}) as { bindTimeoutSeconds?: unknown };
  const t = a.bindTimeoutSeconds;
  if (t !== undefined && (typeof t !== "number" || !Number.isInteger(t) || t < 0)) throw new Error(`VolumeBinding: bindTimeoutSeconds must be a non-negative integer, got ${JSON.stringify(t)}`);
  return new VolumeBinding(handle, { bindTimeoutSeconds: t as number | undefined });
}

// The informers the scheduler reads and the lookups built on them: namespace labels, PriorityClass values and the
// selectors of the controllers and services that own a pod (for default topology spreading).
import type { PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { KubeObject } from "../api/object.js";
import type { SharedInformer } from "../client/informer.js";
import type { SharedInformerFactory } from "../client/informer_factory.js";
import { resources } from "../client/resources.js";
import type { ResourceRef } from "../client/types.js";
import { selectorFromLabelSelector, selectorFromSet, type Selector } from "../machinery/labels.js";
import type { Namespace, Node, Pod, PriorityClass } from "./framework/api_types.js";
import type { VolumeLookup } from "./framework/types.js";

export const priorityClassesRef: ResourceRef & { kind: string } = { group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", kind: "PriorityClass", namespaced: false };
export const podDisruptionBudgetsRef: ResourceRef & { kind: string } = { group: "policy", version: "v1", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true };

type PdbObject = KubeObject & { spec?: { selector?: LabelSelector }; status?: { disruptionsAllowed?: number } };

/** A PodDisruptionBudget as preemption weighs it. */
export interface DisruptionBudget {
  namespace: string;
  name: string;
  selector: Selector;
  disruptionsAllowed: number;
}

type WithSelector = KubeObject & { spec?: { selector?: unknown } };

export class SchedulerInformers {
  readonly pods: SharedInformer<Pod>;
  readonly nodes: SharedInformer<Node>;
  readonly namespaces: SharedInformer<Namespace>;
  readonly priorityClasses: SharedInformer<PriorityClass>;
  readonly pdbs: SharedInformer<PdbObject>;
  readonly claims: SharedInformer<PersistentVolumeClaim & KubeObject>;
  readonly volumes: SharedInformer<PersistentVolume & KubeObject>;
  readonly storageClasses: SharedInformer<StorageClass & KubeObject>;
  private readonly owners: SharedInformer<WithSelector>[];

  constructor(factory: SharedInformerFactory) {
    this.pods = factory.forResource<Pod>(resources.pods);
    this.nodes = factory.forResource<Node>(resources.nodes);
    this.namespaces = factory.forResource<Namespace>(resources.namespaces);
    this.priorityClasses = factory.forResource<PriorityClass>(priorityClassesRef);
    this.pdbs = factory.forResource<PdbObject>(podDisruptionBudgetsRef);
    this.claims = factory.forResource<PersistentVolumeClaim & KubeObject>(resources.persistentvolumeclaims);
    this.volumes = factory.forResource<PersistentVolume & KubeObject>(resources.persistentvolumes);
    this.storageClasses = factory.forResource<StorageClass & KubeObject>(resources.storageclasses);
    this.owners = [resources.services, resources.replicationcontrollers, resources.replicasets, resources.statefulsets].map((r) => factory.forResource<WithSelector>(r));
  }

  all(): Array<{ waitForSync(s?: AbortSignal): Promise<boolean> }> {
    return [this.pods, this.nodes, this.namespaces, this.priorityClasses, this.pdbs, this.claims, this.volumes, this.storageClasses, ...this.owners];
  }

  /** What VolumeBinding reads, from these caches. */
  volumeLookup(): VolumeLookup {
    return {
      claim: (ns, name) => this.claims.indexer.get(`${ns}/${name}`),
      volume: (name) => this.volumes.indexer.get(name),
      volumes: () => this.volumes.indexer.list(),
      storageClass: (name) => this.storageClasses.indexer.get(name),
    };
  }

  namespaceLabels(ns: string): Record<string, string> | undefined {
    return this.namespaces.indexer.get(ns)?.metadata?.labels;
  }

  priorityClassValue(name: string): number | undefined {
    return this.priorityClasses.indexer.get(name)?.value;
  }

  /** Every PodDisruptionBudget with a usable selector. */
  disruptionBudgets(): DisruptionBudget[] {
    const out: DisruptionBudget[] = [];
    for (const p of this.pdbs.indexer.list()) {
      try {
        out.push({ namespace: p.metadata?.namespace ?? "", name: p.metadata?.name ?? "", selector: selectorFromLabelSelector(p.spec?.selector), disruptionsAllowed: p.status?.disruptionsAllowed ?? 0 });
      } catch {
        // An invalid selector protects nothing.
      }
    }
    return out;
  }

  /** The value of the PriorityClass marked globalDefault, if any. */
  globalDefaultPriority(): number | undefined {
    return this.priorityClasses.indexer.list().find((pc) => pc.globalDefault)?.value;
  }

  /**
   * The pod with the priority its PriorityClass gives it. The Priority admission plugin normally copies the value
   * into spec.priority; an API server without it leaves the default 0, so a known class name wins over the field.
   */
  withPriority(pod: Pod): Pod {
    const name = pod.spec?.priorityClassName;
    const value = name ? this.priorityClassValue(name) : pod.spec?.priority === undefined ? this.globalDefaultPriority() : undefined;
    return value === undefined || value === pod.spec?.priority ? pod : { ...pod, spec: { ...pod.spec!, priority: value } };
  }

  /** Selectors of services, RCs, ReplicaSets and StatefulSets in the pod's namespace that select it. */
  defaultSpreadSelectors(pod: Pod): Selector[] {
    const ns = pod.metadata?.namespace ?? "";
    const labels = pod.metadata?.labels ?? {};
    const out: Selector[] = [];
    this.owners.forEach((inf, i) => {
      for (const o of inf.indexer.byIndex("namespace", ns)) {
        const raw = o.spec?.selector;
        if (!raw || typeof raw !== "object") continue;
        let sel: Selector;
        try {
          // Services (0) and RCs (1) use plain maps; ReplicaSets and StatefulSets label selectors.
          sel = i < 2 ? selectorFromSet(raw as Record<string, string>) : selectorFromLabelSelector(raw as LabelSelector);
        } catch {
          continue;
        }
        if (!sel.empty() && sel.matches(labels)) out.push(sel);
      }
    });
    return out;
  }
}

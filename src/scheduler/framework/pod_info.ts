// A pod plus what the scheduler derives from it once: its requests and its parsed pod (anti-)affinity terms.
import { selectorFromLabelSelector, nothing, everything, type Selector } from "../../machinery/labels.js";
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from "./api_types.js";
import { computePodRequests } from "./pod_resources.js";
import type { Resource } from "./resource.js";

/** A pod affinity term ready to match: the namespaces it names, its namespace selector and label selector. */
export interface AffinityTerm {
  namespaces: Set<string>;
  /** undefined when the term has no namespaceSelector (then only `namespaces` count). */
  namespaceSelector?: Selector;
  selector: Selector;
  topologyKey: string;
  weight: number;
}

function safeSelector(ls: Parameters<typeof selectorFromLabelSelector>[0]): Selector {
  try {
    return selectorFromLabelSelector(ls);
  } catch {
    return nothing();
  }
}

export function newAffinityTerm(pod: Pod, term: PodAffinityTerm, weight = 0): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  let namespaceSelector: Selector | undefined;
  if (term.namespaceSelector) namespaceSelector = Object.keys(term.namespaceSelector).length === 0 ? everything() : safeSelector(term.namespaceSelector);
  // Neither namespaces nor a selector: the term means the pod's own namespace.
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(pod.metadata?.namespace ?? "");
  let selector = safeSelector(term.labelSelector);
  const extra: string[] = [];
  // matchLabelKeys / mismatchLabelKeys narrow the selector with the owning pod's own label values.
  const labels = pod.metadata?.labels ?? {};
  const t = term as PodAffinityTerm & { matchLabelKeys?: string[]; mismatchLabelKeys?: string[] };
  for (const k of t.matchLabelKeys ?? []) if (k in labels) extra.push(`${k}=${labels[k]}`);
  for (const k of t.mismatchLabelKeys ?? []) if (k in labels) extra.push(`${k}!=${labels[k]}`);
  if (extra.length && term.labelSelector) {
    const base = selector;
    const pairs = extra.map((e) => (e.includes("!=") ? { neg: true, kv: e.split("!=") } : { neg: false, kv: e.split("=") }));
    selector = {
      matches: (l) => base.matches(l) && pairs.every(({ neg, kv }) => (neg ? (l ?? {})[kv[0]!] !== kv[1] : (l ?? {})[kv[0]!] === kv[1])),
      empty: () => false,
      toString: () => [base.toString(), ...extra].filter(Boolean).join(","),
      requirements: () => base.requirements(),
    };
  }
  return { namespaces, namespaceSelector, selector, topologyKey: term.topologyKey, weight };
}

/** Whether a term selects a pod: its namespace is named or matches the namespace selector, and its labels match. */
export function termMatches(term: AffinityTerm, pod: Pod, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? "";
  const nsOk = term.namespaces.has(ns) || (term.namespaceSelector !== undefined && term.namespaceSelector.matches(namespaceLabels(ns) ?? {}));
  return nsOk && term.selector.matches(pod.metadata?.labels ?? {});
}

/** The shared empty term list (most pods have no pod affinity): never mutated. */
const NO_TERMS: AffinityTerm[] = [];

function requiredTerms(pod: Pod, terms: PodAffinityTerm[] | undefined): AffinityTerm[] {
  return terms?.length ? terms.map((t) => newAffinityTerm(pod, t)) : NO_TERMS;
}

function preferredTerms(pod: Pod, terms: WeightedPodAffinityTerm[] | undefined): AffinityTerm[] {
  return terms?.length ? terms.map((t) => newAffinityTerm(pod, t.podAffinityTerm, t.weight)) : NO_TERMS;
}

export class PodInfo {
  readonly requests: Resource;
  readonly nonZeroRequests: Resource;
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: AffinityTerm[];
  readonly preferredAntiAffinity: AffinityTerm[];

  /**
   * `derivedFrom`: a PodInfo of the same pod whose derivations hold for this version too (the assumed copy, which
   * only adds spec.nodeName), so they are not worked out again.
   */
  constructor(
    readonly pod: Pod,
    derivedFrom?: PodInfo,
  ) {
    if (derivedFrom) {
      this.requests = derivedFrom.requests;
      this.nonZeroRequests = derivedFrom.nonZeroRequests;
      this.requiredAffinity = derivedFrom.requiredAffinity;
      this.requiredAntiAffinity = derivedFrom.requiredAntiAffinity;
      this.preferredAffinity = derivedFrom.preferredAffinity;
      this.preferredAntiAffinity = derivedFrom.preferredAntiAffinity;
      return;
    }
    this.requests = computePodRequests(pod);
    this.nonZeroRequests = computePodRequests(pod, { nonZero: true });
    const a = pod.spec?.affinity;
    this.requiredAffinity = requiredTerms(pod, a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.requiredAntiAffinity = requiredTerms(pod, a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.preferredAffinity = preferredTerms(pod, a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinity = preferredTerms(pod, a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  get key(): string {
    return `${this.pod.metadata?.namespace ?? ""}/${this.pod.metadata?.name ?? ""}`;
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? this.key;
  }

  hasAffinity(): boolean {
    return this.requiredAffinity.length + this.requiredAntiAffinity.length + this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
  }
}

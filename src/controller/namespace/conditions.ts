// The deletion conditions the namespace controller reports on status.conditions, with Kubernetes' types, reasons
// and message shapes, so `kubectl describe namespace` reads the same.
import type { NamespaceCondition } from "kubernetes-types/core/v1.js";

export interface DeletionOutcome {
  /** Per resource ("pods.", "replicasets.apps") the error deleting its content. */
  failures: string[];
  /** Per resource, objects still present. */
  remaining: Map<string, number>;
  /** Per finalizer, objects still carrying it. */
  finalizers: Map<string, number>;
}

function cond(type: string, on: boolean, reason: string, message: string): NamespaceCondition {
  return { type, status: on ? "True" : "False", reason, message };
}

export function deletionConditions(o: DeletionOutcome): NamespaceCondition[] {
  const list = (m: Map<string, number>): string =>
    [...m.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} has ${n} resource instances`)
      .join(", ");
  const fin = [...o.finalizers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} in ${n} resource instances`)
    .join(", ");
  return [
    cond("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
    cond("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    o.failures.length
      ? cond("NamespaceDeletionContentFailure", true, "ContentDeletionFailed", `Failed to delete all resource types, ${o.failures.length} remaining: ${o.failures.join(", ")}`)
      : cond("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    o.remaining.size
      ? cond("NamespaceContentRemaining", true, "SomeResourcesRemain", `Some resources are remaining: ${list(o.remaining)}`)
      : cond("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed"),
    o.finalizers.size
      ? cond("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain", `Some content in the namespace has finalizers remaining: ${fin}`)
      : cond("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
  ];
}

/**
 * Merges new conditions into old ones, keeping lastTransitionTime when a condition's status did not change.
 * Returns undefined when nothing would change (no write needed).
 */
export function mergeConditions(old: readonly NamespaceCondition[], next: NamespaceCondition[], now: string): NamespaceCondition[] | undefined {
  let changed = false;
  const out = old.filter((c) => !next.some((n) => n.type === c.type));
  for (const n of next) {
    const prev = old.find((c) => c.type === n.type);
    if (prev && prev.status === n.status && prev.reason === n.reason && prev.message === n.message) {
      out.push(prev);
      continue;
    }
    changed = true;
    out.push({ ...n, lastTransitionTime: prev && prev.status === n.status ? prev.lastTransitionTime : now });
  }
  return changed ? out : undefined;
}

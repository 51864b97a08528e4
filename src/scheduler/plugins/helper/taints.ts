// Toleration matching as the core API helpers define it: a toleration with an empty key and operator Exists
// tolerates everything; an empty effect matches every effect; operator Equal (the default) compares values.
import type { Taint, Toleration } from "../../framework/api_types.js";

export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  const op = tol.operator || "Equal";
  if (op === "Exists") return !tol.key || tol.key === taint.key;
  if (op !== "Equal") return false;
  if (!tol.key) return false;
  return (tol.value ?? "") === (taint.value ?? "");
}

export function taintTolerated(taint: Taint, tolerations: Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint (among those the filter cares about) that no toleration tolerates. */
export function findUntoleratedTaint(taints: Taint[] | undefined, tolerations: Toleration[] | undefined, include: (t: Taint) => boolean): Taint | undefined {
  return (taints ?? []).find((t) => include(t) && !taintTolerated(t, tolerations));
}

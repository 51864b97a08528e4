// Node selector terms (required node affinity) as Kubernetes matches them: terms are ORed, the expressions and
// fields of one term ANDed; matchFields supports only metadata.name. An empty term matches nothing.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from "../../framework/api_types.js";
import { parseInt64 } from "../../../machinery/labels.js";

export function requirementMatches(req: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, req.key);
  const v = values[req.key];
  const vals = req.values ?? [];
  switch (req.operator) {
    case "In":
      return has && vals.includes(v!);
    case "NotIn":
      return !has || !vals.includes(v!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || vals.length !== 1) return false;
      const a = parseInt64(v!);
      const b = parseInt64(vals[0]!);
      if (a === undefined || b === undefined) return false;
      return req.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

export function termMatchesNode(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const fieldValues = { "metadata.name": node.metadata?.name ?? "" };
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => r.key === "metadata.name" && requirementMatches(r, fieldValues));
}

export function nodeMatchesTerms(terms: NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => termMatchesNode(t, node));
}

/** spec.nodeSelector and required node affinity together: what NodeAffinity's filter and topology spreading honour. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !nodeMatchesTerms(required.nodeSelectorTerms ?? [], node)) return false;
  return true;
}

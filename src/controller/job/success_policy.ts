// spec.successPolicy of Indexed Jobs: the Job succeeds as soon as one rule is met, even with indexes left. A rule
// names indexes (an interval list) and/or a count: with both, that many of the named indexes must have succeeded;
// with indexes only, all of them; with a count only, that many indexes overall.
import type { SuccessPolicy } from "kubernetes-types/batch/v1.js";
import { parseIndexes } from "./indexes.js";

/** The SuccessCriteriaMet message for the first rule met, or undefined when none is. */
export function successPolicyMatch(policy: SuccessPolicy | undefined, completed: Set<number>): string | undefined {
  for (const [i, rule] of (policy?.rules ?? []).entries()) {
    let met: boolean;
    if (rule.succeededIndexes !== undefined) {
      const named = [...parseIndexes(rule.succeededIndexes)];
      const done = named.filter((n) => completed.has(n)).length;
      met = rule.succeededCount !== undefined ? done >= rule.succeededCount : named.length > 0 && done === named.length;
    } else met = rule.succeededCount !== undefined && completed.size >= rule.succeededCount;
    if (met) return `Matched rules at index ${i}`;
  }
  return undefined;
}

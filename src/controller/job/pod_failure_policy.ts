// spec.podFailurePolicy: the first rule matching a failed pod decides what its failure means. onExitCodes looks at
// the exit codes of terminated containers (init and regular, exit code 0 never matches, as in Kubernetes);
// onPodConditions at the pod's conditions (status defaults to True).
import type { PodFailurePolicy, PodFailurePolicyRule } from "kubernetes-types/batch/v1.js";
import type { ContainerStatus, Pod } from "kubernetes-types/core/v1.js";

export type FailureAction = "FailJob" | "FailIndex" | "Ignore" | "Count";

export interface PolicyMatch {
  action: FailureAction;
  /** For FailJob: the message of the job's failure condition. */
  message: string;
}

function exitCodeMatch(rule: PodFailurePolicyRule, statuses: ContainerStatus[]): ContainerStatus | undefined {
  const req = rule.onExitCodes;
  if (!req) return undefined;
  for (const cs of statuses) {
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== cs.name) continue;
    const listed = req.values.includes(code);
    if ((req.operator === "In" && listed) || (req.operator === "NotIn" && !listed)) return cs;
  }
  return undefined;
}

/** The matching rule's action for a failed pod, or undefined when no rule matches (the failure counts). */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PolicyMatch | undefined {
  if (!policy) return undefined;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const who = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [i, rule] of policy.rules.entries()) {
    const action = rule.action as FailureAction;
    const cs = exitCodeMatch(rule, statuses);
    if (cs) return { action, message: `Container ${cs.name} for pod ${who} failed with exit code ${cs.state?.terminated?.exitCode} matching ${action} rule at index ${i}` };
    for (const pattern of rule.onPodConditions ?? []) {
      const cond = pod.status?.conditions?.find((c) => c.type === pattern.type && c.status === (pattern.status || "True"));
      if (cond) return { action, message: `Pod ${who} has condition ${cond.type} matching ${action} rule at index ${i}` };
    }
  }
  return undefined;
}

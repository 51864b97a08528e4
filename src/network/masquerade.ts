// flannel's --ip-masq: pod traffic leaving the pod network (to the underlay, e.g. the API server or cluster DNS on
// the host side of a local cluster) is masqueraded behind the node's address, so the other end needs no route back
// to pod subnets; pod-to-pod traffic keeps its addresses. One chain of our own in the nat table, loaded with
// iptables-restore --noflush (kube-proxy's chains are left alone), jumped to from POSTROUTING.
import { mustRun } from "./exec.js";
import type { CommandRunner } from "./types.js";

export const MASQ_CHAIN = "K8TS-FLANNEL-POSTRTG";

export function masqueradeRules(clusterCIDR: string): string {
  return [
    "*nat",
    `:${MASQ_CHAIN} - [0:0]`,
    `-A ${MASQ_CHAIN} -s ${clusterCIDR} -d ${clusterCIDR} -m comment --comment "pod to pod: keep addresses" -j RETURN`,
    `-A ${MASQ_CHAIN} -s ${clusterCIDR} ! -d 224.0.0.0/4 -m comment --comment "pods leaving the pod network" -j MASQUERADE`,
    "COMMIT",
    "",
  ].join("\n");
}

export async function ensureMasquerade(runner: CommandRunner, clusterCIDR: string): Promise<void> {
  await mustRun(runner, ["iptables-restore", "--noflush", "-w", "5"], { stdin: masqueradeRules(clusterCIDR) });
  const jump = ["POSTROUTING", "-m", "comment", "--comment", "k8ts pod network masquerade", "-j", MASQ_CHAIN];
  const check = await runner.run(["iptables", "-w", "5", "-t", "nat", "-C", ...jump]);
  if (check.code !== 0) await mustRun(runner, ["iptables", "-w", "5", "-t", "nat", "-A", ...jump]);
}

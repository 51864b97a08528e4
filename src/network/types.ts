// Types of the pod network agent (flannel's VXLAN backend, driven by Node objects).

/** What the agent learns about one node from its Node object. */
export interface NodeLease {
  name: string;
  /** The node's pod subnet (spec.podCIDR), e.g. 10.244.1.0/24. */
  podCIDR: string;
  /** The node's underlay address (flannel.alpha.coreos.com/public-ip). */
  publicIP: string;
  /** MAC address of its flannel.1 device (from flannel.alpha.coreos.com/backend-data). */
  vtepMAC: string;
}

/**
 * Runs a program to completion, in the agent's network namespace. Contract: resolves with the exit code and output
 * whatever the code; rejects only when the program cannot be started.
 */
export interface CommandRunner {
  run(argv: string[], opts?: { stdin?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
}

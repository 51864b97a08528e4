// The proxier's view of the cluster, reduced to what rules are made of, and the seams it runs through: a rule
// backend per mode (iptables, nftables) and a command runner (so tests and a node's network namespace plug in).

export type ProxyMode = "iptables" | "nftables";
export type L4Protocol = "TCP" | "UDP" | "SCTP";

/** One usable backend address of a service port. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** The endpoint runs on this proxier's node. */
  local: boolean;
}

/**
 * One port of one service with a cluster IP, and the endpoints traffic to it should reach. Endpoints are already
 * chosen (ready ones, or serving-and-terminating ones when none is ready), de-duplicated and sorted.
 */
export interface ServicePortInfo {
  namespace: string;
  service: string;
  /** The service port's name ("" for an unnamed single port). */
  portName: string;
  protocol: L4Protocol;
  clusterIP: string;
  port: number;
  nodePort?: number;
  /** spec.externalIPs plus status.loadBalancer.ingress IPs: traffic to them is treated as external. */
  externalIPs: string[];
  /** Seconds of ClientIP session affinity; undefined when affinity is off. */
  affinitySeconds?: number;
  /** externalTrafficPolicy Local: external traffic goes only to endpoints on this node, source kept. */
  externalLocal: boolean;
  /** internalTrafficPolicy Local: cluster-IP traffic goes only to endpoints on this node. */
  internalLocal: boolean;
  endpoints: EndpointInfo[];
}

/** Everything one sync renders. */
export interface ProxyState {
  ports: ServicePortInfo[];
}

/** Options the rule renderers share. */
export interface RenderOptions {
  /**
   * The pod network. When set, traffic to a cluster IP from outside it (the node itself, other hosts) is
   * masqueraded so replies come back through this node.
   */
  clusterCIDR?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one program (argv[0] looked up on PATH) with optional stdin and resolves with its exit code and output.
 * Rejects only when the program cannot be started at all.
 */
export interface CommandRunner {
  run(argv: string[], opts?: { stdin?: string }): Promise<CommandResult>;
}

/** Programs the kernel for one mode. apply() replaces this proxier's whole rule set atomically or throws. */
export interface RuleBackend {
  readonly mode: ProxyMode;
  apply(state: ProxyState): Promise<void>;
  /** Removes every rule, chain and table this backend owns (the `--cleanup` path). */
  cleanup(): Promise<void>;
}

/** The name Kubernetes gives a service port in logs and hashes: "ns/name:port" ("ns/name" for an unnamed port). */
export function servicePortName(p: Pick<ServicePortInfo, "namespace" | "service" | "portName">): string {
  return `${p.namespace}/${p.service}${p.portName ? `:${p.portName}` : ""}`;
}

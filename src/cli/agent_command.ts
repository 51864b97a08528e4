// `k8ts agent`: one node agent (kubelet) until SIGTERM/SIGINT. `--runtime simulated` runs a hollow node (pods are
// simulated in memory); `--runtime containerd` (the default) speaks CRI to containerd: it connects to one
// (--containerd-address) or starts the node's own (--containerd-root, optionally inside --netns), imports the busybox
// and pause images when missing, and runs the pods there.
import { hostname, networkInterfaces, release } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "./main.js";
import { realClock } from "../client/clock.js";
import { defaultKubeconfigPath, loadKubeconfig } from "../client/kubeconfig.js";
import { createClient, type Client } from "../client/rest_client.js";
import { Kubelet } from "../kubelet/kubelet.js";
import { StaticPodSource } from "../kubelet/static_pods.js";
import { ImageGC, criImageFs, validateImageGCPolicy, type ImageGCPolicy } from "../kubelet/images/image_gc.js";
import { parseDuration } from "./command_support.js";
import { checkRegistryAddress } from "../kubelet/containerd/containerd_config.js";
import { startKubeletServer } from "../kubelet/kubelet_server.js";
import { streamingHandlerFor } from "../kubelet/streaming/streaming_handler.js";
import { SimulatedProber } from "../kubelet/runtime/simulated/simulated_prober.js";
import { SimulatedRuntime } from "../kubelet/runtime/simulated/simulated_runtime.js";
import { startNodeRuntime, type NodeRuntime } from "../kubelet/containerd/node_runtime.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import type { ContainerRuntime } from "../kubelet/runtime/types.js";
import { createLogger, type Logger } from "../util/log.js";
import { NetworkAgent } from "../network/network_agent.js";
import { createBackend } from "../proxy/backends.js";
import { execRunner } from "../proxy/command_runner.js";
import { Proxier } from "../proxy/proxier.js";

/** Flags shared by `agent` and `sim`: how to reach the API server and what the nodes look like. */
export interface NodeFlags {
  server?: string;
  token?: string;
  kubeconfig?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  instanceType?: string;
  help?: boolean;
}

export interface FlagSpec<T> {
  /** flag -> [key, kind] */
  names: Record<string, [keyof T & string, "string" | "int" | "labels"]>;
}

/** Parses `--flag value` and `--flag=value` by the spec; throws an Error naming the bad flag or value. */
export function parseFlags<T extends { help?: boolean }>(args: string[], spec: FlagSpec<T>): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const entry = spec.names[flag];
    if (!entry) throw new Error(`unknown flag ${JSON.stringify(arg)}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new Error(`flag ${flag} needs a value`);
    const [key, kind] = entry;
    if (kind === "int") {
      if (!/^\d+$/.test(value)) throw new Error(`invalid ${flag} ${JSON.stringify(value)}: must be a non-negative integer`);
      out[key] = Number(value);
    } else if (kind === "labels") {
      const labels: Record<string, string> = {};
      for (const pair of value.split(",")) {
        const [k, v = ""] = pair.split("=");
        if (!k) throw new Error(`invalid ${flag} ${JSON.stringify(value)}: want key=value[,key=value]`);
        labels[k] = v;
      }
      out[key] = labels;
    } else out[key] = value;
  }
  return out as T;
}

export const NODE_FLAG_NAMES: FlagSpec<NodeFlags>["names"] = {
  "--server": ["server", "string"],
  "--token": ["token", "string"],
  "--kubeconfig": ["kubeconfig", "string"],
  "--cpu": ["cpu", "string"],
  "--memory": ["memory", "string"],
  "--pods": ["pods", "string"],
  "--ephemeral-storage": ["ephemeralStorage", "string"],
  "--node-labels": ["labels", "labels"],
  "--instance-type": ["instanceType", "string"],
};

export const NODE_FLAGS_USAGE = `  --server URL              API server URL (instead of a kubeconfig)
  --token TOKEN             bearer token for --server
  --kubeconfig FILE         kubeconfig to use (default $KUBECONFIG or ~/.kube/config)
  --cpu Q --memory Q --pods N --ephemeral-storage Q
                            node capacity (default 4, 16Gi, 110, 100Gi)
  --node-labels k=v,...     extra node labels
  --instance-type T         node.kubernetes.io/instance-type label
`;

export function clientFrom(flags: NodeFlags, userAgent: string): Client {
  if (flags.server) return createClient({ server: flags.server, token: flags.token, userAgent });
  return createClient({ ...loadKubeconfig(flags.kubeconfig ?? defaultKubeconfigPath()), userAgent });
}

export function capacityFrom(flags: NodeFlags): Record<string, string> {
  const c: Record<string, string> = {};
  if (flags.cpu) c.cpu = flags.cpu;
  if (flags.memory) c.memory = flags.memory;
  if (flags.pods) c.pods = flags.pods;
  if (flags.ephemeralStorage) c["ephemeral-storage"] = flags.ephemeralStorage;
  return c;
}

/** Runs until SIGTERM/SIGINT, then aborts and waits for the work to wind down. */
export async function untilSignal(log: Logger, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info("shutting down", { signal });
    ac.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await run(ac.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

interface AgentFlags extends NodeFlags {
  runtime?: string;
  nodeName?: string;
  nodeIp?: string;
  serve?: string;
  containerdAddress?: string;
  containerdRoot?: string;
  netns?: string;
  podCidr?: string;
  imageCache?: string;
  network?: string;
  clusterCidr?: string;
  proxyMode?: string;
  podManifestPath?: string;
  imageGcHighThreshold?: number;
  imageGcLowThreshold?: number;
  imageMaximumGcAge?: string;
  imageMinimumGcAge?: string;
  insecureRegistry?: string;
}

const USAGE = `usage: k8ts agent --node-name NAME [flags]

flags:
  --runtime simulated|containerd   container runtime (default containerd; simulated = hollow node)
  --node-name NAME                 this node's name (default the host name)
  --node-ip IP                     the node's InternalIP (default the first non-loopback IPv4 address)
  --serve HOST:PORT                serve /healthz, /pods, /stats/summary, /metrics, /metrics/resource there (plain HTTP,
                                   no authentication: use loopback); its port is reported as the kubelet port
  --containerd-address SOCK        containerd runtime: use the containerd serving this socket
  --containerd-root DIR            containerd runtime: start containerd with root, state, sockets and CNI config
                                   under DIR (stopped with the agent; pods keep running)
  --netns NAME                     with --containerd-root: run containerd inside /var/run/netns/NAME
  --pod-cidr CIDR                  pod subnet of the CNI config until the Node has spec.podCIDR (default 10.244.0.0/24;
                                   none with --network vxlan: the node is NotReady until its podCIDR is applied)
  --image-cache DIR                where built busybox/pause tarballs are kept (default /var/cache/k8ts/images)
  --network vxlan|none             run the pod network agent (flannel-style VXLAN between nodes; default none)
  --cluster-cidr CIDR              the pod network, for the network agent and kube-proxy (default 10.244.0.0/16)
  --proxy-mode iptables|nftables|none
                                   run kube-proxy in this process (default none)
  --pod-manifest-path DIR          run the static pods of the manifests in DIR (YAML or JSON), following changes, with
                                   a mirror pod in the API server for each
  --image-gc-high-threshold N      containerd runtime: image filesystem usage percent that starts image garbage
                                   collection (default 85; 100 disables it)
  --image-gc-low-threshold N       usage percent image garbage collection frees down to (default 80)
  --image-maximum-gc-age DUR       remove images unused for longer than this whatever the usage (default 0: never)
  --image-minimum-gc-age DUR       never remove images first seen less than this ago (default 2m)
  --insecure-registry HOST:PORT[,HOST:PORT]
                                   containerd runtime started here: pull from these registries over plain HTTP
                                   (hosts.toml under DIR/certs.d of --containerd-root)
${NODE_FLAGS_USAGE}`;

function firstIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return "127.0.0.1";
}

export const agentCommand: Command = async (args) => {
  let flags: AgentFlags;
  try {
    flags = parseFlags<AgentFlags>(args, {
      names: { ...NODE_FLAG_NAMES, "--runtime": ["runtime", "string"], "--node-name": ["nodeName", "string"], "--node-ip": ["nodeIp", "string"], "--serve": ["serve", "string"],
        "--containerd-address": ["containerdAddress", "string"],
        "--containerd-root": ["containerdRoot", "string"],
        "--netns": ["netns", "string"],
        "--pod-cidr": ["podCidr", "string"],
        "--image-cache": ["imageCache", "string"],
        "--network": ["network", "string"],
        "--cluster-cidr": ["clusterCidr", "string"],
        "--proxy-mode": ["proxyMode", "string"],
        "--pod-manifest-path": ["podManifestPath", "string"],
        "--image-gc-high-threshold": ["imageGcHighThreshold", "int"],
        "--image-gc-low-threshold": ["imageGcLowThreshold", "int"],
        "--image-maximum-gc-age": ["imageMaximumGcAge", "string"],
        "--image-minimum-gc-age": ["imageMinimumGcAge", "string"],
        "--insecure-registry": ["insecureRegistry", "string"],
      },
    });
  } catch (err) {
    process.stderr.write(`k8ts agent: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runtimeKind = flags.runtime ?? "containerd";
  if (runtimeKind === "containerd" && !flags.containerdAddress === !flags.containerdRoot) {
    process.stderr.write(`k8ts agent: --runtime containerd needs exactly one of --containerd-address SOCK or --containerd-root DIR\n\n${USAGE}`);
    return 2;
  }
  if (runtimeKind !== "simulated" && runtimeKind !== "containerd") {
    process.stderr.write(`k8ts agent: unknown --runtime ${JSON.stringify(runtimeKind)} (want simulated or containerd)\n`);
    return 2;
  }
  if (flags.network && flags.network !== "vxlan" && flags.network !== "none") {
    process.stderr.write(`k8ts agent: unknown --network ${JSON.stringify(flags.network)} (want vxlan or none)\n`);
    return 2;
  }
  if (flags.proxyMode && !["iptables", "nftables", "none"].includes(flags.proxyMode)) {
    process.stderr.write(`k8ts agent: unknown --proxy-mode ${JSON.stringify(flags.proxyMode)} (want iptables, nftables or none)\n`);
    return 2;
  }
  let gcPolicy: ImageGCPolicy;
  try {
    gcPolicy = {
      highThresholdPercent: flags.imageGcHighThreshold,
      lowThresholdPercent: flags.imageGcLowThreshold,
      maxAgeMs: flags.imageMaximumGcAge !== undefined ? parseDuration(flags.imageMaximumGcAge) : undefined,
      minAgeMs: flags.imageMinimumGcAge !== undefined ? parseDuration(flags.imageMinimumGcAge) : undefined,
    };
  } catch (err) {
    process.stderr.write(`k8ts agent: ${(err as Error).message}\n`);
    return 2;
  }
  const insecureRegistries = flags.insecureRegistry ? flags.insecureRegistry.split(",").filter(Boolean) : [];
  try {
    insecureRegistries.forEach(checkRegistryAddress);
  } catch (err) {
    process.stderr.write(`k8ts agent: --insecure-registry: ${(err as Error).message}\n`);
    return 2;
  }
  const badPolicy = validateImageGCPolicy(gcPolicy);
  if (badPolicy) {
    process.stderr.write(`k8ts agent: ${badPolicy}\n`);
    return 2;
  }
  const nodeName = flags.nodeName ?? hostname().toLowerCase();
  const log = createLogger({ fields: { component: "agent", node: nodeName } });
  let client: Client;
  try {
    client = clientFrom(flags, `k8ts-agent/${nodeName}`);
  } catch (err) {
    log.error("cannot build an API client", { err });
    return 1;
  }
  let serveAt: { host: string; port: number } | undefined;
  if (flags.serve) {
    const m = /^(.*):(\d+)$/.exec(flags.serve);
    if (!m || Number(m[2]) > 65535) {
      process.stderr.write(`k8ts agent: invalid --serve ${JSON.stringify(flags.serve)}: want HOST:PORT\n`);
      return 2;
    }
    serveAt = { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  }
  let runtime: ContainerRuntime;
  let nodeRuntime: NodeRuntime | undefined;
  if (runtimeKind === "containerd") {
    try {
      nodeRuntime = await startNodeRuntime({
        address: flags.containerdAddress,
        root: flags.containerdRoot,
        netns: flags.netns,
        // With the pod network agent the subnet comes from the Node's spec.podCIDR (node IPAM): no CNI config until
        // then, so the node stays NotReady (network not ready) and no pod gets an address from a subnet not its own.
        podCIDR: flags.podCidr ?? (flags.network === "vxlan" ? undefined : "10.244.0.0/24"),
        imageCache: flags.imageCache,
        insecureRegistries,
        log,
      });
    } catch (err) {
      log.error("cannot start the containerd runtime", { err });
      client.close();
      return 1;
    }
    runtime = nodeRuntime.runtime;
  } else runtime = new SimulatedRuntime();
  // Static pods: the manifest directory beside the API's pods (the source runs the pod informer too).
  const staticPods = flags.podManifestPath
    ? new StaticPodSource({ client, nodeName, dir: resolve(flags.podManifestPath), log, onMirrorCreated: (uid) => kubelet.resendStatus(uid) })
    : undefined;
  const kubelet: Kubelet = new Kubelet({
    client,
    nodeName,
    runtime,
    prober: nodeRuntime ? new CriProber({ runtime, netns: flags.netns }) : new SimulatedProber(realClock),
    node: {
      address: flags.nodeIp ?? firstIPv4(),
      capacity: capacityFrom(flags),
      labels: flags.labels,
      instanceType: flags.instanceType,
      kernelVersion: release(),
      osImage: runtimeKind === "simulated" ? "k8ts hollow node" : "k8ts node",
      ...(serveAt && serveAt.port !== 0 ? { kubeletPort: serveAt.port } : {}),
    },
    log,
    ...(staticPods ? { podSource: staticPods } : {}),
    // Pod volumes: beside containerd's state when the agent runs its own, else under a per-node directory.
    ...(nodeRuntime ? { rootDir: flags.containerdRoot ?? join("/var/lib/k8ts/agents", nodeName) } : {}),
  });
  log.info("agent starting", { runtime: runtimeKind, server: client.server });
  const imageGC = nodeRuntime ? new ImageGC({ ...gcPolicy, runtime: nodeRuntime.runtime, imageFs: criImageFs(nodeRuntime.runtime.client), log }) : undefined;
  const streaming = streamingHandlerFor(runtime, { netns: flags.netns, pods: () => kubelet.pods(), log });
  const endpoints = serveAt ? await startKubeletServer(kubelet, { ...serveAt, streaming }) : undefined;
  if (endpoints) log.info("serving node endpoints", { url: endpoints.url });
  // The pod network agent and kube-proxy program the namespace containerd's pods live in.
  const network =
    flags.network === "vxlan"
      ? new NetworkAgent({ client, nodeName, publicIP: flags.nodeIp ?? firstIPv4(), netns: flags.netns, clusterCIDR: flags.clusterCidr, log })
      : undefined;
  let proxier: Proxier | undefined;
  if (flags.proxyMode === "iptables" || flags.proxyMode === "nftables") {
    const runner = execRunner({ netns: flags.netns });
    const backend = createBackend(flags.proxyMode, { runner, clusterCIDR: flags.clusterCidr ?? "10.244.0.0/16" });
    proxier = new Proxier({ client, nodeName, backend, runner, log: log.with({ component: "kube-proxy" }) });
  }
  await untilSignal(log, (signal) => Promise.all([kubelet.run(signal), staticPods?.run(signal), imageGC?.run(signal), network?.run(signal), proxier?.run(signal)]).then(() => undefined));
  await endpoints?.close();
  await nodeRuntime?.close();
  client.close();
  return 0;
};

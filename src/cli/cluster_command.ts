// `k8ts cluster up|down|list|status|add-node|remove-node`: local multi-node clusters on this machine (see
// docs/cluster.md). The processes it starts run this same k8ts (the node binary and script running now).
import type { Command } from "./main.js";
import { LocalClusters } from "../cluster/cluster.js";
import { clusterRegistryStatus } from "../cluster/image_registry.js";
import { DEFAULT_CLUSTER_NAME, DEFAULT_CLUSTERS_ROOT, StateStore } from "../cluster/state_store.js";
import type { RuntimeKind } from "../cluster/types.js";
import { parseFlags } from "./agent_command.js";

const USAGE = `usage: k8ts cluster <command> [flags]

commands:
  up            create the cluster, or start again whatever of it is not running; returns when every node is
                Ready and cluster DNS answers
  down          remove every namespace, link, process, mount, cgroup and file of the cluster
  list          the clusters on this machine
  status        the cluster's server, DNS, image registry and nodes
  add-node      add one node
  remove-node   remove a node (--node NAME, default the newest)

flags:
  --name N                  cluster name (default ${DEFAULT_CLUSTER_NAME}); its context is k8ts-N
  --nodes N                 up: number of nodes (default 3)
  --runtime R               up: containerd (default) or simulated (hollow nodes)
  --datastore URL           up: sqlite:///path or etcd://host:port (default SQLite in the cluster directory)
  --node NAME               remove-node: which node
  --no-merge-kubeconfig     up: do not merge the context into ~/.kube/config
  --root DIR                where clusters are kept (default ${DEFAULT_CLUSTERS_ROOT})

environment:
  K8TS_COMMAND              JSON argv that runs k8ts, when it is not this node and script (wrappers, tsx)
`;

interface ClusterFlags {
  name?: string;
  nodes?: number;
  runtime?: string;
  datastore?: string;
  node?: string;
  root?: string;
  help?: boolean;
}

/** How to run this k8ts again: $K8TS_COMMAND (a JSON argv, for wrappers) or this node with this script. */
function selfCommand(): string[] {
  const env = process.env.K8TS_COMMAND;
  if (env) return JSON.parse(env) as string[];
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

export const clusterCommand: Command = async (args) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "-h" || sub === "--help") {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  const noMerge = rest.includes("--no-merge-kubeconfig");
  let flags: ClusterFlags;
  try {
    flags = parseFlags<ClusterFlags>(
      rest.filter((a) => a !== "--no-merge-kubeconfig"),
      { names: { "--name": ["name", "string"], "--nodes": ["nodes", "int"], "--runtime": ["runtime", "string"], "--datastore": ["datastore", "string"], "--node": ["node", "string"], "--root": ["root", "string"] } },
    );
    if (flags.runtime && flags.runtime !== "containerd" && flags.runtime !== "simulated") throw new Error(`invalid --runtime ${JSON.stringify(flags.runtime)}: want containerd or simulated`);
    if (flags.nodes !== undefined && (flags.nodes < 1 || flags.nodes > 200)) throw new Error(`invalid --nodes ${flags.nodes}: want 1 to 200`);
  } catch (err) {
    process.stderr.write(`k8ts cluster: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const clusters = new LocalClusters({
    store: new StateStore(flags.root ?? DEFAULT_CLUSTERS_ROOT),
    k8ts: selfCommand(),
    progress: (line) => process.stdout.write(`${line}\n`),
    mergeKubeconfig: noMerge ? null : undefined,
  });
  const name = flags.name ?? DEFAULT_CLUSTER_NAME;
  try {
    switch (sub) {
      case "up":
        await clusters.up({ name, nodes: flags.nodes, runtime: flags.runtime as RuntimeKind | undefined, datastore: flags.datastore });
        return 0;
      case "down":
        await clusters.down(name);
        return 0;
      case "list": {
        const rows = clusters.list().map((r) => `${r.name.padEnd(20)} ${r.runtime.padEnd(11)} ${String(r.nodes.length).padEnd(6)} http://${r.hostIP}:${r.serverPort}`);
        process.stdout.write(`${"NAME".padEnd(20)} ${"RUNTIME".padEnd(11)} ${"NODES".padEnd(6)} SERVER\n${rows.join("\n")}${rows.length ? "\n" : ""}`);
        return 0;
      }
      case "status": {
        const s = await clusters.status(name);
        const rec = clusters.store.read(name);
        const reg = rec?.runtime === "containerd" ? clusterRegistryStatus(rec, clusters.store) : undefined;
        const lines = [
          `cluster ${s.name} (${s.runtime})`,
          `server      ${s.server.url} ${s.server.running ? "running" : "stopped"}`,
          `dns         ${s.dns.address} ${s.dns.running ? "running" : "stopped"}`,
          ...(reg ? [`registry    ${reg.address} ${reg.running ? "running" : "stopped"} (push: k8ts image push SOURCE ${reg.address}/NAME:TAG)`] : []),
          `kubeconfig  ${s.kubeconfig}`,
          `${"NODE".padEnd(10)} ${"IP".padEnd(16)} ${"AGENT".padEnd(8)} ${"READY".padEnd(6)} POD-CIDR`,
          ...s.nodes.map((n) => `${n.name.padEnd(10)} ${n.ip.padEnd(16)} ${(n.agentRunning ? "running" : "stopped").padEnd(8)} ${String(n.ready ?? "?").padEnd(6)} ${n.podCIDR ?? ""}`),
        ];
        process.stdout.write(lines.join("\n") + "\n");
        return s.server.running && s.nodes.every((n) => n.agentRunning) ? 0 : 1;
      }
      case "add-node":
        await clusters.addNode(name);
        return 0;
      case "remove-node":
        await clusters.removeNode(name, flags.node);
        return 0;
      default:
        process.stderr.write(`k8ts cluster: unknown command ${JSON.stringify(sub)}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`k8ts cluster ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
};

// Registers every subcommand beyond `version`. Each entry loads its module lazily so `k8ts version` stays fast.
import { registerCommand } from "./main.js";

registerCommand("server", "run the API server (SQLite or etcd datastore) and write an admin kubeconfig", async () => (await import("./server_command.js")).serverCommand);
registerCommand("agent", "run a node agent (kubelet); --runtime simulated runs a hollow node", async () => (await import("./agent_command.js")).agentCommand);
registerCommand("sim", "run many hollow nodes in one process (--nodes N) for scale work", async () => (await import("./sim_command.js")).simCommand);
registerCommand("image", "build the busybox and pause images locally (build) or import an image tarball into a node's containerd (load)", async () => (await import("./image_command.js")).imageCommand);
registerCommand("controller-manager", "run the controllers (deployments, replicasets, replication controllers, garbage collector, namespaces) under leader election", async () => (await import("./controller_manager_command.js")).controllerManagerCommand);
registerCommand("scheduler", "run the scheduler (assigns pending pods to nodes; profiles from --config) under leader election", async () => (await import("./scheduler_command.js")).schedulerCommand);
registerCommand("dns", "run cluster DNS (<svc>.<ns>.svc.<domain> A/SRV/PTR from Services and EndpointSlices; other names forwarded to --upstream)", async () => (await import("./dns_command.js")).dnsCommand);
registerCommand("proxy", "run kube-proxy for one node (--mode iptables|nftables, --node-name, optionally --netns): Services and EndpointSlices to packet rules", async () => (await import("./proxy_command.js")).proxyCommand);
registerCommand("cluster", "local multi-node clusters on this machine: up, down, list, status, add-node, remove-node (each node a network namespace with its own agent and containerd)", async () => (await import("./cluster_command.js")).clusterCommand);
registerCommand("registry", "the local image registry of a cluster (status, up, down) or one in the foreground (serve); push with k8ts image push", async () => (await import("./registry_command.js")).registryCommand);

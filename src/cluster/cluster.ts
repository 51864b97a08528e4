// Local multi-node clusters on one machine (`k8ts cluster up|down|list|status|add-node|remove-node`): the server in
// the host namespace on an underlay bridge, each node a network namespace with its own agent (and containerd), and
// cluster DNS as pods of the coredns Deployment (containerd) or a host process (simulated nodes run no containers). `up` is idempotent: on an existing cluster it starts whatever is not running, so after every process
// was killed the same command brings the cluster back with its objects (the datastore lives in the cluster
// directory). Every step is recorded before it is taken, so `down` undoes a crashed or half-finished `up`.
import { homedir } from "node:os";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { isNotFound } from "../machinery/errors.js";
import { BASE_IMAGES, DEFAULT_IMAGE_CACHE, buildImage } from "../kubelet/images/base_images.js";
import { CLUSTER_DNS_IP, DNS_DEPLOYMENT, describeDnsPods, deployDnsPods, deployDnsService, deployHostDns, dnsAnswers, dnsAnswersInNetns, dnsReadyPods } from "./addons.js";
import { deleteLink, ensureBridge, freeSubnetIndex, linkExists, netnsExists, vxlanRoutes, withUnderlayLock } from "./host_net.js";
import { mergeKubeconfig, unmergeKubeconfig, writeKubeconfig } from "./kubeconfig.js";
import { destroyNode, KUBELET_PORT, nodeDirs, planNode, serverUrl, startNode } from "./node_ops.js";
import { freeDualPort, freePort } from "./ports.js";
import { clusterPids, isClusterProcess, spawnDetached, stopProcesses } from "./processes.js";
import { httpOk, networkConverged, nodeUp, nodeViews, waitFor } from "./readiness.js";
import { DEFAULT_CLUSTER_NAME, StateStore, validateClusterName } from "./state_store.js";
import type { ClusterRecord, NodeRecord, Progress, RuntimeKind } from "./types.js";

export interface LocalClustersOptions {
  store?: StateStore;
  /** argv that runs the k8ts command (e.g. [node, /usr/lib/k8ts/bin/k8ts.js]). */
  k8ts: string[];
  cwd?: string;
  progress?: Progress;
  /** Kubeconfig to merge the context into (default ~/.kube/config); null: do not merge. */
  mergeKubeconfig?: string | null;
  /** Bound on waiting for the server, each node and DNS (default 3 minutes: a cold containerd builds images). */
  timeoutMs?: number;
}

export interface UpOptions {
  name?: string;
  nodes?: number;
  runtime?: RuntimeKind;
  datastore?: string;
  /** Extra `k8ts server` flags (kept in the record, so a restart uses them too). */
  serverArgs?: string[];
}

export interface ClusterStatus {
  name: string;
  runtime: RuntimeKind;
  server: { url: string; running: boolean };
  dns: { address: string; running: boolean };
  nodes: Array<{ name: string; ip: string; netns: string; agentRunning: boolean; ready?: boolean; podCIDR?: string }>;
  kubeconfig: string;
}

export class LocalClusters {
  readonly store: StateStore;
  private readonly progress: Progress;
  private readonly timeoutMs: number;

  constructor(private readonly opts: LocalClustersOptions) {
    this.store = opts.store ?? new StateStore();
    this.progress = opts.progress ?? (() => {});
    this.timeoutMs = opts.timeoutMs ?? 180_000;
  }

  list(): ClusterRecord[] {
    return this.store.list();
  }

  private must(name: string): ClusterRecord {
    const rec = this.store.read(name);
    if (!rec) throw new Error(`no cluster named ${JSON.stringify(name)} (see k8ts cluster list)`);
    return rec;
  }

  private client(rec: ClusterRecord): Client {
    return createClient({ server: serverUrl(rec), userAgent: "k8ts-cluster" });
  }

  async up(opts: UpOptions = {}): Promise<ClusterRecord> {
    const name = opts.name ?? DEFAULT_CLUSTER_NAME;
    validateClusterName(name);
    let rec = this.store.read(name);
    if (rec && opts.runtime && opts.runtime !== rec.runtime) throw new Error(`cluster ${name} exists with --runtime ${rec.runtime}; run k8ts cluster down --name ${name} first to change it`);
    if (!rec) {
      const fresh = await withUnderlayLock(async () => {
        const c = await freeSubnetIndex(this.store.list().map((r) => r.subnetIndex));
        const bridge = `k8ts-${name}`.length <= 15 ? `k8ts-${name}` : `k8ts-br${c}`;
        // The bridge with its address claims the subnet for every later look, before the lock is let go.
        await ensureBridge(bridge, `10.100.${c}.1`);
        return { c, bridge };
      });
      const c = fresh.c;
      rec = {
        name,
        subnetIndex: c,
        bridge: fresh.bridge,
        hostIP: `10.100.${c}.1`,
        runtime: opts.runtime ?? "containerd",
        datastore: opts.datastore,
        ...(opts.serverArgs?.length ? { serverArgs: opts.serverArgs } : {}),
        serverPort: 0,
        dnsPort: 0,
        nodes: [],
        createdAt: new Date().toISOString(),
      };
      this.progress(`creating cluster ${name} (${rec.runtime} runtime, underlay 10.100.${c}.0/24)`);
    } else this.progress(`starting cluster ${name} again (${rec.nodes.length} nodes)`);
    const want = Math.max(opts.nodes ?? (rec.nodes.length || 3), rec.nodes.length);
    while (rec.nodes.length < want) rec.nodes.push(planNode(rec, nextIndex(rec)));
    await this.store.write(rec);
    await ensureBridge(rec.bridge, rec.hostIP);
    const client = await this.startServer(rec);
    try {
      await this.startDns(rec, client);
      if (rec.runtime === "containerd") {
        this.progress("building base images (busybox, pause) if not cached");
        for (const kind of BASE_IMAGES) await buildImage(kind, { outDir: DEFAULT_IMAGE_CACHE });
      }
      for (const node of rec.nodes) {
        this.progress(`starting ${node.name} (netns ${node.netns}, ${node.ip})`);
        await startNode(rec, node, this.launch());
        await this.store.write(rec);
      }
      await this.writeKubeconfigs(rec);
      const ready = rec.nodes.map((n) => this.waitNode(rec!, n, client));
      const allReady = Promise.all(ready);
      // The DNS pods as soon as a node can run them: created before any node is Ready they would sit in the
      // scheduler's backoff for seconds after the nodes come.
      if (rec.runtime === "containerd") {
        await Promise.race([allReady, ...ready.map((p) => p.catch(() => undefined))]);
        this.progress(`deploying cluster DNS pods (Deployment kube-system/${DNS_DEPLOYMENT})`);
        await deployDnsPods(client, { k8ts: this.opts.k8ts, server: serverUrl(rec), replicas: Math.min(2, rec.nodes.length) });
      }
      await allReady;
      await this.waitNetwork(rec, client);
      await this.waitDns(rec, client);
      this.progress(`cluster ${name} is up: ${rec.nodes.length} nodes Ready, DNS answering; kubectl --context k8ts-${name} (or --kubeconfig ${this.store.kubeconfigPath(name)})`);
      return rec;
    } finally {
      client.close();
    }
  }

  private launch() {
    return { store: this.store, k8ts: this.opts.k8ts, cwd: this.opts.cwd };
  }

  private async startServer(rec: ClusterRecord): Promise<Client> {
    const dir = this.store.dir(rec.name);
    if (!isClusterProcess(rec.serverPid, dir)) {
      if (!rec.serverPort) rec.serverPort = await freePort(rec.hostIP);
      const argv = [...this.opts.k8ts, "server", "--data-dir", this.store.serverDir(rec.name), "--bind-address", rec.hostIP, "--port", String(rec.serverPort), "--local-path-dir", join(dir, "local-path"), ...(rec.datastore ? ["--datastore", rec.datastore] : []), ...(rec.serverArgs ?? [])];
      this.progress(`starting the API server on ${serverUrl(rec)}`);
      rec.serverPid = spawnDetached({ argv, logFile: join(dir, "server.log"), clusterDir: dir, cwd: this.opts.cwd });
      await this.store.write(rec);
    }
    const pid = rec.serverPid;
    await waitFor("the API server", () => httpOk(`${serverUrl(rec)}/readyz`), this.timeoutMs, () => (isClusterProcess(pid, dir) ? undefined : `it exited (see ${join(dir, "server.log")})`));
    return this.client(rec);
  }

  /** Cluster DNS: the coredns Deployment on containerd clusters, else a host process behind hand-written endpoints. */
  private async startDns(rec: ClusterRecord, client: Client): Promise<void> {
    const dir = this.store.dir(rec.name);
    const pods = rec.runtime === "containerd";
    if (pods && rec.dnsPid) {
      // A cluster that ran DNS as a host process before: the pods take over.
      await stopProcesses([rec.dnsPid], dir);
      rec.dnsPid = undefined;
      await this.store.write(rec);
    }
    if (!pods && !isClusterProcess(rec.dnsPid, dir)) {
      if (!rec.dnsPort) rec.dnsPort = await freeDualPort(rec.hostIP);
      this.progress(`starting cluster DNS on ${rec.hostIP}:${rec.dnsPort} (Service kube-system/kube-dns ${CLUSTER_DNS_IP})`);
      const argv = [...this.opts.k8ts, "dns", "--server", serverUrl(rec), "--listen", `${rec.hostIP}:${rec.dnsPort}`];
      rec.dnsPid = spawnDetached({ argv, logFile: join(dir, "dns.log"), clusterDir: dir, cwd: this.opts.cwd });
      await this.store.write(rec);
    }
    if (pods) this.progress(`cluster DNS: Service kube-system/kube-dns ${CLUSTER_DNS_IP} (its pods follow once the nodes are Ready)`);
    let last = "";
    await waitFor("the kube-dns Service", async () => {
      try {
        if (pods) await deployDnsService(client);
        else await deployHostDns(client, { hostIP: rec.hostIP, port: rec.dnsPort });
        return true;
      } catch (err) {
        last = (err as Error).message;
        return false;
      }
    }, this.timeoutMs, () => (last.includes("Invalid") ? last : undefined));
  }

  /** Until DNS answers: on containerd clusters asked at the Service's ClusterIP from inside the first node's namespace. */
  private async waitDns(rec: ClusterRecord, client: Client): Promise<void> {
    if (rec.runtime !== "containerd") return waitFor("cluster DNS to answer", () => dnsAnswers(rec.hostIP, rec.dnsPort), this.timeoutMs);
    const netns = rec.nodes[0]!.netns;
    try {
      await waitFor(`cluster DNS to answer at ${CLUSTER_DNS_IP} (pods of kube-system/${DNS_DEPLOYMENT})`, () => dnsAnswersInNetns(netns), this.timeoutMs);
    } catch (err) {
      const pods = await describeDnsPods(client).catch(() => "");
      throw new Error(`${(err as Error).message}${pods ? `: ${pods} (kubectl -n kube-system logs deploy/${DNS_DEPLOYMENT})` : ""}`);
    }
  }

  private async writeKubeconfigs(rec: ClusterRecord): Promise<void> {
    await writeKubeconfig(this.store.kubeconfigPath(rec.name), rec.name, serverUrl(rec));
    const merge = this.opts.mergeKubeconfig === undefined ? join(homedir(), ".kube", "config") : this.opts.mergeKubeconfig;
    if (merge) {
      await mergeKubeconfig(merge, rec.name, serverUrl(rec));
      rec.mergedKubeconfig = merge;
      await this.store.write(rec);
    }
  }

  private async waitNode(rec: ClusterRecord, node: NodeRecord, client: Client): Promise<void> {
    const dir = this.store.dir(rec.name);
    await waitFor(`${node.name} to be Ready`, () => nodeUp(client, node, KUBELET_PORT), this.timeoutMs, () =>
      isClusterProcess(node.agentPid, dir) ? undefined : `its agent exited (see ${join(this.store.nodeDir(rec.name, node.name), "agent.log")})`,
    );
    this.progress(`${node.name} is Ready`);
  }

  private async waitNetwork(rec: ClusterRecord, client: Client): Promise<void> {
    await waitFor("every node to route every other node's pods", () => networkConverged(client, rec.nodes, vxlanRoutes), this.timeoutMs);
    this.progress("pod network converged");
  }

  async addNode(name: string): Promise<NodeRecord> {
    const rec = this.must(name);
    const node = planNode(rec, nextIndex(rec));
    rec.nodes.push(node);
    await this.store.write(rec);
    this.progress(`adding ${node.name} (netns ${node.netns}, ${node.ip})`);
    await startNode(rec, node, this.launch());
    await this.store.write(rec);
    const client = this.client(rec);
    try {
      await this.waitNode(rec, node, client);
      await this.waitNetwork(rec, client);
    } finally {
      client.close();
    }
    return node;
  }

  /** Removes a node (default the newest): its processes, containers and namespace, then its Node object. */
  async removeNode(name: string, nodeName?: string): Promise<void> {
    const rec = this.must(name);
    const node = nodeName ? rec.nodes.find((n) => n.name === nodeName) : rec.nodes[rec.nodes.length - 1];
    if (!node) throw new Error(`cluster ${name} has no node ${JSON.stringify(nodeName ?? "")}`);
    this.progress(`removing ${node.name}`);
    await destroyNode(rec, node, this.store);
    rec.nodes = rec.nodes.filter((n) => n !== node);
    await this.store.write(rec);
    const client = this.client(rec);
    try {
      await client.resource(resources.nodes).delete(undefined, node.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    } finally {
      client.close();
    }
    this.progress(`${node.name} removed`);
  }

  /**
   * Removes everything the cluster made, whether or not its processes still run. Each step runs even when an
   * earlier one failed; the failures are reported together at the end.
   */
  async down(name: string = DEFAULT_CLUSTER_NAME): Promise<void> {
    validateClusterName(name);
    const dir = this.store.dir(name);
    const rec = this.store.read(name);
    if (!rec && !existsSync(dir)) throw new Error(`no cluster named ${JSON.stringify(name)}`);
    const failures: string[] = [];
    const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    if (rec) {
      for (const node of [...rec.nodes].reverse()) {
        this.progress(`removing ${node.name}`);
        await step(`removing ${node.name}`, () => destroyNode(rec, node, this.store));
      }
      // Nodes a crashed add-node created without recording them fully.
      for (const extra of nodeDirs(this.store, name)) {
        if (rec.nodes.some((n) => n.name === extra)) continue;
        const i = Number(/^node-(\d+)$/.exec(extra)?.[1] ?? NaN);
        if (Number.isInteger(i)) await step(`removing ${extra}`, () => destroyNode(rec, planNode(rec, i), this.store));
      }
    }
    this.progress("stopping the API server and cluster DNS");
    await step("stopping processes", () => stopProcesses([rec?.serverPid ?? 0, rec?.dnsPid ?? 0, ...clusterPids(dir)], dir));
    if (rec) {
      await step(`deleting bridge ${rec.bridge}`, () => deleteLink(rec.bridge));
      if (rec.mergedKubeconfig) await step("updating the kubeconfig", () => unmergeKubeconfig(rec.mergedKubeconfig!, name));
    }
    if (failures.length) throw new Error(`cluster ${name} not fully removed (state kept in ${dir}; run down again): ${failures.join("; ")}`);
    await rm(dir, { recursive: true, force: true });
    this.progress(`cluster ${name} deleted`);
  }

  async status(name: string = DEFAULT_CLUSTER_NAME): Promise<ClusterStatus> {
    const rec = this.must(name);
    const dir = this.store.dir(name);
    const serverRunning = isClusterProcess(rec.serverPid, dir);
    let views: Awaited<ReturnType<typeof nodeViews>> | undefined;
    let dnsPodsReady = false;
    if (serverRunning) {
      const client = this.client(rec);
      views = await nodeViews(client).catch(() => undefined);
      if (rec.runtime === "containerd") dnsPodsReady = await dnsReadyPods(client).then((n) => n > 0, () => false);
      client.close();
    }
    return {
      name,
      runtime: rec.runtime,
      server: { url: serverUrl(rec), running: serverRunning },
      dns:
        rec.runtime === "containerd"
          ? { address: `${CLUSTER_DNS_IP}:53 (pods of kube-system/${DNS_DEPLOYMENT})`, running: dnsPodsReady }
          : { address: `${rec.hostIP}:${rec.dnsPort}`, running: isClusterProcess(rec.dnsPid, dir) },
      nodes: rec.nodes.map((n) => ({
        name: n.name,
        ip: n.ip,
        netns: n.netns,
        agentRunning: isClusterProcess(n.agentPid, dir) && netnsExists(n.netns),
        ready: views?.get(n.name)?.ready,
        podCIDR: views?.get(n.name)?.podCIDR,
      })),
      kubeconfig: this.store.kubeconfigPath(name),
    };
  }

  /** Whether the cluster's bridge exists (for tests and status). */
  bridgeExists(rec: ClusterRecord): Promise<boolean> {
    return linkExists(rec.bridge);
  }
}

/** The lowest node index not in use (a removed node's address is reused). */
function nextIndex(rec: ClusterRecord): number {
  const used = new Set(rec.nodes.map((n) => n.index));
  let i = 0;
  while (used.has(i)) i++;
  return i;
}

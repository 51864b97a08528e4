// Built-in add-ons of a local cluster: cluster DNS behind the kube-dns Service (10.96.0.10, port 53 UDP and TCP).
//
// containerd clusters run it as pods, the way kubeadm runs CoreDNS: the Deployment kube-system/coredns (pods labelled
// k8s-app=kube-dns) selected by the Service, so the endpoint controllers fill its Endpoints and EndpointSlice and
// kube-proxy on every node balances over the ready pods. There is no registry, and no image of the project: the
// container is the local busybox image running `k8ts dns` with this machine's node and this checkout of k8ts,
// bind-mounted read-only from the host (hostPath /usr, /lib, /lib64 and the project directory, at the same paths),
// so the pod runs exactly the code `cluster up` runs and nothing needs building. Its readiness probe is the DNS
// server's /ready (200 once its caches are filled).
//
// Simulated clusters run no real containers, so there DNS stays a host process (`k8ts dns` on the bridge address)
// and the Service has no selector: an Endpoints and an EndpointSlice written here point at that process.
import { execFile } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { KubeObject } from "../api/object.js";
import { isAlreadyExists, isNotFound } from "../machinery/errors.js";
import { query } from "../dns/client.js";
import { newQuery, RRType } from "../dns/message.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";

export const CLUSTER_DNS_IP = "10.96.0.10";
/** The cluster DNS Deployment (containerd clusters). */
export const DNS_DEPLOYMENT = "coredns";
/** The pods' HTTP port: /health, /ready and /metrics (CoreDNS's metrics port). */
export const DNS_HEALTH_PORT = 9153;
const MANAGED_BY = "k8ts-cluster";
const HOST_SLICE = "kube-dns-host";
const SERVICE_LABELS = { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "kubernetes.io/cluster-service": "true" };
const POD_LABELS = { "k8s-app": "kube-dns" };

/** The directory holding this k8ts (package.json, src/ or dist/, node_modules): src/cluster and dist/cluster are two deep. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

type Obj = KubeObject & Record<string, unknown>;

async function upsert(client: Client, ref: (typeof resources)[keyof typeof resources], obj: Obj): Promise<void> {
  const rc = client.resource<Obj>(ref);
  const ns = obj.metadata?.namespace;
  const name = obj.metadata!.name!;
  try {
    await rc.create(ns, obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const cur = await rc.get(ns, name);
    await rc.update(ns, { ...cur, ...obj, metadata: { ...cur.metadata, ...obj.metadata, resourceVersion: cur.metadata?.resourceVersion } });
  }
}

async function deleteIfPresent(client: Client, ref: (typeof resources)[keyof typeof resources], ns: string, name: string): Promise<void> {
  try {
    await client.resource(ref).delete(ns, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Creates the kube-dns Service or brings an existing one to this spec (selector and ports; the ClusterIP stays). */
async function ensureService(client: Client, spec: { selector?: Record<string, string>; ports: object[] }): Promise<void> {
  const svc = client.resource<Obj>(resources.services);
  let existing: Obj | undefined;
  try {
    existing = await svc.get("kube-system", "kube-dns");
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!existing) {
    await svc.create("kube-system", { apiVersion: "v1", kind: "Service", metadata: { name: "kube-dns", namespace: "kube-system", labels: SERVICE_LABELS }, spec: { clusterIP: CLUSTER_DNS_IP, ...spec } } as Obj);
    return;
  }
  const cur = { ...(existing.spec as Record<string, unknown>) };
  delete cur.selector;
  await svc.update("kube-system", { ...existing, spec: { ...cur, ...spec } } as Obj);
}

/** Simulated clusters: the Service without selector, pointing at the host-side `k8ts dns` through hand-written endpoints. */
export async function deployHostDns(client: Client, opts: { hostIP: string; port: number }): Promise<void> {
  const ports = [
    { name: "dns", port: opts.port, protocol: "UDP" },
    { name: "dns-tcp", port: opts.port, protocol: "TCP" },
  ];
  await ensureService(client, {
    ports: [
      { name: "dns", port: 53, protocol: "UDP", targetPort: opts.port },
      { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: opts.port },
    ],
  });
  await upsert(client, resources.endpoints, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kube-dns", namespace: "kube-system", labels: SERVICE_LABELS },
    subsets: [{ addresses: [{ ip: opts.hostIP }], ports }],
  } as Obj);
  await upsert(client, resources.endpointslices, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: HOST_SLICE, namespace: "kube-system", labels: { ...SERVICE_LABELS, "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": MANAGED_BY } },
    addressType: "IPv4",
    endpoints: [{ addresses: [opts.hostIP], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  } as Obj);
}

/**
 * Read-only host directories the DNS container needs to run `argv` from the host: node and its shared libraries
 * (/usr, and /lib, /lib64, which are links into /usr on merged-/usr systems), the project, and the directory of any
 * other absolute path in argv (a node outside /usr, a wrapper script). Nested paths are covered by their parent.
 */
export function hostCodeMounts(argv: string[], projectRoot = PROJECT_ROOT): string[] {
  const root = resolve(projectRoot);
  const want = ["/usr", "/lib", "/lib64", root];
  // Symbolic links resolve inside the container, so their targets are mounted too (a linked node_modules, a node
  // installed elsewhere and linked into PATH).
  const real = (p: string): string[] => {
    try {
      const r = realpathSync(p);
      return r === p ? [] : [r];
    } catch {
      return [];
    }
  };
  want.push(...real(root), ...real(join(root, "node_modules")));
  for (const a of argv) if (isAbsolute(a) && existsSync(a)) want.push(dirname(resolve(a)), ...real(a).map((r) => dirname(r)));
  const covered = (p: string, by: string): boolean => p === by || p.startsWith(`${by}/`);
  const out: string[] = [];
  for (const p of want.filter((p) => existsSync(p)).sort((a, b) => a.length - b.length)) if (!out.some((m) => covered(p, m))) out.push(p);
  return out;
}

export interface DnsPodsOptions {
  /** argv that runs k8ts on the host (the same the cluster's processes run). */
  k8ts: string[];
  /** API server URL as pods reach it (the bridge address: pods' traffic leaves the node masqueraded). */
  server: string;
  replicas?: number;
  projectRoot?: string;
}

/** The cluster DNS Deployment: busybox running the host's node and k8ts through read-only hostPath volumes. */
export function dnsDeployment(opts: DnsPodsOptions): Obj {
  const root = resolve(opts.projectRoot ?? PROJECT_ROOT);
  const mounts = hostCodeMounts(opts.k8ts, root);
  const volName = (p: string): string => `host${p.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 63).replace(/-+$/, "");
  const argv = [...opts.k8ts, "dns", "--server", opts.server, "--listen", "0.0.0.0:53", "--health", `0.0.0.0:${DNS_HEALTH_PORT}`];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: DNS_DEPLOYMENT, namespace: "kube-system", labels: POD_LABELS },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: POD_LABELS },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
      template: {
        metadata: { labels: POD_LABELS },
        spec: {
          priorityClassName: "system-cluster-critical",
          // Its own resolver is the node's, not itself.
          dnsPolicy: "Default",
          terminationGracePeriodSeconds: 5,
          tolerations: [
            { key: "CriticalAddonsOnly", operator: "Exists" },
            { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
          ],
          // Replicas on different nodes when there are several.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: POD_LABELS }, topologyKey: "kubernetes.io/hostname" } },
              ],
            },
          },
          containers: [
            {
              name: "coredns",
              image: IMAGE_TAGS.busybox,
              imagePullPolicy: "IfNotPresent",
              command: argv,
              workingDir: root,
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: DNS_HEALTH_PORT, protocol: "TCP" },
              ],
              readinessProbe: { httpGet: { path: "/ready", port: DNS_HEALTH_PORT }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/health", port: DNS_HEALTH_PORT }, initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 },
              resources: { requests: { cpu: "100m", memory: "70Mi" } },
              volumeMounts: mounts.map((p) => ({ name: volName(p), mountPath: p, readOnly: true })),
            },
          ],
          volumes: mounts.map((p) => ({ name: volName(p), hostPath: { path: p, type: "Directory" } })),
        },
      },
    },
  } as unknown as Obj;
}

/** containerd clusters: the kube-dns Service selecting the coredns pods (its endpoints come from the controllers). */
export async function deployDnsService(client: Client): Promise<void> {
  await ensureService(client, {
    selector: POD_LABELS,
    ports: [
      { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
      { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
      { name: "metrics", port: DNS_HEALTH_PORT, protocol: "TCP", targetPort: DNS_HEALTH_PORT },
    ],
  });
  // A cluster that ran DNS as a host process before: its hand-written slice would keep pointing there.
  await deleteIfPresent(client, resources.endpointslices, "kube-system", HOST_SLICE);
}

/** containerd clusters: creates the coredns Deployment, or brings an existing one to this spec. */
export async function deployDnsPods(client: Client, opts: DnsPodsOptions): Promise<void> {
  await upsert(client, resources.deployments, dnsDeployment(opts));
}

/** How many ready addresses the kube-dns Service has (its Endpoints, as the endpoints controller wrote them). */
export async function dnsReadyPods(client: Client): Promise<number> {
  const ep = await client.resource<Obj & { subsets?: Array<{ addresses?: unknown[] }> }>(resources.endpoints).get("kube-system", "kube-dns");
  return (ep.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}

/** True when the cluster DNS at host:port answers kubernetes.default with the API service's address. */
export async function dnsAnswers(host: string, port: number): Promise<boolean> {
  try {
    const res = await query({ host, port }, newQuery("kubernetes.default.svc.cluster.local", RRType.A), { timeoutMs: 1000, attempts: 1 });
    return res.answers.length > 0;
  } catch {
    return false;
  }
}

/**
 * The same question asked from inside a node's network namespace (where the Service's ClusterIP is routed and
 * kube-proxy's rules apply), with the host's busybox nslookup under nsenter. True when an address comes back.
 */
export function dnsAnswersInNetns(netns: string, server = CLUSTER_DNS_IP): Promise<boolean> {
  return new Promise((done) => {
    execFile(
      "nsenter",
      [`--net=/var/run/netns/${netns}`, "--", "busybox", "nslookup", "kubernetes.default.svc.cluster.local", server],
      { timeout: 3000, killSignal: "SIGKILL" },
      (err, stdout) => {
        if (err) return done(false);
        // "Name: kubernetes.default.svc.cluster.local" followed by "Address: 10.96.0.1".
        const answer = String(stdout).split(/\n\s*\n/).find((block) => /^Name:\s+kubernetes\.default/m.test(block));
        done(!!answer && /^Address:\s*\d+\.\d+\.\d+\.\d+\s*$/m.test(answer));
      },
    );
  });
}

/** One line per cluster DNS pod (node, phase, readiness, waiting reason, restarts), for a timed-out `up`. */
export async function describeDnsPods(client: Client): Promise<string> {
  type P = Obj & { spec?: { nodeName?: string }; status?: { phase?: string; containerStatuses?: Array<{ ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string } } }> } };
  const list = await client.resource<P>(resources.pods).list("kube-system", { labelSelector: "k8s-app=kube-dns" });
  if (list.items.length === 0) return `no pods of kube-system/${DNS_DEPLOYMENT}`;
  return list.items
    .map((p) => {
      const c = p.status?.containerStatuses?.[0];
      const bits = [p.status?.phase ?? "Pending", c?.ready ? "ready" : "not ready", c?.state?.waiting?.reason, c?.restartCount ? `${c.restartCount} restarts` : undefined].filter(Boolean);
      return `${p.metadata?.name} on ${p.spec?.nodeName ?? "no node"}: ${bits.join(", ")}`;
    })
    .join("; ");
}

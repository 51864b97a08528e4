// Built-in add-ons of a local cluster. Cluster DNS runs as a process on the host side of the underlay (`k8ts dns`
// listening on the bridge address); the kube-dns Service (10.96.0.10, port 53 UDP and TCP, no selector) points at
// it through an Endpoints and an EndpointSlice written here, so kube-proxy on every node sends pods' queries there.
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import type { KubeObject } from "../api/object.js";
import { isAlreadyExists, isNotFound } from "../machinery/errors.js";
import { query } from "../dns/client.js";
import { newQuery, RRType } from "../dns/message.js";

export const CLUSTER_DNS_IP = "10.96.0.10";
const MANAGED_BY = "k8ts-cluster";

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

export async function deployClusterDns(client: Client, opts: { hostIP: string; port: number }): Promise<void> {
  const labels = { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "kubernetes.io/cluster-service": "true" };
  const ports = [
    { name: "dns", port: opts.port, protocol: "UDP" },
    { name: "dns-tcp", port: opts.port, protocol: "TCP" },
  ];
  const svc = client.resource<Obj>(resources.services);
  let existing: Obj | undefined;
  try {
    existing = await svc.get("kube-system", "kube-dns");
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const spec = {
    clusterIP: CLUSTER_DNS_IP,
    ports: [
      { name: "dns", port: 53, protocol: "UDP", targetPort: opts.port },
      { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: opts.port },
    ],
  };
  if (!existing) await svc.create("kube-system", { apiVersion: "v1", kind: "Service", metadata: { name: "kube-dns", namespace: "kube-system", labels }, spec } as Obj);
  else await svc.update("kube-system", { ...existing, spec: { ...(existing.spec as object), ports: spec.ports } } as Obj);
  await upsert(client, resources.endpoints, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kube-dns", namespace: "kube-system", labels },
    subsets: [{ addresses: [{ ip: opts.hostIP }], ports }],
  } as Obj);
  await upsert(client, resources.endpointslices, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kube-dns-host", namespace: "kube-system", labels: { ...labels, "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": MANAGED_BY } },
    addressType: "IPv4",
    endpoints: [{ addresses: [opts.hostIP], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  } as Obj);
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

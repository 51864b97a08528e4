// The Endpoints and EndpointSlice controllers as `k8ts server` runs them (in its controller manager), seen through
// the API and the real kubectl 1.31. The test plays the kubelet: it reports pod IPs and readiness via pods/status.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { KubeObject } from "../../api/object.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer } from "../../daemons/server.js";
import { silentLogger } from "../../util/log.js";
import type { EndpointsObject } from "./endpoints_controller.js";
import type { PodObject, ServiceObject } from "./service_pods.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const noKubectl = !existsSync(KUBECTL);

type SliceObject = EndpointSlice & KubeObject;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ["--kubeconfig", kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function pod(name: string, labels: Record<string, string>, ports: Array<{ name: string; containerPort: number }> = []): PodObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { containers: [{ name: "app", image: "busybox", ports }] } };
}

/** What a kubelet reports for a running pod. */
async function report(client: Client, name: string, op: { ip: string; ready: boolean }): Promise<void> {
  await client.resource<PodObject>(resources.pods).patch(
    "default",
    name,
    "merge",
    { status: { phase: "Running", podIP: op.ip, podIPs: [{ ip: op.ip }], conditions: [{ type: "Ready", status: op.ready ? "True" : "False" }] } },
    { subresource: "status" },
  );
}

async function withServer(t: { after(fn: () => unknown): void }): Promise<{ client: Client; kubeconfig: string }> {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-endpoints-"));
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false });
  const client = createClient({ server: server.url });
  t.after(async () => {
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { client, kubeconfig: server.kubeconfigPath };
}

const ips = (ep: EndpointsObject | undefined, field: "addresses" | "notReadyAddresses"): string[] =>
  (ep?.subsets ?? []).flatMap((s) => (s[field] ?? []).map((a) => a.ip)).sort();

test("a service over three pods gets Endpoints and EndpointSlices that follow readiness and deletion", { skip: noKubectl && `${KUBECTL} is not installed` }, async (t) => {
  const { client, kubeconfig } = await withServer(t);
  const services = client.resource<ServiceObject>(resources.services);
  const pods = client.resource<PodObject>(resources.pods);
  const endpoints = client.resource<EndpointsObject>(resources.endpoints);
  const slices = client.resource<SliceObject>(resources.endpointslices);
  await services.create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } });
  for (let i = 1; i <= 3; i++) {
    await pods.create("default", pod(`web-${i}`, { app: "web" }));
    await report(client, `web-${i}`, { ip: `10.244.0.${10 + i}`, ready: true });
  }
  // A pod without an IP yet is not listed.
  await pods.create("default", pod("web-pending", { app: "web" }));
  const want = ["10.244.0.11", "10.244.0.12", "10.244.0.13"];

  const ep = await until("three ready addresses", async () => {
    const e = await endpoints.get("default", "web").catch(() => undefined);
    return ips(e, "addresses").join() === want.join() ? e : undefined;
  });
  assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.deepEqual(ep.subsets?.[0]?.addresses?.[0]?.targetRef?.kind, "Pod");
  const got = await kubectl(kubeconfig, ["get", "endpoints", "web", "--no-headers"]);
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^web\s+10\.244\.0\.11:8080,10\.244\.0\.12:8080,10\.244\.0\.13:8080\s/);

  const slice = await until("a slice with three ready endpoints", async () => {
    const list = await slices.list("default", { labelSelector: "kubernetes.io/service-name=web" });
    const s = list.items[0];
    return list.items.length === 1 && s?.endpoints?.filter((e) => e.conditions?.ready).length === 3 ? s : undefined;
  });
  assert.equal(slice.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"], "endpointslice-controller.k8s.io");
  assert.equal(slice.addressType, "IPv4");
  assert.deepEqual(slice.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.equal(slice.metadata?.ownerReferences?.[0]?.kind, "Service");
  const gotSlices = await kubectl(kubeconfig, ["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "--no-headers"]);
  assert.equal(gotSlices.code, 0, gotSlices.stderr);
  assert.match(gotSlices.stdout, /^web-\S+\s+IPv4\s+8080\s+10\.244\.0\.1[123],10\.244\.0\.1[123],10\.244\.0\.1[123]\s/);

  // Settled: the controllers write nothing more (a default the server adds would make them rewrite forever).
  const versions = async () => [(await endpoints.get("default", "web")).metadata?.resourceVersion, (await slices.list("default", { labelSelector: "kubernetes.io/service-name=web" })).items.map((s) => s.metadata?.resourceVersion).join()];
  const settled = await versions();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await versions(), settled);

  // Not ready: moves to notReadyAddresses, and its slice endpoint says ready=false.
  await report(client, "web-2", { ip: "10.244.0.12", ready: false });
  const moved = await until("web-2 not ready", async () => {
    const e = await endpoints.get("default", "web");
    return ips(e, "notReadyAddresses").join() === "10.244.0.12" ? e : undefined;
  });
  assert.deepEqual(ips(moved, "addresses"), ["10.244.0.11", "10.244.0.13"]);
  await until("slice shows web-2 not ready", async () => {
    const s = (await slices.list("default", { labelSelector: "kubernetes.io/service-name=web" })).items[0];
    const e = s?.endpoints?.find((x) => x.targetRef?.name === "web-2");
    return e && e.conditions?.ready === false && e.conditions?.serving === false ? true : undefined;
  });

  // Deleted: gone from both.
  await pods.delete("default", "web-3", { gracePeriodSeconds: 0 });
  await until("web-3 removed from the endpoints", async () => {
    const e = await endpoints.get("default", "web");
    return ips(e, "addresses").join() === "10.244.0.11" ? true : undefined;
  });
  await until("web-3 removed from the slice", async () => {
    const s = (await slices.list("default", { labelSelector: "kubernetes.io/service-name=web" })).items;
    return s.length === 1 && s[0]!.endpoints?.length === 2 && !s[0]!.endpoints.some((e) => e.targetRef?.name === "web-3") ? true : undefined;
  });

  // The service gone: its Endpoints and slices go too.
  await services.delete("default", "web", {});
  await until("endpoints and slices deleted", async () => {
    const e = await endpoints.get("default", "web").catch(() => undefined);
    const s = await slices.list("default", { labelSelector: "kubernetes.io/service-name=web" });
    return !e && s.items.length === 0 ? true : undefined;
  });
});

test("named target ports resolve to each pod's container port", async (t) => {
  const { client } = await withServer(t);
  const services = client.resource<ServiceObject>(resources.services);
  const pods = client.resource<PodObject>(resources.pods);
  const endpoints = client.resource<EndpointsObject>(resources.endpoints);
  const slices = client.resource<SliceObject>(resources.endpointslices);
  await services.create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "api" }, spec: { selector: { app: "api" }, ports: [{ port: 80, targetPort: "web" }] } });
  await pods.create("default", pod("api-old", { app: "api" }, [{ name: "web", containerPort: 8080 }]));
  await pods.create("default", pod("api-new", { app: "api" }, [{ name: "web", containerPort: 9090 }]));
  await report(client, "api-old", { ip: "10.244.1.2", ready: true });
  await report(client, "api-new", { ip: "10.244.1.3", ready: true });
  const ep = await until("two subsets", async () => {
    const e = await endpoints.get("default", "api").catch(() => undefined);
    return e?.subsets?.length === 2 ? e : undefined;
  });
  assert.deepEqual(
    ep.subsets!.map((s) => [s.ports?.[0]?.port, s.addresses?.map((a) => a.ip)]),
    [
      [8080, ["10.244.1.2"]],
      [9090, ["10.244.1.3"]],
    ],
  );
  const list = await until("two slices", async () => {
    const l = await slices.list("default", { labelSelector: "kubernetes.io/service-name=api" });
    return l.items.length === 2 && l.items.every((s) => s.endpoints?.length === 1) ? l : undefined;
  });
  assert.deepEqual(list.items.map((s) => s.ports?.[0]?.port).sort(), [8080, 9090]);
});

test("150 pods fill two slices of at most 100, with zones from their node, without duplicate slices", async (t) => {
  const { client } = await withServer(t);
  const services = client.resource<ServiceObject>(resources.services);
  const pods = client.resource<PodObject>(resources.pods);
  const slices = client.resource<SliceObject>(resources.endpointslices);
  await client.resource(resources.nodes).create(undefined, { apiVersion: "v1", kind: "Node", metadata: { name: "node-1", labels: { "topology.kubernetes.io/zone": "zone-a" } } });
  await services.create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "big" }, spec: { clusterIP: "None", selector: { app: "big" }, ports: [{ port: 80 }] } });
  const n = 150;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const p = pod(`big-${i}`, { app: "big" });
      p.spec = { ...p.spec!, nodeName: "node-1", hostname: `big-${i}`, subdomain: "big" };
      await pods.create("default", p);
      await report(client, `big-${i}`, { ip: `10.244.${2 + Math.floor(i / 200)}.${(i % 200) + 1}`, ready: true });
    }),
  );
  // A sync writes creates and updates before deletes (as Kubernetes' reconciler): the empty slice the service had
  // before its pods were ready may still be listed for a moment after the new slices exist.
  const list = await until("150 endpoints in slices, and no empty slice left", async () => {
    const l = await slices.list("default", { labelSelector: "kubernetes.io/service-name=big" });
    const total = l.items.reduce((k, s) => k + (s.endpoints?.length ?? 0), 0);
    return total === n && l.items.every((s) => (s.endpoints?.length ?? 0) > 0) ? l : undefined;
  });
  assert.deepEqual(list.items.map((s) => s.endpoints?.length ?? 0).sort((a, b) => b - a), [100, 50]);
  const e = list.items[0]!.endpoints![0]!;
  assert.equal(e.zone, "zone-a");
  assert.equal(e.nodeName, "node-1");
  assert.equal(e.hostname, e.targetRef?.name);
  assert.equal(list.items[0]!.metadata?.labels?.["service.kubernetes.io/headless"], "");
});

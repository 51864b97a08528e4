// The cluster network end to end on one 3-node `k8ts cluster up --runtime containerd` cluster, driven with the real
// kubectl: a Deployment behind a ClusterIP Service reached from pods on other nodes with traffic on every endpoint;
// NodePort and hostPort from the host namespace at the node addresses (externalTrafficPolicy Cluster and Local) and a
// hostNetwork pod; nslookup from a pod of a headless Service, a pod's hostname.subdomain and a PTR; Endpoints
// following a readiness probe both ways, with the ClusterIP following them; a node removed and one added. Checks
// run through `kubectl exec` in long-running busybox client pods, one per node.
// Needs root, containerd, runc, the CNI plugins and the image tools; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { vxlanRoutes } from "./host_net.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until, type PodObject } from "./e2e_support.js";

const skip = containerdSkipReason();

type Svc = KubeObject & { spec?: { clusterIP?: string; ports?: Array<{ nodePort?: number }> } };

/** busybox httpd on :8080 serving the pod's hostname (its name) at /. */
const SERVE_HOSTNAME = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www";

/** GET from the test process (the host namespace); the body, or undefined when refused, dropped or timed out. */
async function hostGet(url: string, ms = 3000): Promise<string | undefined> {
  const r = await hostTry(url, ms);
  return r.body;
}

/** GET from the host, telling a refused connection from one that got no answer (dropped). */
async function hostTry(url: string, ms: number): Promise<{ body?: string; failure?: "refused" | "timeout" | string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ms) });
    return res.ok ? { body: (await res.text()).trim() } : { failure: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError") return { failure: "timeout" };
    return { failure: e.cause?.code === "ECONNREFUSED" ? "refused" : String(e.cause?.code ?? e.message) };
  }
}

function counts(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) if (l) out[l] = (out[l] ?? 0) + 1;
  return out;
}

test("cluster network end to end: Deployment behind ClusterIP, NodePort/hostPort/hostNetwork from the host, DNS, readiness, node churn", { skip, timeout: 900_000 }, async (t) => {
  const tc = await startTestCluster(t, { prefix: "ne", nodes: 3 });
  const { client, ok, kubectl, rec } = tc;
  const pods = client.resource<PodObject>(resources.pods);
  const services = client.resource<Svc>(resources.services);
  const nodeIP = (n: number): string => `10.100.${rec.subnetIndex}.${n + 2}`;
  const dir = tc.clusters.store.dir(tc.name);

  /** Runs sh -c in a pod through kubectl exec; stdout. */
  const sh = (pod: string, command: string): Promise<string> => ok(["exec", pod, "--", "sh", "-c", command]);
  /** n GETs of url from a pod (each bounded to 3 s); the bodies. */
  const gets = async (pod: string, url: string, n: number): Promise<string[]> =>
    (await sh(pod, `for i in $(seq ${n}); do timeout 3 wget -qO- ${url} || echo FAILED; done`)).split("\n").map((l) => l.trim()).filter(Boolean);
  const running = (names: string[]): Promise<PodObject[]> =>
    until(`pods ${names.join(", ")} running`, async () => {
      const list = await Promise.all(names.map((n) => pods.get("default", n)));
      return list.every((p) => p.status?.phase === "Running" && p.status.podIP && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? list : undefined;
    });
  const serviceIPs = async (svc: string): Promise<string[]> => {
    const r = await kubectl(["get", "endpoints", svc, "-o", "jsonpath={.subsets[*].addresses[*].ip}"]);
    return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).sort() : [];
  };
  const sliceReady = async (svc: string): Promise<string[]> => {
    const r = await kubectl(["get", "endpointslices", "-l", `kubernetes.io/service-name=${svc}`, "-o", "json"]);
    if (r.code !== 0) return [];
    const list = JSON.parse(r.stdout) as { items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }> };
    return list.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses).sort();
  };

  const podCidrs = async (): Promise<Map<string, string>> =>
    new Map((await client.resource<KubeObject & { spec?: { podCIDR?: string } }>(resources.nodes).list(undefined)).items.map((n) => [n.metadata!.name!, n.spec?.podCIDR ?? ""]));

  // Everything that needs a pod is created at once, so the pods start side by side.
  const manifest = join(dir, "web.yaml");
  writeFileSync(manifest, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: httpd
        image: ${IMAGE_TAGS.busybox}
        imagePullPolicy: IfNotPresent
        command: [sh, -c, "${SERVE_HOSTNAME}"]
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 8080}]
`);
  await ok(["apply", "-f", manifest]);
  const created: Array<Promise<unknown>> = [];
  for (const i of [0, 1, 2]) created.push(pods.create("default", busyboxPod(`client-${i}`, "exec sleep 100000", { node: `node-${i}` })));
  // The NodePort backend: one pod, on node-0 only.
  created.push(pods.create("default", busyboxPod("np", SERVE_HOSTNAME, { node: "node-0", labels: { app: "np" } })));
  // hostname + subdomain, with the headless Service named like the subdomain.
  const named = busyboxPod("named", "exec sleep 100000", { node: "node-1", labels: { app: "named" } });
  named.spec!.hostname = "myhost";
  named.spec!.subdomain = "sub";
  created.push(pods.create("default", named));
  // Readiness: ready while /tmp/ready exists (checked every second).
  for (const i of [0, 1]) {
    const p = busyboxPod(`rd-${i}`, `touch /tmp/ready && ${SERVE_HOSTNAME}`, { node: `node-${i}`, labels: { app: "rd" } });
    p.spec!.containers[0]!.readinessProbe = { exec: { command: ["test", "-f", "/tmp/ready"] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 };
    created.push(pods.create("default", p));
  }
  // hostPort through portmap, and a hostNetwork pod, both on node-1.
  const hp = busyboxPod("hostport", SERVE_HOSTNAME, { node: "node-1" });
  hp.spec!.containers[0]!.ports = [{ containerPort: 8080, hostPort: 18080 }];
  created.push(pods.create("default", hp));
  const hn = busyboxPod("hostnet", "mkdir -p /www && echo hostnet-pod > /www/index.html && exec httpd -f -p 18081 -h /www", { node: "node-2" });
  hn.spec!.hostNetwork = true;
  created.push(pods.create("default", hn));
  const svc = (name: string, spec: Record<string, unknown>): Svc => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec } as Svc);
  created.push(services.create("default", svc("np-cluster", { type: "NodePort", selector: { app: "np" }, ports: [{ port: 80, targetPort: 8080 }] })));
  created.push(services.create("default", svc("np-local", { type: "NodePort", externalTrafficPolicy: "Local", selector: { app: "np" }, ports: [{ port: 80, targetPort: 8080 }] })));
  created.push(services.create("default", svc("sub", { clusterIP: "None", selector: { app: "named" }, ports: [{ port: 80 }] })));
  created.push(services.create("default", svc("rd", { selector: { app: "rd" }, ports: [{ port: 80, targetPort: 8080 }] })));
  await Promise.all(created);
  const webPods = async (): Promise<PodObject[]> => (await pods.list("default", { labelSelector: "app=web" })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const webReady = (n: number): Promise<PodObject[]> =>
    until(`${n} web pods ready`, async () => {
      const list = await webPods();
      return list.length === n && list.every((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? list : undefined;
    });
  await running(["client-0", "client-1", "client-2", "np", "named", "rd-0", "rd-1", "hostport", "hostnet"]);
  const web = await webReady(3);
  log(`pods running; web on ${web.map((p) => `${p.metadata!.name}@${p.spec!.nodeName}`).join(", ")}`);

  await t.test("(a) Deployment behind a ClusterIP: every endpoint answers, from pods on other nodes", async () => {
    // Every pod's address is in its own node's pod CIDR (a node must not run pods before its subnet is configured).
    const cidrs = await podCidrs();
    for (const p of (await pods.list("default")).items.filter((p) => p.status?.podIP && !p.spec?.hostNetwork)) {
      const prefix = cidrs.get(p.spec!.nodeName!)?.replace(/0\/24$/, "");
      assert.ok(prefix && p.status!.podIP!.startsWith(prefix), `${p.metadata!.name} on ${p.spec!.nodeName} (${cidrs.get(p.spec!.nodeName!)}) has ${p.status!.podIP}`);
    }
    const ip = (await services.get("default", "web")).spec!.clusterIP!;
    const names = web.map((p) => p.metadata!.name!).sort();
    await until("Endpoints of web to list the 3 pods", async () => ((await serviceIPs("web")).length === 3 ? true : undefined));
    // Clients on two different nodes: whatever the spread, pods on other nodes than the client's are among those reached.
    for (const client of ["client-0", "client-2"]) {
      // The client's node's kube-proxy follows the EndpointSlices, which trail the Endpoints (and it syncs at most
      // once a second): the count starts once its rules have reached every pod.
      await until(`${client} to reach the 3 web pods through the ClusterIP`, async () => (Object.keys(counts(await gets(client, `http://${ip}/`, 30))).sort().join() === names.join() ? true : undefined));
      const got = counts(await gets(client, `http://${ip}/`, 40));
      log(`${client} -> ClusterIP ${ip}: ${JSON.stringify(got)}`);
      assert.deepEqual(Object.keys(got).sort(), names, "40 requests reached each of the 3 pods and nothing failed");
    }
  });

  await t.test("(b) NodePort from the host on every node; externalTrafficPolicy Local only where the endpoint is", async () => {
    const portOf = async (name: string): Promise<number> => (await services.get("default", name)).spec!.ports![0]!.nodePort!;
    const cluster = await portOf("np-cluster");
    const local = await portOf("np-local");
    for (const n of [0, 1, 2]) {
      const url = `http://${nodeIP(n)}:${cluster}/`;
      const body = await until(`${url} from the host`, () => hostGet(url), 60_000);
      assert.equal(body, "np", `${url} (Cluster policy; the endpoint is on node-0)`);
    }
    assert.equal(await until("np-local on node-0", () => hostGet(`http://${nodeIP(0)}:${local}/`), 60_000), "np");
    // No local endpoint: the Local policy drops (no answer at all; a refusal would mean no rule for the port).
    // (Retried while the node's kube-proxy may not have written the rule yet: no rule at all would be a refusal.)
    for (const n of [1, 2]) {
      let last: Awaited<ReturnType<typeof hostTry>> = {};
      await until(`node-${n} to drop Local node-port traffic`, async () => ((last = await hostTry(`http://${nodeIP(n)}:${local}/`, 2000)).failure === "timeout" ? true : undefined), 30_000).catch(() => undefined);
      assert.deepEqual(last, { failure: "timeout" }, `node-${n} has no local endpoint: Local policy drops`);
    }
    // The policy is for external traffic: a pod on node-1 still reaches the endpoint through node-1's node port.
    let fromPod: string[] = [];
    await until("client-1 through node-1's Local node port", async () => ((fromPod = await gets("client-1", `http://${nodeIP(1)}:${local}/`, 1))[0] === "np" ? true : undefined), 30_000).catch(() => undefined);
    assert.deepEqual(fromPod, ["np"]);
    log(`node ports ${cluster} (Cluster) and ${local} (Local) checked from the host`);
  });

  await t.test("(f) hostPort through portmap and a hostNetwork pod, from the host at the node address", async () => {
    const url = `http://${nodeIP(1)}:18080/`;
    assert.equal(await until(url, () => hostGet(url), 60_000), "hostport");
    const hnPod = await pods.get("default", "hostnet");
    assert.equal(hnPod.status?.podIP, nodeIP(2), "a hostNetwork pod has its node's address");
    const url2 = `http://${nodeIP(2)}:18081/`;
    assert.equal(await until(url2, () => hostGet(url2), 60_000), "hostnet-pod");
  });

  await t.test("(c) nslookup from a pod: headless service, hostname.subdomain, PTR", async () => {
    const want = web.map((p) => p.status!.podIP!).sort();
    const lookup = async (name: string): Promise<string> => (await kubectl(["exec", "client-0", "--", "nslookup", name])).stdout;
    const addrs = (out: string): string[] => [...out.split(/\n(?=Name:)/).slice(1).join("\n").matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
    const headless = await until("headless web answers the 3 pod IPs", async () => {
      const out = await lookup("web-headless.default.svc.cluster.local");
      return addrs(out).join() === want.join() ? out : undefined;
    }, 60_000);
    log(`headless: ${addrs(headless).join(", ")}`);
    const namedIP = (await pods.get("default", "named")).status!.podIP!;
    const host = await until("myhost.sub answers the pod", async () => {
      const out = await lookup("myhost.sub.default.svc.cluster.local");
      return addrs(out).includes(namedIP) ? out : undefined;
    }, 60_000);
    assert.deepEqual(addrs(host), [namedIP]);
    // PTR of the pod's address: its hostname under its subdomain.
    const ptr = await until("PTR of the named pod", async () => {
      const out = await lookup(namedIP);
      return out.includes("myhost.sub.default.svc.cluster.local") ? out : undefined;
    }, 60_000);
    assert.match(ptr, /myhost\.sub\.default\.svc\.cluster\.local/);
  });

  await t.test("(d) an unready pod leaves Endpoints, EndpointSlice and the ClusterIP, and comes back", async () => {
    const [rd0, rd1] = await running(["rd-0", "rd-1"]);
    const ip0 = rd0!.status!.podIP!;
    const both = [ip0, rd1!.status!.podIP!].sort();
    const ip = (await services.get("default", "rd")).spec!.clusterIP!;
    await until("rd Endpoints with both pods", async () => ((await serviceIPs("rd")).join() === both.join() ? true : undefined));
    const reached = async (): Promise<Record<string, number>> => counts(await gets("client-2", `http://${ip}/`, 20));

    let start = Date.now();
    await sh("rd-0", "rm /tmp/ready");
    await until("rd-0 out of Endpoints", async () => ((await serviceIPs("rd")).join() === rd1!.status!.podIP ? true : undefined));
    const outEndpoints = Date.now() - start;
    await until("rd-0 out of the EndpointSlice's ready endpoints", async () => (!(await sliceReady("rd")).includes(ip0) ? true : undefined));
    const outSlice = Date.now() - start;
    await until("the ClusterIP to stop sending to rd-0", async () => {
      const got = await reached();
      return got["rd-1"] === 20 ? true : undefined;
    });
    const outTraffic = Date.now() - start;
    log(`unready: out of Endpoints after ${outEndpoints} ms, EndpointSlice ${outSlice} ms, ClusterIP traffic ${outTraffic} ms (shared machine)`);

    start = Date.now();
    await sh("rd-0", "touch /tmp/ready");
    await until("rd-0 back in Endpoints", async () => ((await serviceIPs("rd")).join() === both.join() ? true : undefined));
    const inEndpoints = Date.now() - start;
    await until("the ClusterIP to send to rd-0 again", async () => ((await reached())["rd-0"] ? true : undefined));
    const inTraffic = Date.now() - start;
    log(`ready again: in Endpoints after ${inEndpoints} ms, ClusterIP traffic ${inTraffic} ms (shared machine)`);
    assert.deepEqual(await sliceReady("rd"), both);
  });

  await t.test("(e) a node removed and one added: pods re-created elsewhere, the new node Ready and reachable", async () => {
    const before = await webPods();
    const cidrs = await podCidrs();
    log(`removing node-2; web on ${before.map((p) => `${p.metadata!.name}@${p.spec!.nodeName}`).join(", ")}`);
    let start = Date.now();
    await tc.clusters.removeNode(tc.name, "node-2");
    const gone = cidrs.get("node-2")!;
    for (const n of [0, 1]) await until(`node-${n} to drop the route to ${gone}`, async () => (!(await vxlanRoutes(`k8ts-${tc.name}-node-${n}`)).includes(gone) ? true : undefined));
    const after = await until("3 web pods ready on node-0 and node-1", async () => {
      const list = await webPods();
      return list.length === 3 && list.every((p) => ["node-0", "node-1"].includes(p.spec?.nodeName ?? "") && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? list : undefined;
    });
    assert.ok(!after.some((p) => p.spec!.nodeName === "node-2"));
    log(`web re-created in ${Date.now() - start} ms: ${after.map((p) => `${p.metadata!.name}@${p.spec!.nodeName}`).join(", ")}`);
    const ip = (await services.get("default", "web")).spec!.clusterIP!;
    await until("web Endpoints to follow", async () => ((await serviceIPs("web")).join() === after.map((p) => p.status!.podIP!).sort().join() ? true : undefined));
    // kube-proxy follows the EndpointSlices, which trail the Endpoints: wait for the traffic itself to reach the new set.
    const want = after.map((p) => p.metadata!.name!).sort();
    const seen = await until("ClusterIP traffic to reach the 3 web pods", async () => {
      const names = Object.keys(counts(await gets("client-0", `http://${ip}/`, 30))).sort();
      return names.join() === want.join() ? names : undefined;
    });
    assert.deepEqual(seen, want);

    start = Date.now();
    const added = await tc.clusters.addNode(tc.name);
    const now = await podCidrs();
    const cidr = now.get(added.name);
    assert.ok(cidr, "the new node has a pod CIDR");
    assert.deepEqual([...now.keys()].sort(), ["node-0", "node-1", added.name].sort());
    assert.equal(new Set(now.values()).size, 3, `pod CIDRs distinct: ${JSON.stringify([...now])}`);
    for (const n of ["node-0", "node-1"]) assert.equal(now.get(n), cidrs.get(n), `${n} kept its pod CIDR`);
    log(`${added.name} added and Ready in ${Date.now() - start} ms, podCIDR ${cidr}`);
    // The other nodes' VXLAN state points at the new node's VTEP: FDB entry MAC -> node IP, neighbour, route.
    const vtep = (JSON.parse((await client.resource<KubeObject>(resources.nodes).get(undefined, added.name)).metadata!.annotations!["flannel.alpha.coreos.com/backend-data"]!) as { VtepMAC: string }).VtepMAC;
    const gw = cidr.replace(/\/\d+$/, "");
    for (const n of [0, 1]) {
      const netns = `k8ts-${tc.name}-node-${n}`;
      const fdb = JSON.parse(execFileSync("bridge", ["-n", netns, "-j", "fdb", "show", "dev", "flannel.1"], { encoding: "utf8" })) as Array<{ mac: string; dst?: string }>;
      assert.ok(fdb.some((e) => e.mac === vtep && e.dst === added.ip), `node-${n} FDB ${vtep} -> ${added.ip}`);
      const neigh = JSON.parse(execFileSync("ip", ["-n", netns, "-j", "neigh", "show", "dev", "flannel.1"], { encoding: "utf8" })) as Array<{ dst: string; lladdr?: string }>;
      assert.ok(neigh.some((e) => e.dst === gw && e.lladdr === vtep), `node-${n} neighbour ${gw} -> ${vtep}`);
      assert.ok((await vxlanRoutes(netns)).includes(cidr), `node-${n} routes ${cidr}`);
    }
    await pods.create("default", busyboxPod("newcomer", SERVE_HOSTNAME, { node: added.name }));
    const [nc] = await running(["newcomer"]);
    const ncIP = nc!.status!.podIP!;
    // Reached from both old nodes and reaching back (a first attempt may race httpd's start: retried, time logged).
    const reach = async (from: string, url: string, want: string): Promise<void> => {
      const t0 = Date.now();
      await until(`${from} to reach ${url}`, async () => ((await gets(from, url, 1))[0] === want ? true : undefined), 60_000);
      log(`${from} -> ${url} (${want}) answered after ${Date.now() - t0} ms`);
    };
    await pods.create("default", busyboxPod("client-new", "exec sleep 100000", { node: added.name }));
    for (const from of ["client-0", "client-1"]) await reach(from, `http://${ncIP}:8080/`, "newcomer");
    await running(["client-new"]);
    for (const w of after) await reach("client-new", `http://${w.status!.podIP}:8080/`, w.metadata!.name!);
  });
});

// The real kubectl against `k8ts server`: every command of issue 3, as a user types it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCluster, eventually, KUBECTL_BIN, type Cluster } from "./kubectl_harness.js";

let c: Cluster;
before(async () => {
  c = await startCluster();
});
after(async () => {
  await c?.stop();
});

const deployment = (name: string, image: string, replicas = 2): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
`;

test("version dispatch, api-versions and api-resources", async () => {
  const v = await c.ok(["version", "-o", "json"]);
  const info = JSON.parse(v) as { serverVersion: { major: string; minor: string } };
  assert.equal(info.serverVersion.minor, "31");
  const versions = await c.ok(["api-versions"]);
  for (const gv of ["v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1", "coordination.k8s.io/v1"]) {
    assert.match(versions, new RegExp(`^${gv.replace(".", "\\.")}$`, "m"));
  }
  const res = await c.ok(["api-resources"]);
  assert.match(res, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
});

test("create -f, get in every output format, describe", async () => {
  const f = c.file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {tier: back}\ndata:\n  a: '1'\n");
  assert.match(await c.ok(["create", "-f", f]), /configmap\/settings created/);
  const again = await c.kubectl(["create", "-f", f]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /AlreadyExists|already exists/);
  assert.match(await c.ok(["get", "configmaps"]), /^settings\s+1\s+\S+$/m);
  const y = await c.ok(["get", "cm", "settings", "-o", "yaml"]);
  assert.match(y, /^kind: ConfigMap$/m);
  assert.match(y, /resourceVersion: "\d+"/);
  const j = JSON.parse(await c.ok(["get", "cm", "settings", "-o", "json"])) as { data: Record<string, string>; metadata: { uid: string } };
  assert.equal(j.data.a, "1");
  assert.ok(j.metadata.uid);
  assert.equal((await c.ok(["get", "cm", "settings", "-o", "name"])).trim(), "configmap/settings");
  assert.equal(await c.ok(["get", "cm", "settings", "-o", "jsonpath={.data.a}"]), "1");
  assert.match(await c.ok(["get", "cm", "-l", "tier=back", "--show-labels"]), /settings\s+1\s+\S+\s+tier=back/);
  assert.doesNotMatch(await c.ok(["get", "cm", "-l", "tier=front"]), /settings/);
  assert.match(await c.ok(["get", "cm", "-A"]), /^default\s+settings\s+1/m);
  assert.match(await c.ok(["describe", "cm", "settings"]), /Name:\s+settings[\s\S]*tier=back/);
  const missing = await c.kubectl(["get", "cm", "nope"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /configmaps "nope" not found/);
});

test("namespaces: built-ins exist, create and delete a namespace", async () => {
  const ns = await c.ok(["get", "ns"]);
  for (const n of ["default", "kube-system", "kube-public", "kube-node-lease"]) assert.match(ns, new RegExp(`^${n}\\s+Active`, "m"));
  await c.ok(["create", "namespace", "team-a"]);
  await c.ok(["-n", "team-a", "create", "configmap", "x", "--from-literal=k=v"]);
  await c.ok(["delete", "namespace", "team-a", "--wait=true", "--timeout=60s"]);
  const gone = await c.kubectl(["get", "ns", "team-a"]);
  assert.match(gone.stderr, /not found/);
  const refused = await c.kubectl(["-n", "nowhere", "create", "configmap", "y"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /namespaces "nowhere" not found/);
});

test("apply creates, updates, reports unchanged; server-side apply; diff", async () => {
  const f = c.file("web.yaml", deployment("web", "nginx:1.25"));
  assert.match(await c.ok(["apply", "-f", f]), /deployment.apps\/web created/);
  assert.match(await c.ok(["apply", "-f", f]), /deployment.apps\/web unchanged/);
  c.file("web.yaml", deployment("web", "nginx:1.26"));
  const d = await c.kubectl(["diff", "-f", f]);
  assert.equal(d.code, 1, d.stderr);
  assert.match(d.stdout, /^-\s+- image: nginx:1\.25$/m);
  assert.match(d.stdout, /^\+\s+- image: nginx:1\.26$/m);
  assert.match(await c.ok(["apply", "-f", f]), /deployment.apps\/web configured/);
  assert.equal(await c.ok(["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]), "nginx:1.26");
  assert.equal(await c.ok(["get", "deploy", "web", "-o", "jsonpath={.metadata.generation}"]), "2");
  const ss = c.file("ss.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  x: '1'\n");
  assert.match(await c.ok(["apply", "--server-side", "-f", ss]), /configmap\/ssa serverside-applied/);
  c.file("ss.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  z: '2'\n");
  await c.ok(["apply", "--server-side", "-f", ss]);
  const data = JSON.parse(await c.ok(["get", "cm", "ssa", "-o", "jsonpath={.data}"])) as Record<string, string>;
  assert.deepEqual(data, { z: "2" });
  assert.match(await c.ok(["get", "cm", "ssa", "-o", "yaml", "--show-managed-fields"]), /manager: kubectl/);
});

test("get -w streams changes", async () => {
  await c.ok(["create", "configmap", "watched", "--from-literal=n=0"]);
  const w = c.background(["get", "cm", "watched", "-w", "-o", "jsonpath={.data.n}{\"\\n\"}"]);
  await eventually(async () => w.output().includes("0"));
  await c.ok(["patch", "cm", "watched", "--type=merge", "-p", '{"data":{"n":"1"}}']);
  const seen = await eventually(async () => w.output().includes("1"));
  w.proc.kill("SIGTERM");
  assert.ok(seen, `watch output: ${w.output()}`);
});

test("edit with a scripted EDITOR, replace, patch of all three types and the status subresource", async () => {
  await c.ok(["create", "configmap", "ed", "--from-literal=color=red"]);
  await c.ok(["edit", "cm", "ed"], { env: { EDITOR: "sed -i s/red/blue/", KUBE_EDITOR: "sed -i s/red/blue/" } });
  assert.equal(await c.ok(["get", "cm", "ed", "-o", "jsonpath={.data.color}"]), "blue");
  const got = await c.ok(["get", "cm", "ed", "-o", "yaml"]);
  const f = c.file("ed.yaml", got.replace("color: blue", "color: green"));
  assert.match(await c.ok(["replace", "-f", f]), /configmap\/ed replaced/);
  const stale = await c.kubectl(["replace", "-f", f]);
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /the object has been modified/);
  await c.ok(["patch", "cm", "ed", "--type=merge", "-p", '{"data":{"m":"1"}}']);
  await c.ok(["patch", "cm", "ed", "--type=json", "-p", '[{"op":"add","path":"/data/j","value":"2"}]']);
  await c.ok(["patch", "cm", "ed", "-p", '{"data":{"s":"3"}}']);
  const data = JSON.parse(await c.ok(["get", "cm", "ed", "-o", "jsonpath={.data}"])) as Record<string, string>;
  assert.deepEqual(data, { color: "green", m: "1", j: "2", s: "3" });
  const bad = await c.kubectl(["patch", "cm", "ed", "--type=json", "-p", '[{"op":"test","path":"/data/m","value":"9"}]']);
  assert.notEqual(bad.code, 0);

  // The status subresource: a Service's load-balancer status (no controller writes it for a ClusterIP service).
  await c.ok(["create", "service", "clusterip", "status-demo", "--tcp=80:8080"]);
  await c.ok(["patch", "svc", "status-demo", "--subresource=status", "--type=merge", "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}']);
  assert.equal(await c.ok(["get", "svc", "status-demo", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]), "192.0.2.10");
  // A status write through the main resource is ignored, as in Kubernetes.
  await c.ok(["patch", "svc", "status-demo", "--type=merge", "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.99"}]}}}']);
  assert.equal(await c.ok(["get", "svc", "status-demo", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]), "192.0.2.10");
});

test("label, annotate, scale", async () => {
  await c.ok(["create", "configmap", "lab"]);
  await c.ok(["label", "cm", "lab", "env=prod"]);
  await c.ok(["annotate", "cm", "lab", "note=hello"]);
  assert.equal(await c.ok(["get", "cm", "lab", "-o", "jsonpath={.metadata.labels.env}/{.metadata.annotations.note}"]), "prod/hello");
  await c.ok(["label", "cm", "lab", "env-"]);
  assert.equal(await c.ok(["get", "cm", "lab", "-o", "jsonpath={.metadata.labels}"]), "");
  await c.ok(["apply", "-f", c.file("sc.yaml", deployment("scaled", "busybox", 1))]);
  assert.match(await c.ok(["scale", "deploy", "scaled", "--replicas=4"]), /scaled/);
  assert.equal(await c.ok(["get", "deploy", "scaled", "-o", "jsonpath={.spec.replicas}"]), "4");
  await c.ok(["scale", "deploy", "scaled", "--current-replicas=4", "--replicas=2"]);
  assert.equal(await c.ok(["get", "deploy", "scaled", "-o", "jsonpath={.spec.replicas}"]), "2");
  const wrong = await c.kubectl(["scale", "deploy", "scaled", "--current-replicas=9", "--replicas=1"]);
  assert.notEqual(wrong.code, 0);
});

test("wait --for=condition and events", async () => {
  await c.ok(["apply", "-f", c.file("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: waiter\nspec:\n  containers:\n  - name: c\n    image: busybox\n")]);
  const w = c.kubectl(["wait", "--for=condition=Ready", "pod/waiter", "--timeout=30s"]);
  await new Promise((r) => setTimeout(r, 500));
  await c.ok([
    "patch", "pod", "waiter", "--subresource=status", "--type=merge",
    "-p", '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}',
  ]);
  const r = await w;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pod\/waiter condition met/);
  // -o wide adds the priority-1 columns.
  const wide = await c.ok(["get", "pod", "waiter", "-o", "wide"]);
  assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
  assert.match(wide, /^waiter\s+0\/1\s+Running\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);
  const uid = await c.ok(["get", "pod", "waiter", "-o", "jsonpath={.metadata.uid}"]);
  await c.ok(["create", "-f", c.file("ev.yaml", `apiVersion: v1
kind: Event
metadata: {name: waiter.1}
involvedObject: {kind: Pod, name: waiter, namespace: default, apiVersion: v1, uid: ${uid}}
reason: Scheduled
message: Successfully assigned default/waiter to node-1
type: Normal
firstTimestamp: "${new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, "Z")}"
lastTimestamp: "${new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, "Z")}"
count: 1
`)]);
  assert.match(await c.ok(["events", "--for", "pod/waiter"]), /^\d+s\s+Normal\s+Scheduled\s+Pod\/waiter\s+Successfully assigned default\/waiter to node-1$/m);
  assert.match(await c.ok(["describe", "pod", "waiter"]), /Scheduled[\s\S]*Successfully assigned default\/waiter/);
});

test("delete with each propagation policy, and --wait", async () => {
  const owner = JSON.parse(await c.ok(["create", "configmap", "owner-bg", "-o", "json"])) as { metadata: { uid: string } };
  const dep = (name: string, ownerName: string, uid: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: ${ownerName}, uid: ${uid}, blockOwnerDeletion: true}]
`;
  await c.ok(["create", "-f", c.file("d1.yaml", dep("dep-bg", "owner-bg", owner.metadata.uid))]);
  await c.ok(["delete", "cm", "owner-bg", "--cascade=background"]);
  assert.ok(await eventually(async () => (await c.kubectl(["get", "cm", "dep-bg"])).code !== 0), "background: dependent removed");

  const o2 = JSON.parse(await c.ok(["create", "configmap", "owner-fg", "-o", "json"])) as { metadata: { uid: string } };
  await c.ok(["create", "-f", c.file("d2.yaml", dep("dep-fg", "owner-fg", o2.metadata.uid))]);
  await c.ok(["delete", "cm", "owner-fg", "--cascade=foreground", "--wait=true", "--timeout=60s"]);
  assert.notEqual((await c.kubectl(["get", "cm", "dep-fg"])).code, 0, "foreground: dependent deleted first");
  assert.notEqual((await c.kubectl(["get", "cm", "owner-fg"])).code, 0, "foreground: owner gone after");

  const o3 = JSON.parse(await c.ok(["create", "configmap", "owner-or", "-o", "json"])) as { metadata: { uid: string } };
  await c.ok(["create", "-f", c.file("d3.yaml", dep("dep-or", "owner-or", o3.metadata.uid))]);
  await c.ok(["delete", "cm", "owner-or", "--cascade=orphan", "--wait=true"]);
  const orphan = await eventually(async () => {
    const refs = await c.ok(["get", "cm", "dep-or", "-o", "jsonpath={.metadata.ownerReferences}"]);
    return refs === "";
  });
  assert.ok(orphan, "orphan: dependent kept without its owner reference");
});

test("explain and auth can-i", async () => {
  assert.match(await c.ok(["explain", "deployment.spec.replicas"]), /Number of desired pods/);
  assert.equal((await c.ok(["auth", "can-i", "create", "pods"])).trim(), "yes");
});

for (const minor of [30, 31]) {
  test(`kubectl 1.${minor} directly: apply, get, delete`, async () => {
    const bin = KUBECTL_BIN(minor);
    const name = `v${minor}`;
    const f = c.file(`${name}.yaml`, deployment(name, "busybox", 1));
    assert.match(await c.ok(["apply", "-f", f], { bin }), /created/);
    assert.match(await c.ok(["get", "deploy", name], { bin }), new RegExp(`^${name}\\s+\\d/1\\s+\\d+\\s+\\d+\\s+\\S+$`, "m"));
    assert.match(await c.ok(["delete", "-f", f], { bin }), /deleted/);
  });
}

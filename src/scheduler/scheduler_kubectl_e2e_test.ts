// The scheduler as a user sees it through the real kubectl 1.31: `k8ts server` (its in-process scheduler) with three
// hollow nodes (`k8ts sim` in this process) n1..n3; spreading, FailedScheduling shown by describe/events, cordon and
// uncordon, a NoSchedule taint added and removed with `kubectl taint`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { eventually, KUBECTL_BIN, startCluster, type Cluster } from "../e2e/kubectl_harness.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";

const BIN = KUBECTL_BIN(31);
const NODES = ["n1", "n2", "n3"];
// Generous: the machine is shared; a wait ends as soon as its condition holds.
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

let c: Cluster;
let client: Client;
let sim: HollowNodes;
const stopSim = new AbortController();
let simDone: Promise<void>;

const kubectl = (args: string[]) => c.ok(args, { bin: BIN });
const nodeOf = async (pod: string): Promise<string> => (await kubectl(["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])).trim();
const scheduledFalse = async (pod: string): Promise<string> =>
  (await kubectl(["get", "pod", pod, "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}`])).trim() === "False" ? "False" : "";

const pod = (name: string, nodeSelector?: Record<string, string>): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
${nodeSelector ? `  nodeSelector: ${JSON.stringify(nodeSelector)}\n` : ""}  containers:
  - name: main
    image: busybox
    resources: {requests: {cpu: 100m}}
`;

before(async () => {
  c = await startCluster();
  client = fromKubeconfig(c.kubeconfig);
  sim = new HollowNodes({ client, count: NODES.length, namePrefix: "n", startIndex: 1, capacity: { cpu: "4", memory: "8Gi", pods: "110" } });
  simDone = sim.run(stopSim.signal);
  const ready = await eventually(async () => {
    const out = await kubectl(["get", "nodes", "--no-headers"]);
    return NODES.every((n) => new RegExp(`^${n}\\s+Ready\\s`, "m").test(out)) ? out : "";
  }, WAIT);
  assert.ok(ready, "three hollow nodes Ready");
});

after(async () => {
  stopSim.abort();
  await simDone;
  client?.close();
  await c?.stop();
});

test("a deployment of 6 pods spreads over the 3 nodes (kubectl get pods -o wide)", async () => {
  await kubectl(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=6"]);
  const wide = await eventually(async () => {
    const out = await kubectl(["get", "pods", "-l", "app=web", "-o", "wide", "--no-headers"]);
    const lines = out.trim().split("\n").filter(Boolean);
    return lines.length === 6 && lines.every((l) => NODES.some((n) => l.includes(` ${n} `))) ? out : "";
  }, WAIT);
  assert.ok(wide, "6 pods, each on a node");
  for (const n of NODES) assert.match(wide, new RegExp(`\\s${n}\\s`), `a pod on ${n}`);
});

test("a nodeSelector no node matches: Pending, FailedScheduling in describe and events", async () => {
  await kubectl(["apply", "-f", c.file("nomatch.yaml", pod("nomatch", { disk: "ssd" }))]);
  const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
  const described = await eventually(async () => {
    const out = await kubectl(["describe", "pod", "nomatch"]);
    return out.includes("FailedScheduling") && out.includes(message) ? out : "";
  }, WAIT);
  assert.match(described, /^Status:\s+Pending$/m);
  assert.match(described, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available/);
  const events = await kubectl(["events", "--for", "pod/nomatch"]);
  assert.match(events, /Warning\s+FailedScheduling\s+Pod\/nomatch\s+0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
  assert.equal(await nodeOf("nomatch"), "");
  await kubectl(["delete", "pod", "nomatch"]);
});

test("cordon every node: a new pod stays Pending; uncordon n2: it lands on n2", async () => {
  assert.match(await kubectl(["cordon", ...NODES]), /node\/n1 cordoned/);
  assert.match(await kubectl(["get", "nodes", "n3", "--no-headers"]), /Ready,SchedulingDisabled/);
  await kubectl(["apply", "-f", c.file("waiter.yaml", pod("waiter"))]);
  assert.ok(await eventually(() => scheduledFalse("waiter"), WAIT), "waiter unschedulable");
  assert.match(await kubectl(["describe", "pod", "waiter"]), /3 node\(s\) were unschedulable/);
  assert.equal(await nodeOf("waiter"), "");
  assert.match(await kubectl(["uncordon", "n2"]), /node\/n2 uncordoned/);
  assert.equal(await eventually(() => nodeOf("waiter"), WAIT), "n2");
  await kubectl(["uncordon", "n1", "n3"]);
  await kubectl(["delete", "pod", "waiter"]);
});

test("a NoSchedule taint on the only eligible node keeps a pod Pending; removing it schedules the pod", async () => {
  assert.match(await kubectl(["taint", "nodes", "n1", "k=v:NoSchedule"]), /node\/n1 tainted/);
  await kubectl(["apply", "-f", c.file("pinned.yaml", pod("pinned", { "kubernetes.io/hostname": "n1" }))]);
  assert.ok(await eventually(() => scheduledFalse("pinned"), WAIT), "pinned unschedulable");
  const described = await kubectl(["describe", "pod", "pinned"]);
  assert.match(described, /1 node\(s\) had untolerated taint \{k: v\}/);
  assert.equal(await nodeOf("pinned"), "");
  assert.match(await kubectl(["taint", "nodes", "n1", "k=v:NoSchedule-"]), /node\/n1 untainted/);
  assert.equal(await eventually(() => nodeOf("pinned"), WAIT), "n1");
  await kubectl(["delete", "pod", "pinned"]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { DaemonSetHarness, newDaemonSet, newNode } from "./testing.js";

test("one pod per eligible node, placed by node-name affinity, with the daemon tolerations and revision hash", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(
    newNode("n1", { labels: { disk: "ssd" } }),
    newNode("n2", { labels: { disk: "ssd" }, taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }] }),
    newNode("n3", { labels: { disk: "hdd" } }),
    newNode("n4", { labels: { disk: "ssd" }, taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }),
  );
  const ds = newDaemonSet("web");
  ds.spec!.template.spec!.nodeSelector = { disk: "ssd" };
  h.setDaemonSet(ds);
  await h.sync();
  const pods = h.livePods();
  assert.deepEqual(pods.map((p) => h.nodeOf(p)).sort(), ["n1", "n2"], "not the hdd node, not the node with an untolerated taint");
  const p = pods[0]!;
  assert.equal(p.spec?.nodeName, undefined, "the scheduler binds it");
  assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [h.nodeOf(p)] }] }] });
  assert.deepEqual(
    p.spec?.tolerations?.map((t) => `${t.key}:${t.effect}`),
    ["node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"],
  );
  const revs = h.revisions.indexer.list();
  assert.equal(revs.length, 1);
  assert.equal(revs[0]!.revision, 1);
  assert.equal(p.metadata?.labels?.["controller-revision-hash"], revs[0]!.metadata?.labels?.["controller-revision-hash"]);
  assert.equal(p.metadata?.generateName, "web-");
  assert.equal(p.metadata?.ownerReferences?.[0]?.kind, "DaemonSet");
  const st = h.ds("web").status!;
  assert.equal(st.desiredNumberScheduled, 2);
  assert.equal(st.currentNumberScheduled, 2);
  assert.equal(st.numberReady, 0);
  assert.equal(st.numberUnavailable, 2);
  assert.equal(st.updatedNumberScheduled, 2);
  assert.equal(st.observedGeneration, 1);
});

test("host-network daemons also tolerate network-unavailable", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1", { taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }] }));
  const ds = newDaemonSet("web");
  h.setDaemonSet(ds);
  await h.sync();
  assert.equal(h.livePods().length, 0);
  ds.spec!.template.spec!.hostNetwork = true;
  h.setDaemonSet(ds);
  await h.sync();
  assert.equal(h.livePods().length, 1);
});

test("nodes joining get a pod; leaving, relabelled or NoExecute-tainted nodes lose it; NoSchedule taints keep it", async () => {
  const h = new DaemonSetHarness();
  const ds = newDaemonSet("web");
  ds.spec!.template.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "role", operator: "In", values: ["worker"] }] }] } } };
  h.setDaemonSet(ds);
  h.addNodes(newNode("a", { labels: { role: "worker" } }), newNode("b", { labels: { role: "worker" } }));
  await h.sync();
  h.runPods();
  assert.deepEqual(Object.keys(h.podsByNode()).sort(), ["a", "b"]);
  h.addNodes(newNode("c", { labels: { role: "worker" } }));
  await h.sync();
  assert.deepEqual(Object.keys(h.podsByNode()).sort(), ["a", "b", "c"]);
  h.runPods();
  h.removeNode("a");
  h.addNodes(newNode("b", { labels: { role: "control" } }));
  h.addNodes(newNode("c", { labels: { role: "worker" }, taints: [{ key: "maintenance", effect: "NoSchedule" }] }));
  await h.sync();
  assert.deepEqual(Object.keys(h.podsByNode()).sort(), ["c"], "a is gone, b no longer matches, c keeps its pod");
  const st = h.ds("web").status!;
  assert.equal(st.desiredNumberScheduled, 0, "c does not qualify for a new pod");
  h.addNodes(newNode("c", { labels: { role: "worker" }, taints: [{ key: "maintenance", effect: "NoExecute" }] }));
  await h.sync();
  assert.deepEqual(h.podsByNode(), {});
});

test("a failed daemon pod is deleted and replaced, with a growing backoff per node", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"));
  h.setDaemonSet(newDaemonSet("web"));
  await h.sync();
  h.runPods({ phase: "Failed" });
  await h.sync();
  assert.equal(h.livePods().length, 0, "the failed pod was deleted");
  await h.sync();
  assert.equal(h.livePods().length, 1, "and replaced");
  h.runPods({ phase: "Failed" });
  await h.sync();
  assert.equal(h.livePods().length, 1, "the second failure within the backoff waits");
  h.clock.advance(2000);
  await h.sync();
  assert.equal(h.livePods().length, 0);
});

test("RollingUpdate with maxUnavailable 1 replaces one node at a time, waiting for the new pod to be ready", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"), newNode("n2"), newNode("n3"));
  h.setDaemonSet(newDaemonSet("web"));
  await h.sync();
  h.runPods();
  await h.sync();
  assert.equal(h.ds("web").status?.numberAvailable, 3);
  h.setDaemonSet(newDaemonSet("web", {}, "agent:2"));
  await h.sync();
  assert.equal(h.livePods().length, 2, "one old pod deleted");
  assert.equal(h.revisions.indexer.list().length, 2);
  await h.sync();
  const images = () => Object.values(h.podsByNode()).flat().sort();
  assert.deepEqual(images(), ["agent:1", "agent:1", "agent:2"]);
  await h.sync();
  assert.deepEqual(images(), ["agent:1", "agent:1", "agent:2"], "nothing more until the new pod is available");
  for (let i = 0; i < 6; i++) {
    h.runPods();
    await h.sync();
  }
  assert.deepEqual(images(), ["agent:2", "agent:2", "agent:2"]);
  const st = h.ds("web").status!;
  assert.equal(st.updatedNumberScheduled, 3);
  assert.equal(st.numberAvailable, 3);
  assert.equal(st.numberUnavailable, undefined);
  assert.equal(st.observedGeneration, 2);
});

test("RollingUpdate with maxSurge starts the new pod beside the old one and removes the old once available", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"), newNode("n2"));
  const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  h.setDaemonSet(newDaemonSet("web", { updateStrategy: strategy }));
  await h.sync();
  h.runPods();
  h.setDaemonSet(newDaemonSet("web", { updateStrategy: strategy }, "agent:2"));
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:1", "agent:2"], n2: ["agent:1"] });
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:1", "agent:2"], n2: ["agent:1"] }, "the surge pod is kept, the old one too until it is replaced");
  h.runPods();
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:2"], n2: ["agent:1", "agent:2"] });
  h.runPods();
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:2"], n2: ["agent:2"] });
});

test("OnDelete: a new template only reaches nodes whose pod was deleted by hand", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"), newNode("n2"));
  h.setDaemonSet(newDaemonSet("web", { updateStrategy: { type: "OnDelete" } }));
  await h.sync();
  h.runPods();
  h.setDaemonSet(newDaemonSet("web", { updateStrategy: { type: "OnDelete" } }, "agent:2"));
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:1"], n2: ["agent:1"] });
  const victim = h.livePods().find((p) => h.nodeOf(p) === "n2")!;
  h.pods.indexer.deleteKey(`default/${victim.metadata!.name}`);
  await h.sync();
  assert.deepEqual(h.podsByNode(), { n1: ["agent:1"], n2: ["agent:2"] });
  assert.equal(h.ds("web").status?.updatedNumberScheduled, 1);
});

test("rolling back to an earlier template re-numbers its revision instead of storing it again", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"));
  h.setDaemonSet(newDaemonSet("web"));
  await h.sync();
  h.setDaemonSet(newDaemonSet("web", {}, "agent:2"));
  await h.sync();
  h.setDaemonSet(newDaemonSet("web", {}, "agent:1"));
  await h.sync();
  const revs = h.revisions.indexer.list().sort((a, b) => a.revision - b.revision);
  assert.deepEqual(
    revs.map((r) => [r.revision, (r.data as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0]!.image]),
    [
      [2, "agent:2"],
      [3, "agent:1"],
    ],
  );
});

test("pods of a node that was deleted are removed; orphans matching the selector are adopted", async () => {
  const h = new DaemonSetHarness();
  h.addNodes(newNode("n1"), newNode("n2"));
  h.setDaemonSet(newDaemonSet("web"));
  await h.sync();
  h.runPods();
  h.removeNode("n2");
  await h.sync();
  assert.deepEqual(Object.keys(h.podsByNode()), ["n1"]);
  assert.deepEqual(h.podWriter.deleted.length, 1);
});

// The DaemonSet controller against the fake API server over real HTTP; the test plays scheduler and kubelet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import type { RevisionObject } from "../history/revisions.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { GarbageCollector } from "../garbage_collector/garbage_collector.js";
import { startController } from "../types.js";
import { targetNodeName, type DaemonSetObject } from "./daemon_pods.js";
import { DaemonSetController, type NodeObject } from "./daemonset_controller.js";
import { newDaemonSet, newNode } from "./testing.js";

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function podsByNode(client: Client): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of (await client.resource<PodObject>(resources.pods).list("default")).items)
    if (!p.metadata?.deletionTimestamp) (out[targetNodeName(p) ?? "?"] ??= []).push(p.spec?.containers[0]?.image ?? "");
  return out;
}

/** Scheduler and kubelet in one: binds each new pod to its node, then reports it Running and Ready. */
async function runPods(client: Client): Promise<void> {
  const api = client.resource<PodObject>(resources.pods);
  for (const p of (await api.list("default")).items) {
    if (p.status?.phase || p.metadata?.deletionTimestamp) continue;
    await api.patch("default", p.metadata!.name!, "merge", { spec: { nodeName: targetNodeName(p) } });
    await api.patch("default", p.metadata!.name!, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, { subresource: "status" });
  }
}

test("a DaemonSet follows nodes being added and removed, and rolls out a new template one node at a time", async (t) => {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  const ctrl = startController(new DaemonSetController({ client, informers: new SharedInformerFactory({ client }) }));
  const gc = startController(new GarbageCollector({ client, informers: new SharedInformerFactory({ client }), resources: [resources.daemonsets, resources.pods, resources.controllerrevisions] }));
  t.after(async () => {
    await ctrl.stop();
    await gc.stop();
    client.close();
    await srv.close();
  });
  const nodes = client.resource<NodeObject>(resources.nodes);
  const strip = <T extends { metadata?: object }>(o: T, name: string, ns?: string): T => ({ ...o, metadata: { name, namespace: ns }, status: undefined });
  await nodes.create(undefined, strip(newNode("n1"), "n1"));
  await nodes.create(undefined, strip(newNode("n2"), "n2"));
  const dsApi = client.resource<DaemonSetObject>(resources.daemonsets);
  await dsApi.create("default", strip(newDaemonSet("agent"), "agent", "default"));
  await until(async () => Object.keys(await podsByNode(client)).sort().join() === "n1,n2", "pods on n1 and n2");
  await nodes.create(undefined, strip(newNode("n3"), "n3"));
  await until(async () => Object.keys(await podsByNode(client)).sort().join() === "n1,n2,n3", "a pod on the new node n3");
  await nodes.delete(undefined, "n1");
  await until(async () => Object.keys(await podsByNode(client)).sort().join() === "n2,n3", "the pod of n1 to go");
  await runPods(client);
  await until(async () => (await dsApi.get("default", "agent")).status?.numberAvailable === 2, "two available daemons");

  // Roll out agent:2 while playing the kubelet for every new pod.
  await dsApi.patch("default", "agent", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "agent:2" }] } } } });
  let maxMissing = 0;
  await until(async () => {
    const byNode = await podsByNode(client);
    maxMissing = Math.max(maxMissing, 2 - Object.keys(byNode).length);
    await runPods(client);
    const st = (await dsApi.get("default", "agent")).status;
    return st?.updatedNumberScheduled === 2 && st.numberAvailable === 2 && Object.values(byNode).flat().every((i) => i === "agent:2");
  }, "the rollout to finish");
  assert.ok(maxMissing <= 1, "never more than maxUnavailable (1) nodes without a daemon");
  const revs = (await client.resource<RevisionObject>(resources.controllerrevisions).list("default")).items;
  assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
  const st = (await dsApi.get("default", "agent")).status!;
  assert.equal(st.desiredNumberScheduled, 2);
  assert.equal(st.observedGeneration, 2);

  // Deleting the DaemonSet: the garbage collector removes its pods and revisions.
  await dsApi.delete("default", "agent");
  await until(async () => Object.keys(await podsByNode(client)).length === 0, "the daemons to be collected");
  await until(async () => (await client.resource(resources.controllerrevisions).list("default")).items.length === 0, "the revisions to be collected");
});

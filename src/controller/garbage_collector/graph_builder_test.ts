import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../api/object.js";
import { WorkQueue } from "../../client/workqueue.js";
import { silentLogger } from "../../util/log.js";
import { Graph } from "./graph.js";
import { GraphBuilder } from "./graph_builder.js";

function setup() {
  const graph = new Graph();
  const attemptToDelete = new WorkQueue<string>();
  const attemptToOrphan = new WorkQueue<string>();
  const builder = new GraphBuilder({ graph, attemptToDelete, attemptToOrphan, isNamespaced: (_v, kind) => kind !== "Node", log: silentLogger });
  const drain = async (q: WorkQueue<string>): Promise<string[]> => {
    const out: string[] = [];
    while (q.len() > 0) {
      const k = (await q.get())!;
      out.push(k);
      q.done(k);
    }
    return out.sort();
  };
  return { graph, builder, attemptToDelete, attemptToOrphan, drain };
}

const obj = (kind: string, name: string, uid: string, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: kind === "Pod" || kind === "Node" ? "v1" : "apps/v1",
  kind,
  metadata: { name, uid, namespace: kind === "Node" ? undefined : "ns", ...meta },
});
const ref = (kind: string, name: string, uid: string, block = false) => ({ apiVersion: kind === "Node" ? "v1" : "apps/v1", kind, name, uid, blockOwnerDeletion: block });

test("an owner seen after its dependent turns from virtual (queued for verification) to real", async () => {
  const { graph, builder, attemptToDelete, drain } = setup();
  builder.upsert(obj("Pod", "p", "pod-1", { ownerReferences: [ref("ReplicaSet", "rs", "rs-1")] }));
  const rs = graph.get("rs-1")!;
  assert.equal(rs.virtual, true);
  assert.equal(rs.identity.namespace, "ns");
  assert.deepEqual(await drain(attemptToDelete), ["pod-1", "rs-1"]);
  builder.upsert(obj("ReplicaSet", "rs", "rs-1"));
  assert.equal(graph.get("rs-1")!.virtual, false);
  assert.deepEqual([...rs.dependents].map((d) => d.identity.name), ["p"]);
});

test("cluster-scoped owners are named without a namespace", () => {
  const { graph, builder } = setup();
  builder.upsert(obj("Pod", "p", "pod-1", { ownerReferences: [ref("Node", "n1", "node-1")] }));
  assert.equal(graph.get("node-1")!.identity.namespace, "");
});

test("deleting an owner queues its dependents; foreground and orphan finalizers queue the right work", async () => {
  const { graph, builder, attemptToDelete, attemptToOrphan, drain } = setup();
  builder.upsert(obj("ReplicaSet", "rs", "rs-1"));
  builder.upsert(obj("Pod", "a", "a", { ownerReferences: [ref("ReplicaSet", "rs", "rs-1", true)] }));
  builder.upsert(obj("Pod", "b", "b", { ownerReferences: [ref("ReplicaSet", "rs", "rs-1")] }));
  await drain(attemptToDelete);
  assert.deepEqual(graph.get("rs-1")!.blockingDependents().map((d) => d.identity.name), ["a"]);

  builder.upsert(obj("ReplicaSet", "rs", "rs-1", { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["foregroundDeletion"] }));
  assert.equal(graph.get("rs-1")!.deletingDependents, true);
  assert.deepEqual(await drain(attemptToDelete), ["a", "b", "rs-1"]);

  // A blocking dependent going away re-queues the waiting owner.
  builder.remove(obj("Pod", "a", "a"));
  assert.deepEqual(await drain(attemptToDelete), ["rs-1"]);

  builder.upsert(obj("ReplicaSet", "rs", "rs-1", { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["orphan"] }));
  assert.deepEqual(await drain(attemptToOrphan), ["rs-1"]);

  builder.remove(obj("ReplicaSet", "rs", "rs-1"));
  assert.equal(graph.get("rs-1"), undefined);
  assert.deepEqual(await drain(attemptToDelete), ["b"]);
});

test("dropping an owner reference unlinks the dependent; a virtual owner left alone disappears", () => {
  const { graph, builder } = setup();
  builder.upsert(obj("Pod", "p", "pod-1", { ownerReferences: [ref("ReplicaSet", "rs", "rs-1")] }));
  builder.upsert(obj("Pod", "p", "pod-1"));
  assert.equal(graph.get("rs-1"), undefined);
  assert.equal(graph.size(), 1);
});

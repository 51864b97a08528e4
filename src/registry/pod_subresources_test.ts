import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { ctx, harness, pod, statusOf, type Harness } from "./testing/fixtures.js";

let h: Harness;
afterEach(async () => h?.close());

const binding = (name: string, node: string) => ({ apiVersion: "v1", kind: "Binding", metadata: { name }, target: { kind: "Node", name: node } });
const eviction = (name: string) => ({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name } });

describe("pod subresources", () => {
  it("binding sets spec.nodeName once and marks PodScheduled", async () => {
    h = await harness();
    await h.pods.create(ctx("default"), pod("p", {}, {}));
    const res = await h.pods.createSubresource!(ctx("default"), "p", "binding", binding("p", "node-1"));
    assert.equal((res as { status: string }).status, "Success");
    assert.equal((res as { code: number }).code, 201);
    const p = await h.pods.get(ctx("default"), "p");
    assert.equal((p.spec as { nodeName: string }).nodeName, "node-1");
    const cond = (p.status as { conditions: { type: string; status: string }[] }).conditions;
    assert.deepEqual(cond.map((c) => [c.type, c.status]), [["PodScheduled", "True"]]);
    const again = await statusOf(h.pods.createSubresource!(ctx("default"), "p", "binding", binding("p", "node-2")));
    assert.equal(again.code, 409);
    assert.equal(again.message, 'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node-1"');
    assert.equal((await statusOf(h.pods.createSubresource!(ctx("default"), "zz", "binding", binding("zz", "n")))).code, 404);
    assert.equal((await statusOf(h.widgets.createSubresource!(ctx("default"), "p", "binding", binding("p", "n")))).code, 404);
  });

  it("eviction deletes the pod (gracefully when bound) and answers Success", async () => {
    h = await harness();
    await h.pods.create(ctx("default"), pod("p", { nodeName: "n1" }));
    const res = await h.pods.createSubresource!(ctx("default"), "p", "eviction", eviction("p"));
    assert.equal((res as { status: string }).status, "Success");
    const p = await h.pods.get(ctx("default"), "p");
    assert.ok(p.metadata.deletionTimestamp, "a bound pod is deleted gracefully");
  });

  it("eviction honours a PodDisruptionBudget: 429 without disruptions allowed, charges one otherwise", async () => {
    h = await harness();
    await h.pods.create(ctx("default"), pod("p", { nodeName: "n1" }, { labels: { app: "web" } }));
    await h.pods.update(ctx("default"), "p", { ...(await h.pods.get(ctx("default"), "p")), status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, { subresource: "status" });
    const pdb = await h.pdbs.create(ctx("default"), { metadata: { name: "budget" }, spec: { selector: { matchLabels: { app: "web" } } } });
    await h.pdbs.update(ctx("default"), "budget", { ...pdb, status: { disruptionsAllowed: 0, observedGeneration: 1, currentHealthy: 1, desiredHealthy: 1 } }, { subresource: "status" });
    const denied = await statusOf(h.pods.createSubresource!(ctx("default"), "p", "eviction", eviction("p")));
    assert.equal(denied.code, 429);
    assert.equal(denied.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    const cur = await h.pdbs.get(ctx("default"), "budget");
    await h.pdbs.update(ctx("default"), "budget", { ...cur, status: { ...(cur.status as object), disruptionsAllowed: 1 } }, { subresource: "status" });
    await h.pods.createSubresource!(ctx("default"), "p", "eviction", eviction("p"));
    const after = (await h.pdbs.get(ctx("default"), "budget")) as StoredObject & { status: { disruptionsAllowed: number; disruptedPods: Record<string, string> } };
    assert.equal(after.status.disruptionsAllowed, 0);
    assert.ok(after.status.disruptedPods.p);
  });

  it("a running pod that is not Ready spends nothing: it goes when the budget is healthy, or always under AlwaysAllow", async () => {
    h = await harness();
    const budget = async (name: string, policy: string | undefined, status: { currentHealthy: number; desiredHealthy: number }): Promise<void> => {
      const pdb = await h.pdbs.create(ctx("default"), { metadata: { name }, spec: { selector: { matchLabels: { app: name } }, unhealthyPodEvictionPolicy: policy } });
      await h.pdbs.update(ctx("default"), name, { ...pdb, status: { disruptionsAllowed: 0, observedGeneration: 1, ...status } }, { subresource: "status" });
    };
    const unready = async (name: string, app: string): Promise<void> => {
      await h.pods.create(ctx("default"), pod(name, { nodeName: "n1" }, { labels: { app } }));
      await h.pods.update(ctx("default"), name, { ...(await h.pods.get(ctx("default"), name)), status: { phase: "Running", conditions: [{ type: "Ready", status: "False" }] } }, { subresource: "status" });
    };
    /** "Success", or the refusal's code. */
    const evicted = async (name: string): Promise<string | number> => {
      try {
        return ((await h.pods.createSubresource!(ctx("default"), name, "eviction", eviction(name))) as { status: string }).status;
      } catch (err) {
        return (await statusOf(Promise.reject(err))).code;
      }
    };
    // IfHealthyBudget (the default): the 2 healthy pods the budget needs are there, so the unready pod may go.
    await budget("healthy", undefined, { currentHealthy: 2, desiredHealthy: 2 });
    await unready("h", "healthy");
    assert.equal(await evicted("h"), "Success");
    // One healthy pod short: the unready pod stays (it may yet turn Ready).
    await budget("short", "IfHealthyBudget", { currentHealthy: 1, desiredHealthy: 2 });
    await unready("s", "short");
    assert.equal(await evicted("s"), 429);
    // AlwaysAllow: it goes even so.
    await budget("always", "AlwaysAllow", { currentHealthy: 1, desiredHealthy: 2 });
    await unready("a", "always");
    assert.equal(await evicted("a"), "Success");
    for (const name of ["healthy", "always"]) {
      const st = ((await h.pdbs.get(ctx("default"), name)) as StoredObject & { status: { disruptionsAllowed: number; disruptedPods?: object } }).status;
      assert.deepEqual([st.disruptionsAllowed, st.disruptedPods], [0, undefined], "nothing charged");
    }
    assert.ok((await h.pods.get(ctx("default"), "h")).metadata.deletionTimestamp);
    assert.ok(!(await h.pods.get(ctx("default"), "s")).metadata.deletionTimestamp);
  });
});

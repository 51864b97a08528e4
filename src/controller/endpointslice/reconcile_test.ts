import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodObject, ServiceObject } from "../endpoint/service_pods.js";
import { desiredGroups } from "./desired.js";
import { planSlices, type SliceObject } from "./reconcile.js";

const svc: ServiceObject = {
  metadata: { name: "web", namespace: "default", uid: "svc-uid", labels: { team: "a" } },
  spec: { selector: { app: "web" }, clusterIP: "10.96.1.1", ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
};

function pod(i: number, opts: { ready?: boolean; deleting?: boolean } = {}): PodObject {
  return {
    metadata: { name: `p${i}`, namespace: "default", uid: `uid-${i}`, labels: { app: "web" }, ...(opts.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "i" }] },
    status: { phase: "Running", podIP: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`, conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  };
}

const pods = (n: number) => Array.from({ length: n }, (_, i) => pod(i));
const zones = (node: string) => (node === "node-1" ? "zone-a" : undefined);

/** Applies a plan as the API would (names for creates), returning the resulting slices. */
function apply(existing: SliceObject[], plan: ReturnType<typeof planSlices>): SliceObject[] {
  let n = existing.length;
  const gone = new Set(plan.delete.map((s) => s.metadata?.name));
  const updated = new Map(plan.update.map((s) => [s.metadata?.name, s]));
  const out = existing.filter((s) => !gone.has(s.metadata?.name)).map((s) => updated.get(s.metadata?.name) ?? s);
  for (const s of plan.create) out.push({ ...s, metadata: { ...s.metadata, name: `web-${n++}` } });
  return out;
}

describe("planSlices", () => {
  it("puts at most 100 endpoints in a slice, with the service's labels, owner and conditions", () => {
    const plan = planSlices(svc, { existing: [], desired: desiredGroups(svc, pods(250), { zoneOf: zones }) });
    assert.deepEqual(plan.create.map((s) => s.endpoints.length), [100, 100, 50]);
    const s = plan.create[0]!;
    assert.equal(s.addressType, "IPv4");
    assert.equal(s.metadata?.generateName, "web-");
    assert.deepEqual(s.metadata?.labels, { team: "a", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
    assert.equal(s.metadata?.ownerReferences?.[0]?.uid, "svc-uid");
    assert.deepEqual(s.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
    assert.deepEqual(s.endpoints[0]!.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(s.endpoints[0]!.zone, "zone-a");
    assert.equal(s.endpoints[0]!.nodeName, "node-1");
  });

  it("changes only the slice holding a changed endpoint and fills free room before creating slices", () => {
    const first = apply([], planSlices(svc, { existing: [], desired: desiredGroups(svc, pods(150), { zoneOf: zones }) }));
    const changed = pods(150);
    changed[120] = pod(120, { deleting: true });
    const plan = planSlices(svc, { existing: first, desired: desiredGroups(svc, changed, { zoneOf: zones }) });
    assert.equal(plan.create.length + plan.delete.length, 0);
    assert.equal(plan.update.length, 1);
    const e = plan.update[0]!.endpoints.find((x) => x.targetRef?.name === "p120")!;
    assert.deepEqual(e.conditions, { ready: false, serving: true, terminating: true });
    // 30 more pods fit in the half-empty slice.
    const grown = planSlices(svc, { existing: first, desired: desiredGroups(svc, [...pods(180)], { zoneOf: zones }) });
    assert.equal(grown.create.length, 0);
    assert.deepEqual(grown.update.map((s) => s.endpoints.length), [80]);
    // Nothing changed: nothing written.
    const same = planSlices(svc, { existing: first, desired: desiredGroups(svc, pods(150), { zoneOf: zones }) });
    assert.deepEqual([same.create.length, same.update.length, same.delete.length], [0, 0, 0]);
  });

  it("deletes emptied slices and keeps one placeholder when no endpoint remains", () => {
    const first = apply([], planSlices(svc, { existing: [], desired: desiredGroups(svc, pods(150), { zoneOf: zones }) }));
    const fewer = planSlices(svc, { existing: first, desired: desiredGroups(svc, pods(150).slice(0, 100), { zoneOf: zones }) });
    assert.deepEqual(fewer.delete.map((s) => s.metadata?.name), ["web-1"]);
    const none = planSlices(svc, { existing: first, desired: desiredGroups(svc, [], { zoneOf: zones }) });
    assert.equal(none.update.length, 1);
    assert.deepEqual(none.update[0]!.endpoints, []);
    assert.equal(none.delete.length, 1);
    const fresh = planSlices(svc, { existing: [], desired: desiredGroups(svc, [], { zoneOf: zones }) });
    assert.equal(fresh.create.length, 1);
    assert.deepEqual(fresh.create[0]!.endpoints, []);
  });
});

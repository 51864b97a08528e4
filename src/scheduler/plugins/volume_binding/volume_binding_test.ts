// VolumeBinding in the whole scheduler against the fake API server; the test plays the binder and provisioner
// (binding a claim once the scheduler has picked a node for it).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../../api/object.js";
import type { Pod } from "../../framework/api_types.js";
import { Scheduler } from "../../scheduler.js";
import { forCreate, makeNode, makePod } from "../../testing/builders.js";
import { startFakeCluster, type FakeCluster } from "../../testing/fake_cluster.js";
import { waitFor } from "../../testing/wait.js";
import { ANN_SELECTED_NODE, ERR_UNBOUND_IMMEDIATE } from "./volume_binding.js";

let cluster: FakeCluster;
let stop: AbortController;
let done: Promise<void> | undefined;

const ref = (resource: string, group = "") => cluster.server.store.find(group, resource)!;
const store = () => cluster.server.store;
const pod = (name: string) => store().get(ref("pods"), "default", name) as StoredObject & Pod;
const claim = (name: string) => store().get(ref("persistentvolumeclaims"), "default", name) as StoredObject & PersistentVolumeClaim;

function addClass(name: string, mode: "Immediate" | "WaitForFirstConsumer", provisioner = "k8ts.io/local-path"): void {
  store().create(ref("storageclasses", "storage.k8s.io"), "", { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner, volumeBindingMode: mode } as StoredObject);
}
function addClaim(name: string, cls: string, volumeName?: string): void {
  const c: PersistentVolumeClaim = { metadata: { name }, spec: { storageClassName: cls, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName } };
  store().create(ref("persistentvolumeclaims"), "default", c as StoredObject);
}
function addVolume(name: string, cls: string, node: string, claimName?: string, phase?: string): void {
  const v: PersistentVolume = {
    metadata: { name },
    spec: {
      storageClassName: cls,
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      hostPath: { path: `/tmp/${name}` },
      claimRef: claimName ? { namespace: "default", name: claimName } : undefined,
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
    },
    status: { phase: phase ?? (claimName ? "Bound" : "Available") },
  };
  store().create(ref("persistentvolumes"), "", v as StoredObject);
}
/** What the binder does: claim and volume Bound to each other. */
function bindClaim(name: string, volume: string): void {
  const c = claim(name);
  const bound = store().update(ref("persistentvolumeclaims"), "default", name, { ...c, spec: { ...c.spec, volumeName: volume } } as StoredObject);
  store().update(ref("persistentvolumeclaims"), "default", name, { ...bound, status: { phase: "Bound" } } as StoredObject, "status");
}
function addPodWithClaim(name: string, claimName: string): void {
  const p = makePod(name, { cpu: "100m" });
  p.spec!.volumes = [{ name: "data", persistentVolumeClaim: { claimName } }];
  store().create(ref("pods"), "default", forCreate(p));
}
const unschedulableMessage = (name: string) => pod(name).status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False")?.message;

beforeEach(async () => {
  cluster = await startFakeCluster();
  stop = new AbortController();
  for (const n of ["node-a", "node-b", "node-c"]) store().create(ref("nodes"), "", forCreate(makeNode(n, { cpu: "4", memory: "8Gi", labels: { "kubernetes.io/hostname": n } })));
  done = new Scheduler({ client: cluster.client, leaderElect: false, random: () => 0 }).run(stop.signal);
});

afterEach(async () => {
  stop.abort();
  await done;
  await cluster.close();
});

describe("VolumeBinding", () => {
  it("a missing claim keeps the pod Pending with the reason; once the claim exists, bound to a node-pinned volume, the pod goes to that node", async () => {
    addPodWithClaim("p", "data");
    const msg = await waitFor("unschedulable condition", () => unschedulableMessage("p"));
    assert.match(msg, /persistentvolumeclaim "data" not found/);
    addClass("manual", "Immediate", "kubernetes.io/no-provisioner");
    addVolume("pv-b", "manual", "node-b", "data");
    addClaim("data", "manual", "pv-b");
    store().update(ref("persistentvolumeclaims"), "default", "data", { ...claim("data"), status: { phase: "Bound" } } as StoredObject, "status");
    const node = await waitFor("pod bound", () => pod("p").spec?.nodeName);
    assert.equal(node, "node-b");
  });

  it("an unbound claim of an Immediate class makes the pod unschedulable until it is bound", async () => {
    addClass("fast", "Immediate");
    addClaim("imm", "fast");
    addPodWithClaim("q", "imm");
    const msg = await waitFor("unschedulable condition", () => unschedulableMessage("q"));
    assert.match(msg, new RegExp(ERR_UNBOUND_IMMEDIATE));
    assert.equal(pod("q").spec?.nodeName, undefined);
    addVolume("pv-c", "fast", "node-c", "imm");
    bindClaim("imm", "pv-c");
    assert.equal(await waitFor("pod bound", () => pod("q").spec?.nodeName), "node-c");
  });

  it("WaitForFirstConsumer with a provisioner: the claim is annotated with the chosen node and the pod is bound there only after the claim is", async () => {
    addClass("local-path", "WaitForFirstConsumer");
    addClaim("wffc", "local-path");
    addPodWithClaim("r", "wffc");
    const selected = await waitFor("selected-node annotation", () => claim("wffc").metadata.annotations?.[ANN_SELECTED_NODE]);
    assert.ok(["node-a", "node-b", "node-c"].includes(selected));
    // The pod waits in PreBind for the claim.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pod("r").spec?.nodeName, undefined);
    addVolume("pvc-made", "local-path", selected, "wffc");
    bindClaim("wffc", "pvc-made");
    assert.equal(await waitFor("pod bound", () => pod("r").spec?.nodeName), selected);
  });

  it("WaitForFirstConsumer without a provisioner: a free volume pins the pod to its node and is pre-bound to the claim", async () => {
    addClass("local-static", "WaitForFirstConsumer", "kubernetes.io/no-provisioner");
    addVolume("pv-static-c", "local-static", "node-c");
    addClaim("st", "local-static");
    addPodWithClaim("s", "st");
    const pv = await waitFor("volume pre-bound", () => (store().get(ref("persistentvolumes"), "", "pv-static-c") as StoredObject & PersistentVolume).spec?.claimRef);
    assert.deepEqual([pv.namespace, pv.name, pv.uid], ["default", "st", claim("st").metadata.uid]);
    bindClaim("st", "pv-static-c");
    assert.equal(await waitFor("pod bound", () => pod("s").spec?.nodeName), "node-c");
    // No free volume left for a second claim of the class: unschedulable.
    addClaim("st2", "local-static");
    addPodWithClaim("s2", "st2");
    // (The scheduler may see the pod before its claim: the reason changes once it sees both.)
    const msg = await waitFor("unschedulable for want of a volume", () => /didn't find available persistent volumes to bind/.test(unschedulableMessage("s2") ?? "") && unschedulableMessage("s2"));
    assert.match(msg, /^0\/3 nodes are available/);
    assert.equal(pod("s2").spec?.nodeName, undefined);
  });

  it("WaitForFirstConsumer: a volume pre-bound to the claim by the user takes the pod to its node", async () => {
    addClass("local-static2", "WaitForFirstConsumer", "kubernetes.io/no-provisioner");
    addVolume("pv-free-b", "local-static2", "node-b");
    addVolume("pv-mine-a", "local-static2", "node-a", "mine", "Available");
    addClaim("mine", "local-static2");
    addPodWithClaim("m", "mine");
    const uid = await waitFor("uid filled into the pre-bound volume", () => (store().get(ref("persistentvolumes"), "", "pv-mine-a") as StoredObject & PersistentVolume).spec?.claimRef?.uid);
    assert.equal(uid, claim("mine").metadata.uid);
    assert.equal((store().get(ref("persistentvolumes"), "", "pv-free-b") as StoredObject & PersistentVolume).spec?.claimRef, undefined);
    bindClaim("mine", "pv-mine-a");
    assert.equal(await waitFor("pod bound", () => pod("m").spec?.nodeName), "node-a");
  });
});

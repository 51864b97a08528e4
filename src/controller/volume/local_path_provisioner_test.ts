// The local-path provisioner with the binder and the scheduler of a real in-process server (startServer), on
// simulated nodes: Node objects without agents. The test plays the kubelet: it creates the volume directory the
// way hostPath DirectoryOrCreate does, and runs the helper pod's `rm -rf` itself before marking the pod Succeeded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer, type RunningServer } from "../../daemons/server.js";
import { isNotFound } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { HELPER_IMAGE, HELPER_LABEL, type PodObject } from "./helper_pod.js";
import { pvc, until } from "./testing.js";
import { ANN_SELECTED_NODE, type ClaimObject, type VolumeObject } from "./volume_util.js";

describe("local-path provisioner (in-process server, simulated nodes)", () => {
  let server: RunningServer;
  let client: Client;
  let dir: string;
  const volumes = () => client.resource<VolumeObject>(resources.persistentvolumes);
  const claims = () => client.resource<ClaimObject>(resources.persistentvolumeclaims);
  const pods = () => client.resource<PodObject>(resources.pods);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-local-path-"));
    server = await startServer({
      dataDir: join(dir, "server"), port: 0, logger: silentLogger, leaderElect: false, metrics: false, localPathDir: join(dir, "default-base"),
      controllerManager: { controllers: ["persistentvolume-binder", "local-path-provisioner", "statefulset", "pvc-protection", "pv-protection"] },
    });
    client = createClient({ server: server.url });
    for (const name of ["sim-a", "sim-b"]) {
      const n: Node & KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } };
      await client.resource(resources.nodes).create(undefined, n);
      await client.resource(resources.nodes).patch(undefined, name, "merge", { status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" }, capacity: { cpu: "4", memory: "8Gi", pods: "110" }, conditions: [{ type: "Ready", status: "True" }] } }, { subresource: "status" });
    }
  });
  after(async () => {
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A pod using the claim, pinned by node selector when asked. */
  async function podFor(name: string, claim: string, node?: string): Promise<void> {
    await pods().create("default", {
      apiVersion: "v1", kind: "Pod", metadata: { name },
      spec: { nodeSelector: node ? { "kubernetes.io/hostname": node } : undefined, containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: claim } }] },
    });
  }

  /** What the kubelet would do with a helper pod: run its rm -rf against the host path, then report the phase. */
  async function runHelper(volume: string, outcome: "Succeeded" | "Failed"): Promise<PodObject> {
    const helper = await until(`helper pod for ${volume}`, async () => (await pods().list("kube-system")).items.find((p) => p.metadata?.labels?.[HELPER_LABEL] === volume && !p.status?.phase?.match(/Succeeded|Failed/)));
    const c = helper.spec!.containers[0]!;
    const hostParent = helper.spec!.volumes![0]!.hostPath!.path;
    assert.equal(c.command?.[0], "rm");
    assert.equal(c.command?.[1], "-rf");
    assert.equal(c.volumeMounts?.[0]?.mountPath, "/data-parent");
    if (outcome === "Succeeded") rmSync(join(hostParent, basename(c.command![2]!)), { recursive: true, force: true });
    await pods().patch("kube-system", helper.metadata!.name!, "merge", { status: { phase: outcome } }, { subresource: "status" });
    return helper;
  }

  test("a claim of the default class is provisioned on the node the scheduler picks, bound, and its pod scheduled there", async () => {
    await claims().create("default", pvc("data", "2Gi", { cls: null }));
    await podFor("user", "data", "sim-b");
    const pod = await until("pod bound to a node", async () => (await pods().get("default", "user")).spec?.nodeName);
    assert.equal(pod, "sim-b");
    const c = await claims().get("default", "data");
    assert.equal(c.spec?.storageClassName, "local-path");
    assert.equal(c.metadata?.annotations?.[ANN_SELECTED_NODE], "sim-b");
    assert.equal(c.status?.phase, "Bound");
    const v = await volumes().get(undefined, c.spec!.volumeName!);
    assert.equal(v.metadata?.name, `pvc-${c.metadata?.uid}`);
    assert.deepEqual(v.spec?.hostPath, { path: join(dir, "default-base", `default_data_${v.metadata?.name}`), type: "DirectoryOrCreate" });
    assert.deepEqual(v.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions, [{ key: "kubernetes.io/hostname", operator: "In", values: ["sim-b"] }]);
    assert.deepEqual([v.spec?.capacity?.storage, v.spec?.accessModes, v.spec?.storageClassName, v.spec?.persistentVolumeReclaimPolicy], ["2Gi", ["ReadWriteOnce"], "local-path", "Delete"]);
    assert.equal(v.status?.phase, "Bound");
  });

  test("reclaim Delete: a helper pod on the volume's node removes the directory, then the volume is deleted; a failed helper is retried", async () => {
    await client.resource(resources.storageclasses).create(undefined, {
      apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "custom-base" },
      provisioner: "k8ts.io/local-path", volumeBindingMode: "WaitForFirstConsumer", parameters: { basePath: join(dir, "custom") },
    });
    await claims().create("default", pvc("scratch", "1Gi", { cls: "custom-base" }));
    await podFor("scratcher", "scratch");
    const node = await until("pod bound", async () => (await pods().get("default", "scratcher")).spec?.nodeName);
    const c = await claims().get("default", "scratch");
    const v = await volumes().get(undefined, c.spec!.volumeName!);
    const path = v.spec!.hostPath!.path;
    assert.equal(path, join(dir, "custom", `default_scratch_${v.metadata?.name}`));
    // The kubelet's DirectoryOrCreate, and the pod's data.
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, "f"), "x");

    await pods().delete("default", "scratcher", { gracePeriodSeconds: 0 });
    await claims().delete("default", "scratch");
    const failed = await runHelper(v.metadata!.name!, "Failed");
    assert.equal(failed.spec?.nodeName, node);
    assert.equal(failed.spec?.containers[0]?.image, HELPER_IMAGE);
    assert.deepEqual(failed.spec?.volumes?.[0]?.hostPath, { path: join(dir, "custom"), type: "DirectoryOrCreate" });
    assert.equal((await volumes().get(undefined, v.metadata!.name!)).status?.phase, "Released", "kept while cleanup has not succeeded");
    assert.ok(existsSync(path));
    // A user deleting the volume now does not skip the cleanup: it stays, Terminating, until the helper succeeds.
    await volumes().delete(undefined, v.metadata!.name!);
    await new Promise((r) => setTimeout(r, 300));
    const terminating = await volumes().get(undefined, v.metadata!.name!);
    assert.ok(terminating.metadata?.deletionTimestamp);
    assert.ok(terminating.metadata?.finalizers?.includes("k8ts.io/local-path-cleanup"));
    await runHelper(v.metadata!.name!, "Succeeded");
    await until("volume deleted", async () => volumes().get(undefined, v.metadata!.name!).then(() => false, (err) => isNotFound(err)));
    assert.equal(existsSync(path), false);
    await until("helper pod deleted", async () => (await pods().list("kube-system")).items.every((p) => !p.metadata?.labels?.[HELPER_LABEL]));
  });

  test("a class with volumeBindingMode Immediate is not provisioned (a local volume needs its pod's node first)", async () => {
    await client.resource(resources.storageclasses).create(undefined, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "local-immediate" }, provisioner: "k8ts.io/local-path", volumeBindingMode: "Immediate" });
    await claims().create("default", pvc("early", "1Gi", { cls: "local-immediate" }));
    const ev = await until("ProvisioningFailed event", async () => (await client.resource<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>(resources.events).list("default")).items.find((e) => e.involvedObject?.name === "early" && e.reason === "ProvisioningFailed"));
    assert.match(ev.message ?? "", /WaitForFirstConsumer/);
    assert.equal((await claims().get("default", "early")).status?.phase, "Pending");
  });

  test("a StatefulSet's claims get local-path volumes on their pods' nodes; a deleted pod comes back to its volume's node", async () => {
    const sets = client.resource(resources.statefulsets);
    await sets.create("default", {
      apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "web" },
      spec: {
        replicas: 2, serviceName: "web", podManagementPolicy: "Parallel", selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    });
    const placed = new Map<string, string>();
    for (const i of [0, 1]) {
      const node = await until(`web-${i} bound`, async () => (await pods().get("default", `web-${i}`).catch(() => undefined))?.spec?.nodeName);
      const c = await until(`data-web-${i} Bound`, async () => {
        const cur = await claims().get("default", `data-web-${i}`);
        return cur.status?.phase === "Bound" ? cur : undefined;
      });
      assert.equal(c.spec?.storageClassName, "local-path");
      const v = await volumes().get(undefined, c.spec!.volumeName!);
      assert.deepEqual(v.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values, [node]);
      placed.set(`web-${i}`, node);
    }
    // The pod is replaced under the same name, with the same claim, and only fits the node its volume lives on:
    // with that node cordoned it waits, although the other node is free.
    const home = placed.get("web-0")!;
    await client.resource(resources.nodes).patch(undefined, home, "merge", { spec: { unschedulable: true } });
    const old = await pods().get("default", "web-0");
    await pods().delete("default", "web-0", { gracePeriodSeconds: 0 });
    const why = await until("web-0 recreated and unschedulable", async () => {
      const p = await pods().get("default", "web-0").catch(() => undefined);
      if (!p || p.metadata?.uid === old.metadata?.uid) return undefined;
      assert.equal(p.spec?.nodeName, undefined);
      return p.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False")?.message;
    });
    assert.match(why, /1 node\(s\) had volume node affinity conflict/);
    await client.resource(resources.nodes).patch(undefined, home, "merge", { spec: { unschedulable: false } });
    const again = await until("web-0 bound", async () => {
      const p = await pods().get("default", "web-0").catch(() => undefined);
      return p && p.metadata?.uid !== old.metadata?.uid && p.spec?.nodeName ? p : undefined;
    });
    assert.equal(again.spec?.nodeName, home);
    assert.equal((await claims().list("default")).items.filter((c) => c.metadata?.name?.startsWith("data-web-")).length, 2, "no new claim");
  });
});

// The PersistentVolume binder against a real in-process API server (startServer: real registry, validation and
// admission over HTTP), with only the binder running: the test plays user and, where needed, provisioner.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer, type RunningServer } from "../../daemons/server.js";
import { isNotFound } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { pv, pvc, until } from "./testing.js";
import { ANN_BIND_COMPLETED, ANN_DEFAULT_CLASS, type ClaimObject, type VolumeObject } from "./volume_util.js";

describe("PersistentVolume binder (in-process server)", () => {
  let server: RunningServer;
  let client: Client;
  let dir: string;
  const volumes = () => client.resource<VolumeObject>(resources.persistentvolumes);
  const claims = () => client.resource<ClaimObject>(resources.persistentvolumeclaims);
  const claimPhase = async (name: string) => (await claims().get("default", name)).status?.phase;
  const volumePhase = async (name: string) => (await volumes().get(undefined, name)).status?.phase;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-pv-"));
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, leaderElect: false, scheduler: false, metrics: false, controllerManager: { controllers: ["persistentvolume-binder", "pvc-protection", "pv-protection"] } });
    client = createClient({ server: server.url });
  });
  after(async () => {
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("an Immediate claim binds the smallest Available volume that fits; phases and fields on both sides", async () => {
    await volumes().create(undefined, pv("big", "10Gi"));
    await volumes().create(undefined, pv("small", "2Gi"));
    await volumes().create(undefined, pv("tiny", "500Mi"));
    await volumes().create(undefined, pv("rox", "2Gi", { modes: ["ReadOnlyMany"] }));
    await until("volumes Available", async () => (await volumePhase("small")) === "Available" && (await volumePhase("big")) === "Available");
    await claims().create("default", pvc("data", "1Gi"));
    await until("claim Bound", async () => (await claimPhase("data")) === "Bound");
    const c = await claims().get("default", "data");
    assert.equal(c.spec?.volumeName, "small");
    assert.equal(c.status?.capacity?.storage, "2Gi");
    assert.deepEqual(c.status?.accessModes, ["ReadWriteOnce"]);
    assert.equal(c.metadata?.annotations?.[ANN_BIND_COMPLETED], "yes");
    const v = await volumes().get(undefined, "small");
    assert.equal(v.status?.phase, "Bound");
    assert.deepEqual([v.spec?.claimRef?.namespace, v.spec?.claimRef?.name, v.spec?.claimRef?.uid], ["default", "data", c.metadata?.uid]);
    assert.equal(await volumePhase("big"), "Available");
  });

  test("no volume of the class, access modes or selector: the claim stays Pending", async () => {
    await volumes().create(undefined, pv("labelled", "3Gi", { labels: { tier: "gold" } }));
    await claims().create("default", pvc("wrong-class", "1Gi", { cls: "other" }));
    await claims().create("default", pvc("wrong-mode", "1Gi", { modes: ["ReadWriteMany"] }));
    await claims().create("default", pvc("gold", "1Gi", { selector: { tier: "gold" } }));
    await claims().create("default", pvc("silver", "1Gi", { selector: { tier: "silver" } }));
    await until("gold Bound", async () => (await claimPhase("gold")) === "Bound");
    assert.equal((await claims().get("default", "gold")).spec?.volumeName, "labelled");
    for (const n of ["wrong-class", "wrong-mode", "silver"]) {
      const c = await claims().get("default", n);
      assert.equal(c.status?.phase, "Pending", n);
      assert.equal(c.spec?.volumeName, undefined, n);
    }
  });

  test("pre-binding: a claim naming a volume gets that one; a volume whose claimRef names a claim goes to it", async () => {
    await volumes().create(undefined, pv("chosen", "8Gi"));
    await volumes().create(undefined, pv("reserved", "1Gi", { claim: { namespace: "default", name: "later" } }));
    await claims().create("default", pvc("picky", "1Gi", { volumeName: "chosen" }));
    await until("picky Bound", async () => (await claimPhase("picky")) === "Bound");
    assert.equal((await volumes().get(undefined, "chosen")).spec?.claimRef?.name, "picky");
    // "reserved" fits an unrelated 1Gi claim but is kept for "later".
    await claims().create("default", pvc("other", "1Gi", { cls: "manual", modes: ["ReadWriteOnce"], selector: { none: "x" } }));
    await claims().create("default", pvc("later", "1Gi"));
    await until("later Bound", async () => (await claimPhase("later")) === "Bound");
    assert.equal((await claims().get("default", "later")).spec?.volumeName, "reserved");
  });

  test("deleting a claim: Retain leaves the volume Released, Delete removes it", async () => {
    await volumes().create(undefined, pv("keep", "1Gi", { cls: "reclaim-retain" }));
    await volumes().create(undefined, pv("drop", "1Gi", { cls: "reclaim-delete", policy: "Delete" }));
    await claims().create("default", pvc("c-keep", "1Gi", { cls: "reclaim-retain" }));
    await claims().create("default", pvc("c-drop", "1Gi", { cls: "reclaim-delete" }));
    await until("both Bound", async () => (await claimPhase("c-keep")) === "Bound" && (await claimPhase("c-drop")) === "Bound");
    await claims().delete("default", "c-keep");
    await claims().delete("default", "c-drop");
    await until("keep Released", async () => (await volumePhase("keep")) === "Released");
    await until("drop deleted", async () => volumes().get(undefined, "drop").then(() => false, (err) => isNotFound(err)));
    // A Released volume is not handed to a new claim (its data belongs to the old one).
    await claims().create("default", pvc("c-new", "1Gi", { cls: "reclaim-retain" }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await claimPhase("c-new"), "Pending");
  });

  test("a Bound volume being deleted stays while bound; forced away (finalizer removed), its claim is Lost", async () => {
    await volumes().create(undefined, pv("fleeting", "1Gi", { cls: "lost" }));
    await claims().create("default", pvc("c-lost", "1Gi", { cls: "lost" }));
    await until("Bound", async () => (await claimPhase("c-lost")) === "Bound");
    await volumes().delete(undefined, "fleeting");
    const v = await volumes().get(undefined, "fleeting");
    assert.ok(v.metadata?.deletionTimestamp);
    assert.deepEqual(v.metadata?.finalizers, ["kubernetes.io/pv-protection"]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await volumePhase("fleeting"), "Bound", "kept while its claim is bound to it");
    await volumes().patch(undefined, "fleeting", "merge", { metadata: { finalizers: null } });
    await until("Lost", async () => (await claimPhase("c-lost")) === "Lost");
  });

  test("pvc-protection: a claim deleted while a pod uses it stays until the pod is gone", async () => {
    const c = await claims().create("default", pvc("in-use", "1Gi", { cls: "protected" }));
    assert.deepEqual(c.metadata?.finalizers, ["kubernetes.io/pvc-protection"]);
    const pods = client.resource(resources.pods);
    await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "user" }, spec: { containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "in-use" } }] } });
    await claims().delete("default", "in-use");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await claims().get("default", "in-use")).metadata?.deletionTimestamp, "still there, Terminating");
    await pods.delete("default", "user", { gracePeriodSeconds: 0 });
    await until("claim gone", async () => claims().get("default", "in-use").then(() => false, (err) => isNotFound(err)));
  });

  test("the server's default class local-path: a claim naming no class gets it, one naming \"\" keeps no class", async () => {
    const sc = await client.resource(resources.storageclasses).get(undefined, "local-path");
    assert.equal(sc.metadata?.annotations?.[ANN_DEFAULT_CLASS], "true");
    assert.deepEqual([sc.provisioner, sc.reclaimPolicy, sc.volumeBindingMode], ["k8ts.io/local-path", "Delete", "WaitForFirstConsumer"]);
    const defaulted = await claims().create("default", pvc("no-class", "1Gi", { cls: null }));
    assert.equal(defaulted.spec?.storageClassName, "local-path");
    const none = await claims().create("default", pvc("empty-class", "1Gi", { cls: "" }));
    assert.equal(none.spec?.storageClassName, "");
    // WaitForFirstConsumer: nothing happens until a pod's node is chosen.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await claimPhase("no-class"), "Pending");
  });
});

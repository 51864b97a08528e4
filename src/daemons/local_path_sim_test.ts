// local-path on hollow nodes (the simulated kubelet of `k8ts sim` / `--runtime simulated`) against a whole in-process
// server, nothing played by the test: a claim with no class is provisioned on the node its pod is scheduled to and
// the pod runs; deleting pod and claim runs the cleanup helper on that node, which finishes, and the volume is
// deleted.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";
import { isNotFound } from "../machinery/errors.js";
import { silentLogger } from "../util/log.js";
import { startServer } from "./server.js";

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("local-path on hollow nodes: provisioned on the pod's node, cleaned up by a helper pod that finishes, deleted", { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-local-path-sim-"));
  const server = await startServer({ dataDir: join(dir, "server"), port: 0, logger: silentLogger, leaderElect: false, metrics: false, localPathDir: join(dir, "volumes") });
  const client = createClient({ server: server.url });
  const ac = new AbortController();
  const sim = new HollowNodes({ client, count: 2, capacity: { cpu: "8", memory: "16Gi", pods: "50" } });
  const running = sim.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const claims = client.resource<PersistentVolumeClaim & KubeObject>(resources.persistentvolumeclaims);
  const volumes = client.resource<PersistentVolume & KubeObject>(resources.persistentvolumes);
  const pods = client.resource<Pod & KubeObject>(resources.pods);
  await claims.create("default", { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
  await pods.create("default", {
    apiVersion: "v1", kind: "Pod", metadata: { name: "app" },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "d", mountPath: "/data" }] }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] },
  });
  const pod = await until("pod Running", async () => {
    const p = await pods.get("default", "app");
    return p.status?.phase === "Running" ? p : undefined;
  });
  const claim = await claims.get("default", "data");
  assert.equal(claim.status?.phase, "Bound");
  const pvName = claim.spec!.volumeName!;
  const pv = await volumes.get(undefined, pvName);
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values, [pod.spec!.nodeName]);

  await pods.delete("default", "app", { gracePeriodSeconds: 0 });
  await until("pod gone", async () => pods.get("default", "app").then(() => false, (err) => isNotFound(err)));
  await claims.delete("default", "data");
  await until("volume deleted", async () => volumes.get(undefined, pvName).then(() => false, (err) => isNotFound(err)));
  await until("helper pod gone", async () => (await pods.list("kube-system")).items.every((p) => !p.metadata?.name?.startsWith("helper-pod-delete-")));
});

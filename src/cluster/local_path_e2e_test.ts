// The local-path provisioner on a real 2-node containerd cluster, through the real kubectl: a claim naming no class
// gets the default class local-path; the scheduler picks a node for its first pod and annotates the claim; the
// provisioner makes a PersistentVolume pinned to that node, the binder binds it, the kubelet creates the directory
// and mounts it; the file the pod writes is in that directory on the host. Deleting the pod and the claim releases
// the volume, a helper pod on the node removes the directory, and the volume is deleted.
// Needs root and the containerd prerequisites; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { isNotFound } from "../machinery/errors.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until } from "./e2e_support.js";

const skip = containerdSkipReason();

const CLAIM = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
`;

test("local-path: a claim without a class is provisioned on its pod's node, holds the pod's file, and is cleaned up", { skip, timeout: 300_000 }, async (t) => {
  const { name, clusters, client, ok } = await startTestCluster(t, { prefix: "lp", nodes: 2 });
  const started = Date.now();
  assert.match(await ok(["get", "storageclass"]), /local-path \(default\)\s+k8ts\.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
  await ok(["apply", "-f", "-"], { input: CLAIM });
  const claims = client.resource<PersistentVolumeClaim & KubeObject>(resources.persistentvolumeclaims);
  const volumes = client.resource<PersistentVolume & KubeObject>(resources.persistentvolumes);
  const claim = await claims.get("default", "data");
  assert.equal(claim.spec?.storageClassName, "local-path", "DefaultStorageClass admission filled the class");
  assert.equal(claim.status?.phase, "Pending");

  const pod = busyboxPod("writer", "echo written-by-$(hostname) > /data/file && sleep 3600");
  pod.spec!.containers[0]!.volumeMounts = [{ name: "data", mountPath: "/data" }];
  pod.spec!.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }];
  await client.resource(resources.pods).create("default", pod);
  const running = await until("the writer pod Running", async () => {
    const p = await client.resource<typeof pod>(resources.pods).get("default", "writer");
    return p.status?.phase === "Running" ? p : undefined;
  });
  const node = running.spec!.nodeName!;
  log(`writer Running on ${node} after ${Date.now() - started} ms`);
  const bound = await claims.get("default", "data");
  assert.equal(bound.status?.phase, "Bound");
  assert.equal(bound.metadata?.annotations?.["volume.kubernetes.io/selected-node"], node);
  const pvName = bound.spec!.volumeName!;
  assert.equal(pvName, `pvc-${bound.metadata!.uid}`);
  const pv = await volumes.get(undefined, pvName);
  assert.equal(pv.status?.phase, "Bound");
  assert.equal(pv.spec?.persistentVolumeReclaimPolicy, "Delete");
  assert.equal(pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"], "k8ts.io/local-path");
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }]);
  const path = pv.spec!.hostPath!.path;
  assert.equal(path, join(clusters.store.dir(name), "local-path", `default_data_${pvName}`));
  const file = join(path, "file");
  await until("the pod's file on the host", async () => (existsSync(file) ? true : undefined), 30_000);
  assert.equal(readFileSync(file, "utf8"), "written-by-writer\n");
  assert.match(await ok(["get", "pv", pvName]), new RegExp(`${pvName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path`));

  await ok(["delete", "pod", "writer", "--wait=true"]);
  await ok(["delete", "pvc", "data", "--wait=true"]);
  const deletedAt = Date.now();
  await until("the volume deleted", async () => volumes.get(undefined, pvName).then(() => undefined, (err) => (isNotFound(err) ? true : Promise.reject(err))), 120_000);
  log(`volume deleted ${Date.now() - deletedAt} ms after the claim`);
  assert.equal(existsSync(path), false, `${path} removed by the helper pod`);
  assert.ok(existsSync(join(clusters.store.dir(name), "local-path")), "the base directory stays");
  await until("the helper pod gone", async () => ((await client.resource(resources.pods).list("kube-system")).items.some((p) => p.metadata?.name?.startsWith("helper-pod-delete-")) ? undefined : true), 60_000);
});

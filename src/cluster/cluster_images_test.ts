// `k8ts cluster up --runtime containerd` with its image registry and static pods: the cluster's docker-registry runs
// on the bridge address, `k8ts image push` from the host puts an image there, and a pod on another node pulls it by
// name (imagePullPolicy Always); a manifest dropped into a node's manifests directory runs there with a mirror pod
// (kubectl logs and exec on the mirror reach the static pod);
// `k8ts registry down|up` stop and restart it on the same storage; `cluster down` stops it with everything else.
// Needs root, containerd, runc, the CNI plugins, the image tools and docker-registry; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { clusterCommand } from "../cli/cluster_command.js";
import { imageCommand } from "../cli/image_command.js";
import { registryCommand } from "../cli/registry_command.js";
import { resources } from "../client/resources.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { CONFIG_MIRROR_ANNOTATION } from "../kubelet/static_pods.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until, type PodObject } from "./e2e_support.js";
import { clusterRegistryStatus, registrySkipReason } from "./image_registry.js";
import { isClusterProcess } from "./processes.js";

const skip = containerdSkipReason() || registrySkipReason();

test("cluster registry: push from the host, pull by name on a node; static pods from a node's manifests directory", { skip, timeout: 400_000 }, async (t) => {
  const { name, rec, clusters, client, kubectl, down } = await startTestCluster(t, { prefix: "ci", nodes: 2 });
  const pods = client.resource<PodObject>(resources.pods);
  const reg = clusterRegistryStatus(rec, clusters.store);
  assert.equal(reg.running, true, "cluster up started the registry");
  assert.equal(reg.address, `${rec.hostIP}:5000`);

  // Push from the host (the bridge address is the host's), pull on node-1 by name.
  const image = `${reg.address}/tools/busybox:v1`;
  const pushed = await imageCommand(["push", "busybox", image]);
  assert.equal(pushed, 0);
  const pod = busyboxPod("pulled", "trap 'exit 0' TERM; sleep 3600 & wait", { node: "node-1" });
  pod.spec!.containers[0]!.image = image;
  pod.spec!.containers[0]!.imagePullPolicy = "Always";
  await pods.create("default", pod);
  const started = Date.now();
  const running = await until("the pod of the pushed image to run", async () => {
    const p = await pods.get("default", "pulled");
    return p.status?.phase === "Running" ? p : undefined;
  });
  log(`pulled from the cluster registry and Running in ${Date.now() - started} ms`);
  assert.equal(running.status?.containerStatuses?.[0]?.image, image);

  // A static pod: a manifest in node-0's manifests directory.
  const manifests = join(clusters.store.nodeDir(name, "node-0"), "manifests");
  await writeFile(
    join(manifests, "static-web.yaml"),
    `apiVersion: v1\nkind: Pod\nmetadata: {name: static-web}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: c, image: ${IMAGE_TAGS.busybox}, imagePullPolicy: IfNotPresent, command: [sh, -c, "echo static-hello; trap 'exit 0' TERM; sleep 3600 & wait"]}\n`,
  );
  const mirror = await until("the static pod's mirror to be Running", async () => {
    const p = await pods.get("default", "static-web-node-0").catch(() => undefined);
    return p?.status?.phase === "Running" ? p : undefined;
  });
  assert.ok(mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION]);
  assert.equal(mirror.spec?.nodeName, "node-0");
  const shown = await kubectl(["get", "pod", "static-web-node-0", "--no-headers"]);
  log(`kubectl get pod static-web-node-0: ${shown.stdout.trim()}`);
  assert.match(shown.stdout, /static-web-node-0\s+1\/1\s+Running/);
  // Logs and exec through the mirror pod reach the static pod's container.
  const logs = await kubectl(["logs", "static-web-node-0"]);
  assert.equal(logs.stdout.trim(), "static-hello", logs.stderr);
  const exec = await kubectl(["exec", "static-web-node-0", "--", "sh", "-c", "echo in-$HOSTNAME"]);
  assert.equal(exec.stdout.trim(), "in-static-web-node-0", exec.stderr);

  // cluster status names the registry.
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
  try {
    await clusterCommand(["status", "--name", name, "--root", clusters.store.root]);
  } finally {
    process.stdout.write = write;
  }
  assert.match(out.join(""), new RegExp(`registry +${reg.address.replace(/\./g, "\\.")} running`));

  // k8ts registry down stops it (pulls of new images then fail), up starts it again on the same storage.
  const cli = ["--name", name, "--root", clusters.store.root];
  assert.equal(await registryCommand(["down", ...cli]), 0);
  assert.equal(clusterRegistryStatus(rec, clusters.store).running, false);
  assert.equal(await registryCommand(["up", ...cli]), 0);
  const again = clusterRegistryStatus(rec, clusters.store);
  assert.equal(again.running, true);
  const tags = (await (await fetch(`http://${again.address}/v2/tools/busybox/tags/list`)).json()) as { tags?: string[] };
  assert.deepEqual(tags.tags, ["v1"], "the pushed image survived the restart");

  const dir = clusters.store.dir(name);
  await down();
  assert.equal(isClusterProcess(again.pid, dir), false, "cluster down stopped the registry");
});

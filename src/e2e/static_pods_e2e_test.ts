// Static pods end to end: a k8ts server in this process, a real containerd in a network namespace this test creates,
// the node agent reading a manifest directory, and the real kubectl. The pod runs from the file, its mirror pod shows
// in the API with the kubelet's annotations and the Node as owner, deleting the mirror brings it back without
// restarting the pod, a restarted agent adopts it, a changed file replaces the pod, and a removed file stops it and
// deletes the mirror.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { Kubelet } from "../kubelet/kubelet.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import type { CriRuntime } from "../kubelet/runtime/cri/cri_runtime.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION, StaticPodSource } from "../kubelet/static_pods.js";
import { createLogger, silentLogger } from "../util/log.js";
import { KUBECTL, eventually, startCluster, type Cluster } from "./kubectl_harness.js";

const NODE = "static-node";
const skip = criTestSkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

const t0 = Date.now();
const log = (line: string): void => void process.stderr.write(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);

describe("static pods from a manifest directory on containerd", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let runtime: CriRuntime;
  let manifests: string;
  let stop: (() => Promise<void>) | undefined;

  const getPod = async (name: string, ns = "default"): Promise<Pod | undefined> => {
    const r = await cluster.kubectl(["get", "pod", name, "-n", ns, "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
  };
  const waitFor = async (what: string, fn: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> => {
    const started = Date.now();
    assert.ok(await eventually(fn, { timeoutMs, intervalMs: 250 }), `timed out waiting for ${what}`);
    log(`${what}: ${Date.now() - started} ms`);
  };
  const runningContainers = async (podName: string): Promise<string[]> =>
    (await runtime.listContainers({ labelSelector: { "io.kubernetes.pod.name": podName } })).filter((c) => c.state === "running").map((c) => c.id);

  before(async () => {
    cluster = await startCluster({ controllers: false });
    node = await startTestNode("static", { podCIDR: "10.88.11.0/24" });
    client = fromKubeconfig(cluster.kubeconfig);
    manifests = await mkdtemp(join(tmpdir(), "k8ts-manifests-"));
    startAgent();
  });

  /** The node agent with the manifest directory as a pod source (as `k8ts agent --pod-manifest-path` runs it). */
  const startAgent = (): void => {
    runtime = node.newRuntime();
    const rt = runtime;
    const agentLog = process.env.K8TS_TEST_LOG ? createLogger() : silentLogger;
    const source = new StaticPodSource({ client, nodeName: NODE, dir: manifests, log: agentLog, rescanMs: 5000, onMirrorCreated: (uid) => kubelet.resendStatus(uid) });
    const kubelet: Kubelet = new Kubelet({
      client,
      nodeName: NODE,
      runtime: rt,
      prober: new CriProber({ runtime: rt, netns: node.netns }),
      node: { address: "10.88.11.1", osImage: "k8ts e2e node" },
      log: agentLog,
      recordEvents: false,
      rootDir: node.dir,
      podSource: source,
    });
    const ac = new AbortController();
    const running = Promise.all([kubelet.run(ac.signal), source.run(ac.signal)]);
    stop = async () => {
      ac.abort();
      await running;
      rt.close();
    };
  };

  after(async () => {
    await stop?.();
    await node?.destroy();
    if (manifests) await rm(manifests, { recursive: true, force: true });
    client?.close();
    await cluster?.stop();
  });

  it("runs a manifest's pod, keeps its mirror pod, and follows the file", async () => {
    const mirrorName = `web-${NODE}`;
    // Two documents in one YAML file, and a JSON file beside it.
    await writeFile(
      join(manifests, "web.yaml"),
      `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {tier: static}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: ${IMAGE_TAGS.busybox}
    imagePullPolicy: IfNotPresent
    command: ${JSON.stringify(SLEEPER)}
---
apiVersion: v1
kind: Pod
metadata: {name: side, namespace: kube-system}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - {name: c, image: ${IMAGE_TAGS.busybox}, imagePullPolicy: IfNotPresent, command: ${JSON.stringify(SLEEPER)}}
`,
    );
    await writeFile(join(manifests, "bad.json"), JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "bad" }, spec: { containers: [] } }));

    let mirror: Pod | undefined;
    await waitFor("mirror pod Running", async () => (mirror = await getPod(mirrorName))?.status?.phase === "Running");
    const ann = mirror!.metadata!.annotations!;
    assert.equal(ann[CONFIG_SOURCE_ANNOTATION], "file");
    assert.ok(ann[CONFIG_MIRROR_ANNOTATION], "mirror annotation");
    assert.equal(ann[CONFIG_MIRROR_ANNOTATION], ann[CONFIG_HASH_ANNOTATION]);
    const nodeUid = JSON.parse(await cluster.ok(["get", "node", NODE, "-o", "json"])).metadata.uid as string;
    assert.deepEqual(
      mirror!.metadata!.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [["Node", NODE, nodeUid, true]],
    );
    assert.equal(mirror!.spec?.nodeName, NODE);
    assert.equal(mirror!.status?.containerStatuses?.[0]?.ready, true);
    await waitFor("second document's mirror pod Running", async () => (await getPod(`side-${NODE}`, "kube-system"))?.status?.phase === "Running");
    // The invalid manifest runs nothing and makes no mirror.
    assert.equal(await getPod(`bad-${NODE}`), undefined);
    const shown = await cluster.ok(["get", "pods", "-A", "--no-headers"]);
    log(`kubectl get pods -A:\n${shown.trim()}`);
    assert.match(shown, new RegExp(`${mirrorName}\\s+1/1\\s+Running`));

    // The API server refuses to change a mirror pod's spec; its labels may change.
    const patched = await cluster.kubectl(["patch", "pod", mirrorName, "--type=json", "-p", '[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:other"}]']);
    assert.notEqual(patched.code, 0);
    assert.match(patched.stderr, /may not update the spec of a mirror pod/);
    await cluster.ok(["label", "pod", mirrorName, "seen=yes"]);

    // Deleting the mirror pod with kubectl: a new mirror comes back; the pod's container keeps running.
    const before = await runningContainers(mirrorName);
    assert.equal(before.length, 1);
    const oldUid = mirror!.metadata!.uid;
    await cluster.ok(["delete", "pod", mirrorName, "--wait=false"]);
    await waitFor("mirror pod recreated with its status", async () => {
      const p = await getPod(mirrorName);
      return !!p && p.metadata?.uid !== oldUid && !p.metadata?.deletionTimestamp && p.status?.phase === "Running";
    });
    assert.deepEqual(await runningContainers(mirrorName), before, "the static pod's container was not restarted");

    // A restarted agent adopts the static pod (same uid from the same file): same container, same mirror pod.
    const mirrorUid = (await getPod(mirrorName))!.metadata!.uid;
    await stop!();
    startAgent();
    await waitFor("restarted agent reports the static pod Ready", async () => {
      const p = await getPod(mirrorName);
      return p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true && (await runningContainers(mirrorName)).length === 1;
    });
    assert.deepEqual(await runningContainers(mirrorName), before, "not restarted by the new agent");
    assert.equal((await getPod(mirrorName))!.metadata!.uid, mirrorUid, "the mirror pod was kept");

    // A changed manifest is a new pod: the old container stops, a new one runs, the mirror carries the new hash.
    await writeFile(
      join(manifests, "web.yaml"),
      `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {tier: static, version: "2"}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - {name: c, image: ${IMAGE_TAGS.busybox}, imagePullPolicy: IfNotPresent, command: ${JSON.stringify(SLEEPER)}}
`,
    );
    await waitFor("changed manifest replaces pod and mirror", async () => {
      const p = await getPod(mirrorName);
      const now = await runningContainers(mirrorName);
      return p?.metadata?.labels?.version === "2" && p.status?.phase === "Running" && now.length === 1 && now[0] !== before[0];
    });
    // The second document left the file: its pod stops and its mirror goes.
    await waitFor("dropped document's mirror deleted", async () => (await cluster.kubectl(["get", "pod", `side-${NODE}`, "-n", "kube-system"])).code !== 0);
    await waitFor("dropped document's containers stopped", async () => (await runningContainers(`side-${NODE}`)).length === 0);

    // Removing the file: the pod stops, its sandbox goes, the mirror is deleted.
    await rm(join(manifests, "web.yaml"));
    await waitFor("mirror deleted after the file is removed", async () => (await getPod(mirrorName)) === undefined);
    await waitFor("sandbox removed", async () => (await runtime.listPodSandbox({ labelSelector: { "io.kubernetes.pod.name": mirrorName } })).length === 0);
  });
});

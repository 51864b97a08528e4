// Pulling by name from the local registry end to end: a k8ts server in this process, a real containerd in a network
// namespace this test creates, Debian's docker-registry serving plain HTTP on an address inside that namespace, the
// node's containerd told about it through hosts.toml, an image pushed with `k8ts image push`, and pods (imagePullPolicy
// Always) that pull it; a missing tag shows ErrImagePull, then ImagePullBackOff.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { imageCommand } from "../cli/image_command.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { registrySkipReason, startRegistry, type RegistryProcess } from "../cluster/image_registry.js";
import { runCommand } from "../kubelet/containerd/command.js";
import { writeInsecureRegistries } from "../kubelet/containerd/containerd_instance.js";
import { Kubelet } from "../kubelet/kubelet.js";
import type { CriRuntime } from "../kubelet/runtime/cri/cri_runtime.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { silentLogger } from "../util/log.js";
import { KUBECTL, eventually, startCluster, type Cluster } from "./kubectl_harness.js";

const NODE = "registry-node";
const REGISTRY_IP = "10.88.14.1";
const REGISTRY = `${REGISTRY_IP}:5000`;
const skip = criTestSkipReason() ?? registrySkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

const t0 = Date.now();
const log = (line: string): void => void process.stderr.write(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);

describe("pods pull from the local registry over plain HTTP", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let runtime: CriRuntime;
  let registry: RegistryProcess | undefined;
  let work: string;
  let stop: (() => Promise<void>) | undefined;

  const getPod = async (name: string): Promise<Pod | undefined> => {
    const r = await cluster.kubectl(["get", "pod", name, "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
  };
  const apply = (name: string, image: string): Promise<string> =>
    cluster.ok(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name },
        spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image, imagePullPolicy: "Always", command: SLEEPER }] },
      }),
    });
  /** Captures stdout/stderr of an in-process CLI command. */
  const run = async (fn: () => Promise<number | void>): Promise<{ code: number | void; out: string }> => {
    const w = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    let out = "";
    process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stderr.write;
    try {
      return { code: await fn(), out };
    } finally {
      process.stdout.write = w;
      process.stderr.write = e;
    }
  };

  before(async () => {
    cluster = await startCluster({ controllers: false });
    node = await startTestNode("registry", { podCIDR: "10.88.13.0/24" });
    // The registry's address lives in the node's namespace (not a loopback address, so containerd must be told that
    // it speaks plain HTTP): reachable by that containerd, nowhere else.
    await runCommand("ip", ["-n", node.netns, "addr", "add", `${REGISTRY_IP}/32`, "dev", "lo"]);
    work = await mkdtemp(join(tmpdir(), "k8ts-registry-"));
    registry = await startRegistry({ dir: join(work, "registry"), listen: REGISTRY, netns: node.netns });
    await writeInsecureRegistries(node.containerd.layout, [REGISTRY]);
    client = fromKubeconfig(cluster.kubeconfig);
    runtime = node.newRuntime();
    const kubelet = new Kubelet({
      client,
      nodeName: NODE,
      runtime,
      prober: new CriProber({ runtime, netns: node.netns }),
      node: { address: "10.88.13.1", osImage: "k8ts e2e node" },
      log: silentLogger,
      recordEvents: false,
      rootDir: node.dir,
    });
    const ac = new AbortController();
    const running = kubelet.run(ac.signal);
    stop = async () => {
      ac.abort();
      await running;
      runtime.close();
    };
  });

  after(async () => {
    await stop?.();
    await registry?.stop();
    await node?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
    client?.close();
    await cluster?.stop();
  });

  it("pushes with k8ts image push and runs a pod of that image by name", async () => {
    const image = `${REGISTRY}/k8ts/app:v1`;
    const pushed = await run(() => imageCommand(["push", "busybox", image, "--netns", node.netns]));
    assert.equal(pushed.code, 0, pushed.out);
    assert.equal(await runtime.imageStatus(image), undefined, "not on the node before the pod pulls it");
    await apply("from-registry", image);
    let p: Pod | undefined;
    const started = Date.now();
    assert.ok(await eventually(async () => (p = await getPod("from-registry"))?.status?.phase === "Running", { timeoutMs: 90_000, intervalMs: 250 }), `pod status ${JSON.stringify(p?.status)}`);
    log(`pulled and Running in ${Date.now() - started} ms`);
    assert.equal(p!.status!.containerStatuses![0]!.image, image);
    assert.ok(await runtime.imageStatus(image), "the node's containerd has the image by name");
    const reglog = readFileSync(registry!.layout.logFile, "utf8");
    assert.match(reglog, /"(HEAD|GET) \/v2\/k8ts\/app\/manifests\/v1 HTTP\/1\.1" 200 .*containerd\//, "containerd resolved the tag at the registry");
  });

  it("a tag the registry lacks: ErrImagePull, then ImagePullBackOff", async () => {
    await apply("missing-tag", `${REGISTRY}/k8ts/app:nope`);
    const seen = new Set<string>();
    let last: Pod | undefined;
    const ok = await eventually(
      async () => {
        last = await getPod("missing-tag");
        const w = last?.status?.containerStatuses?.[0]?.state?.waiting;
        if (w?.reason) seen.add(w.reason);
        return seen.has("ErrImagePull") && seen.has("ImagePullBackOff");
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    assert.ok(ok, `reasons seen ${[...seen].join(", ")}; status ${JSON.stringify(last?.status)}`);
    assert.equal(last?.status?.phase, "Pending");
    const w = last!.status!.containerStatuses![0]!.state!.waiting!;
    log(`waiting: ${w.reason}: ${w.message}`);
  });
});

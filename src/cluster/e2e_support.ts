// For end-to-end tests on a real local cluster (`k8ts cluster up --runtime containerd`): bring one up in a private
// state directory, drive it with the real kubectl and the REST client, run check pods, and take it all down after.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { kubectlRunner, type Cluster } from "../e2e/kubectl_harness.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { LocalClusters } from "./cluster.js";
import { serverUrl } from "./node_ops.js";
import { StateStore } from "./state_store.js";
import { REPO_ROOT, tsxK8ts } from "./testing.js";
import type { ClusterRecord } from "./types.js";

export type PodObject = Pod & KubeObject;

const NEEDED = ["/usr/bin/containerd", "/usr/sbin/runc", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap", "/usr/bin/ctr", "/usr/sbin/iptables-restore", "/usr/bin/nsenter", "/usr/bin/umoci"];

/** Why a real-cluster test cannot run here, or false when it can. */
export function containerdSkipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root";
  const missing = NEEDED.filter((b) => !existsSync(b));
  if (missing.length) return `containerd runtime prerequisites missing: ${missing.join(", ")} (scripts/install_deps.sh)`;
  return false;
}

const t0 = Date.now();
/** A progress line on stderr with the seconds since the test file started. */
export function log(line: string): void {
  process.stderr.write(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);
}

/** Polls probe every 200 ms until it returns something other than undefined; throws naming `what` after ms. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A busybox pod running `sh -c command` (optionally pinned to a node). */
export function busyboxPod(name: string, command: string, opts: { node?: string; labels?: Record<string, string>; restart?: "Always" | "Never" | "OnFailure" } = {}): PodObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: opts.labels },
    spec: {
      nodeName: opts.node,
      restartPolicy: opts.restart ?? "Always",
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "c", image: IMAGE_TAGS.busybox, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", command] }],
    },
  };
}

export interface TestCluster {
  name: string;
  rec: ClusterRecord;
  clusters: LocalClusters;
  client: Client;
  kubeconfig: string;
  kubectl: Cluster["kubectl"];
  ok: Cluster["ok"];
  /** Runs a check pod (restartPolicy Never) to completion in `namespace`; resolves with Succeeded or Failed. */
  check(pod: PodObject, namespace?: string): Promise<string>;
  /** Takes the cluster down now (also done after the test if not called). */
  down(): Promise<void>;
}

/**
 * Brings up a containerd cluster of `nodes` nodes in a private state directory for the test (no ~/.kube merge) and
 * registers its teardown with t.after. Names are made unique per process so parallel test files do not collide.
 */
export async function startTestCluster(t: TestContext, opts: { prefix: string; nodes?: number; timeoutMs?: number; serverArgs?: string[] }): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), "k8ts-clusters-"));
  const name = `${opts.prefix}${process.pid % 100000}`;
  const clusters = new LocalClusters({ store: new StateStore(root), k8ts: tsxK8ts(), cwd: REPO_ROOT, mergeKubeconfig: null, timeoutMs: opts.timeoutMs ?? 240_000 });
  let client: Client | undefined;
  let downed = false;
  const down = async (): Promise<void> => {
    if (downed) return;
    downed = true;
    client?.close();
    if (existsSync(join(root, name))) await clusters.down(name);
  };
  t.after(async () => {
    await down().catch((err: unknown) => console.error("cleanup:", err));
    await rm(root, { recursive: true, force: true });
  });
  const rec = await clusters.up({ name, nodes: opts.nodes ?? 3, runtime: "containerd", serverArgs: opts.serverArgs });
  log(`cluster ${name} up`);
  client = createClient({ server: serverUrl(rec) });
  const kubeconfig = clusters.store.kubeconfigPath(name);
  const { kubectl, ok } = kubectlRunner(kubeconfig, join(root, "home"));
  const c = client;
  const check = async (pod: PodObject, namespace = "default"): Promise<string> => {
    const pods = c.resource<PodObject>(resources.pods);
    const started = Date.now();
    await pods.create(namespace, pod);
    const phase = await until(`pod ${pod.metadata?.name} to finish`, async () => {
      const p = await pods.get(namespace, pod.metadata!.name!);
      return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p.status.phase : undefined;
    });
    log(`${pod.metadata?.name}: ${phase} in ${Date.now() - started} ms`);
    return phase;
  };
  return { name, rec, clusters, client, kubeconfig, kubectl, ok, check, down };
}

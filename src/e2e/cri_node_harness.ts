// One real node for end-to-end tests of the node agent: a k8ts server in this process, a containerd in a network
// namespace the test creates (runtime/cri/testing.ts), and the agent with the CRI runtime, its prober and Events on.
// Pods are bound to the node directly (spec.nodeName). close() deletes the pods, stops the agent and removes the node.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Event, Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { Kubelet } from "../kubelet/kubelet.js";
import type { CriRuntime } from "../kubelet/runtime/cri/cri_runtime.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { silentLogger } from "../util/log.js";
import { KUBECTL_BIN, eventually, startCluster, type Cluster } from "./kubectl_harness.js";

export const KUBECTL = KUBECTL_BIN(31);
/** Why these tests cannot run here (root, containerd, kubectl 1.31), or undefined. */
export const criNodeSkip = (): string | undefined => criTestSkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
/** Runs until stopped and exits at once on SIGTERM, so deletion does not wait out the grace period. */
export const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

export interface CriNode {
  cluster: Cluster;
  node: TestNode;
  client: Client;
  nodeName: string;
  /** The agent's CRI runtime (for looking at containers the way the agent does). */
  runtime: CriRuntime;
  /** Applies a pod manifest (spec gets nodeName and a 5 s grace period unless given) and answers the created pod. */
  apply(name: string, spec: Record<string, unknown>): Promise<Pod>;
  getPod(name: string): Promise<Pod>;
  waitFor(name: string, what: string, cond: (p: Pod) => boolean, timeoutMs?: number): Promise<Pod>;
  /** Events about the pod, oldest first. */
  events(name: string): Promise<Event[]>;
  /** The container's log file for an attempt (empty until it exists). */
  logOf(p: Pod, container: string, attempt?: number): string;
  close(): Promise<void>;
}

export async function startCriNode(name: string, opts: { podCIDR: string; nodeIP: string }): Promise<CriNode> {
  const nodeName = `${name}-node`;
  const cluster = await startCluster({ controllers: false });
  let node: TestNode | undefined;
  let client: Client | undefined;
  let stopAgent = async (): Promise<void> => undefined;
  try {
    node = await startTestNode(name, { podCIDR: opts.podCIDR });
    client = fromKubeconfig(cluster.kubeconfig);
    const runtime = node.newRuntime();
    const prober = new CriProber({ runtime, netns: node.netns });
    const kubelet = new Kubelet({ client, nodeName, runtime, prober, node: { address: opts.nodeIP, osImage: "k8ts e2e node" }, log: silentLogger, rootDir: node.dir });
    const ac = new AbortController();
    const running = kubelet.run(ac.signal);
    stopAgent = async () => {
      ac.abort();
      await running;
      runtime.close();
    };
    await eventually(async () => (await cluster.kubectl(["get", "node", nodeName], { bin: KUBECTL })).code === 0, { timeoutMs: 30_000 });
    // Without the controllers nothing may have made the default namespace yet.
    if ((await cluster.kubectl(["get", "namespace", "default"], { bin: KUBECTL })).code !== 0) await cluster.kubectl(["create", "namespace", "default"], { bin: KUBECTL });
    const n = node;
    const c = client;
    const getPod = async (pod: string): Promise<Pod> => JSON.parse(await cluster.ok(["get", "pod", pod, "-o", "json"], { bin: KUBECTL })) as Pod;
    return {
      cluster,
      node: n,
      client: c,
      nodeName,
      runtime,
      getPod,
      apply: async (pod, spec) => {
        const manifest = { apiVersion: "v1", kind: "Pod", metadata: { name: pod }, spec: { nodeName, terminationGracePeriodSeconds: 5, ...spec } };
        await cluster.ok(["apply", "-f", "-"], { bin: KUBECTL, input: JSON.stringify(manifest) });
        return getPod(pod);
      },
      waitFor: async (pod, what, cond, timeoutMs = 60_000) => {
        let last: Pod | undefined;
        const ok = await eventually(async () => cond((last = await getPod(pod))), { timeoutMs, intervalMs: 200 });
        assert.ok(ok, `pod ${pod}: timed out waiting for ${what}; status ${JSON.stringify(last?.status)}`);
        return last!;
      },
      events: async (pod) => {
        const list = JSON.parse(await cluster.ok(["get", "events", "--field-selector", `involvedObject.name=${pod}`, "-o", "json"], { bin: KUBECTL })) as { items: Event[] };
        return list.items.sort((a, b) => Date.parse(a.firstTimestamp ?? "") - Date.parse(b.firstTimestamp ?? ""));
      },
      logOf: (p, container, attempt = 0) => {
        const file = join(n.dir, "pods", `default_${p.metadata!.name}_${p.metadata!.uid}`, container, `${attempt}.log`);
        return existsSync(file) ? readFileSync(file, "utf8") : "";
      },
      close: async () => {
        await cluster.kubectl(["delete", "pod", "--all", "--wait=true", "--timeout=60s"], { bin: KUBECTL }).catch(() => undefined);
        await stopAgent();
        await n.destroy();
        c.close();
        await cluster.stop();
      },
    };
  } catch (err) {
    await stopAgent().catch(() => undefined);
    await node?.destroy().catch(() => undefined);
    client?.close();
    await cluster.stop();
    throw err;
  }
}

// Real pods end to end: a k8ts server in this process, a real containerd inside a network namespace this test
// creates, the node agent with the CRI runtime, and the real kubectl 1.31. Pods are bound to the node directly
// (spec.nodeName) so the run does not wait on the scheduler.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { mountsUnder, shimPids } from "../kubelet/containerd/containerd_instance.js";
import { Kubelet } from "../kubelet/kubelet.js";
import type { CriRuntime } from "../kubelet/runtime/cri/cri_runtime.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { silentLogger } from "../util/log.js";
import { KUBECTL_BIN, eventually, startCluster, type Cluster } from "./kubectl_harness.js";

const KUBECTL = KUBECTL_BIN(31);
const NODE = "cri-node";
const skip = criTestSkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
/** The sleeper exits at once on SIGTERM, so pod deletion does not wait out the grace period. */
const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

interface Agent {
  runtime: CriRuntime;
  stop(): Promise<void>;
}

function startAgent(client: Client, node: TestNode): Agent {
  const runtime = node.newRuntime();
  const prober = new CriProber({ runtime, netns: node.netns });
  const kubelet = new Kubelet({ client, nodeName: NODE, runtime, prober, node: { address: "10.88.9.1", osImage: "k8ts e2e node" }, log: silentLogger, recordEvents: false, rootDir: node.dir });
  const ac = new AbortController();
  const running = kubelet.run(ac.signal);
  return {
    runtime,
    stop: async () => {
      ac.abort();
      await running;
      runtime.close();
    },
  };
}

function pod(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, ...spec } });
}

describe("pods on containerd through kubectl", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let agent: Agent | undefined;
  const uids: string[] = [];

  const getPod = async (name: string): Promise<Pod> => JSON.parse(await cluster.ok(["get", "pod", name, "-o", "json"], { bin: KUBECTL })) as Pod;
  const apply = async (manifest: string): Promise<Pod> => {
    await cluster.ok(["apply", "-f", "-"], { bin: KUBECTL, input: manifest });
    const p = await getPod((JSON.parse(manifest) as Pod).metadata!.name!);
    uids.push(p.metadata!.uid!);
    return p;
  };
  const waitFor = async (name: string, what: string, cond: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> => {
    let last: Pod | undefined;
    const ok = await eventually(async () => cond((last = await getPod(name))), { timeoutMs, intervalMs: 200 });
    assert.ok(ok, `pod ${name}: timed out waiting for ${what}; status ${JSON.stringify(last?.status)}`);
    return last!;
  };
  const logOf = (p: Pod, container: string): string => {
    const file = join(node.dir, "pods", `default_${p.metadata!.name}_${p.metadata!.uid}`, container, "0.log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };

  before(async () => {
    cluster = await startCluster({ controllers: false });
    node = await startTestNode("e2e", { podCIDR: "10.88.9.0/24" });
    client = fromKubeconfig(cluster.kubeconfig);
    agent = startAgent(client, node);
    await eventually(async () => (await cluster.kubectl(["get", "node", NODE], { bin: KUBECTL })).code === 0, { timeoutMs: 30_000 });
  });

  after(async () => {
    await agent?.stop();
    await node?.destroy();
    client?.close();
    await cluster?.stop();
  });

  it("runs init containers one at a time, in order, before the app container", async () => {
    const watch = cluster.background(["get", "pods", "-w", "--no-headers"], { bin: KUBECTL });
    const seenLines = (): string => watch.output().split("\n").filter((l) => l.startsWith("init-order ")).join("\n");
    try {
      await apply(
        pod("init-order", {
          initContainers: [
            // Long enough for kubectl's watch to show each init state even on a loaded machine.
            { name: "first", image: "busybox", command: ["sh", "-c", "sleep 3"] },
            { name: "second", image: "busybox", command: ["sh", "-c", "sleep 3"] },
          ],
          containers: [{ name: "app", image: "busybox", command: SLEEPER }],
        }),
      );
      // kubectl get -w shows the transitions once its watch runs; polling `kubectl get` too covers a watch that
      // started late on a loaded machine.
      const polled: string[] = [];
      await eventually(
        async () => {
          const r = await cluster.kubectl(["get", "pod", "init-order", "--no-headers"], { bin: KUBECTL });
          polled.push(r.stdout.trim());
          return /Running/.test(r.stdout);
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      const p = await waitFor("init-order", "Running", (x) => x.status?.phase === "Running");
      const [first, second] = p.status!.initContainerStatuses!;
      assert.equal(first!.state?.terminated?.exitCode, 0);
      assert.equal(second!.state?.terminated?.exitCode, 0);
      assert.ok(Date.parse(first!.state!.terminated!.finishedAt!) <= Date.parse(second!.state!.terminated!.startedAt!), "second starts after first finished");
      assert.ok(Date.parse(second!.state!.terminated!.finishedAt!) <= Date.parse(p.status!.containerStatuses![0]!.state!.running!.startedAt!), "app after init");
      await eventually(async () => /Running/.test(seenLines()), { timeoutMs: 5000 });
      const seen = `${seenLines()}\n${polled.join("\n")}`;
      assert.match(seen, /Init:0\/2/);
      assert.match(seen, /Init:1\/2/);
      for (const lines of [seenLines(), polled.join("\n")]) {
        // Whatever each view saw, it saw it in order.
        const at = (s: string): number => (lines.includes(s) ? lines.indexOf(s) : -1);
        const order = ["Init:0/2", "Init:1/2", "Running"].map(at).filter((i) => i >= 0);
        assert.deepEqual(order, [...order].sort((a, b) => a - b), lines);
      }
    } finally {
      watch.proc.kill("SIGKILL");
    }
  });

  it("lets two containers of a pod talk over localhost", async () => {
    await apply(
      pod("localhost", {
        containers: [
          {
            name: "web",
            image: "busybox",
            command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"],
            ports: [{ name: "http", containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/index.html", port: "http" }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
          // busybox wget -T segfaults; timeout bounds each attempt instead.
          { name: "client", image: "busybox", command: ["sh", "-c", "until timeout 3 wget -q -O - http://127.0.0.1:8080/; do sleep 0.2; done; echo fetched; trap 'exit 0' TERM; sleep 3600 & wait"] },
        ],
      }),
    );
    // Ready needs the httpGet readiness probe to pass, run from inside the node's network namespace.
    const p = await waitFor("localhost", "Ready", (x) => x.status?.containerStatuses?.find((c) => c.name === "web")?.ready === true);
    assert.ok(await eventually(async () => /fetched/.test(logOf(p, "client")), { timeoutMs: 20_000 }), logOf(p, "client"));
    assert.match(logOf(p, "client"), /stdout F hello-from-web/);
    assert.match(p.status!.podIP ?? "", /^10\.88\.9\.\d+$/);
  });

  it("shares an emptyDir between the containers of a pod", async () => {
    await apply(
      pod("shared-dir", {
        volumes: [{ name: "data", emptyDir: {} }],
        containers: [
          { name: "writer", image: "busybox", command: ["sh", "-c", "echo written-by-writer > /data/note; trap 'exit 0' TERM; sleep 3600 & wait"], volumeMounts: [{ name: "data", mountPath: "/data" }] },
          { name: "reader", image: "busybox", command: ["sh", "-c", "until cat /data/note; do sleep 0.2; done; trap 'exit 0' TERM; sleep 3600 & wait"], volumeMounts: [{ name: "data", mountPath: "/data" }] },
        ],
      }),
    );
    const p = await waitFor("shared-dir", "Running", (x) => x.status?.phase === "Running");
    assert.ok(await eventually(async () => /written-by-writer/.test(logOf(p, "reader")), { timeoutMs: 5_000 }), "reader sees the writer's file");
  });

  it("fails the second container that binds a port the first holds, with a clear reason", async () => {
    await apply(
      pod("port-clash", {
        restartPolicy: "Never",
        containers: [
          { name: "a", image: "busybox", command: ["httpd", "-f", "-p", "8080"] },
          { name: "b", image: "busybox", command: ["httpd", "-f", "-p", "8080"] },
        ],
      }),
    );
    const p = await waitFor("port-clash", "one container to fail", (x) => (x.status?.containerStatuses ?? []).some((c) => c.state?.terminated));
    const statuses = p.status!.containerStatuses!;
    const failed = statuses.filter((c) => c.state?.terminated);
    assert.equal(failed.length, 1, JSON.stringify(statuses));
    assert.equal(failed[0]!.state!.terminated!.reason, "Error");
    assert.equal(failed[0]!.state!.terminated!.exitCode, 1);
    assert.ok(statuses.some((c) => c.state?.running), "the first keeps serving");
    assert.match(logOf(p, failed[0]!.name), /bind: Address (already )?in use/);
  });

  it("reports OOMKilled for a container over its memory limit", async () => {
    await apply(
      pod("oom", {
        restartPolicy: "Never",
        containers: [{ name: "hog", image: "busybox", command: ["tail", "/dev/zero"], resources: { limits: { memory: "32Mi" } } }],
      }),
    );
    const p = await waitFor("oom", "Failed", (x) => x.status?.phase === "Failed");
    const t = p.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(t.reason, "OOMKilled");
    assert.equal(t.exitCode, 137);
    const row = await cluster.ok(["get", "pod", "oom", "--no-headers"], { bin: KUBECTL });
    assert.match(row, /OOMKilled/);
  });

  it("adopts running pods after an agent restart without restarting them", async () => {
    await apply(pod("survivor", { containers: [{ name: "main", image: "busybox", command: SLEEPER, readinessProbe: { exec: { command: ["test", "-x", "/bin/sh"] }, periodSeconds: 1 } }] }));
    const before = await waitFor("survivor", "Ready", (x) => x.status?.containerStatuses?.[0]?.ready === true);
    await agent!.stop();
    agent = startAgent(client, node);
    // Two resync periods of the new agent: long enough for it to have synced the pod more than once.
    await new Promise((r) => setTimeout(r, 12_000));
    const afterRestart = await getPod("survivor");
    const [b, a] = [before.status!.containerStatuses![0]!, afterRestart.status!.containerStatuses![0]!];
    assert.equal(a.containerID, b.containerID);
    assert.equal(a.restartCount, 0);
    assert.equal(a.ready, true);
    const sandboxes = await node.runtime.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": before.metadata!.uid! } });
    assert.equal(sandboxes.length, 1);
    assert.equal(sandboxes[0]!.metadata.attempt, 0);
  });

  it("leaves no sandboxes, cgroups or mounts once the pods and the agent are gone", async () => {
    await cluster.ok(["delete", "pod", "--all", "--wait=true", "--timeout=60s"], { bin: KUBECTL });
    assert.ok(await eventually(async () => (await node.runtime.listPodSandbox()).length === 0, { timeoutMs: 30_000 }), "sandboxes removed");
    await agent!.stop();
    agent = undefined;
    for (const uid of uids) for (const h of ["memory", "cpu", "pids"]) assert.equal(existsSync(`/sys/fs/cgroup/${h}/kubepods/pod${uid}`), false, `${h} cgroup of pod ${uid}`);
    const podMounts = mountsUnder(node.dir).filter((m) => m.includes("io.containerd.runtime.v2.task") || m.includes("/sandboxes/") || m.includes("/netns/"));
    assert.deepEqual(podMounts, []);
    assert.deepEqual(shimPids(node.containerd.address), []);
  });
});

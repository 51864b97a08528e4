// Pod volumes and env on a real node: a k8ts server in this process, containerd in a network namespace this test
// creates, the node agent with the CRI runtime and a state directory for volumes, and the real kubectl 1.31. The
// containers report what they see in their logs (read from the node's log files).
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { mountsUnder } from "../kubelet/containerd/containerd_instance.js";
import { Kubelet } from "../kubelet/kubelet.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { silentLogger } from "../util/log.js";
import { KUBECTL_BIN, eventually, startCluster, type Cluster } from "./kubectl_harness.js";

const KUBECTL = KUBECTL_BIN(31);
const NODE = "vol-node";
const skip = criTestSkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
const STAY = "trap 'exit 0' TERM; sleep 3600 & wait";

function pod(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: name } }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, ...spec } });
}

describe("pod volumes and env on containerd through kubectl", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let stopAgent: (() => Promise<void>) | undefined;

  const getPod = async (name: string): Promise<Pod> => JSON.parse(await cluster.ok(["get", "pod", name, "-o", "json"], { bin: KUBECTL })) as Pod;
  const apply = async (manifest: string): Promise<void> => void (await cluster.ok(["apply", "-f", "-"], { bin: KUBECTL, input: manifest }));
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
    node = await startTestNode("vol", { podCIDR: "10.88.11.0/24" });
    client = fromKubeconfig(cluster.kubeconfig);
    const runtime = node.newRuntime();
    const kubelet = new Kubelet({
      client,
      nodeName: NODE,
      runtime,
      prober: new CriProber({ runtime, netns: node.netns }),
      node: { address: "10.88.11.1", osImage: "k8ts e2e node" },
      log: silentLogger,
      recordEvents: false,
      rootDir: node.dir,
    });
    const ac = new AbortController();
    const running = kubelet.run(ac.signal);
    stopAgent = async () => {
      ac.abort();
      await running;
      runtime.close();
    };
    await eventually(async () => (await cluster.kubectl(["get", "node", NODE], { bin: KUBECTL })).code === 0, { timeoutMs: 30_000 });
  });

  after(async () => {
    await stopAgent?.();
    await node?.destroy();
    client?.close();
    await cluster?.stop();
  });

  it("updates a config map volume in place after kubectl patch, and mounts a Memory emptyDir as tmpfs", async () => {
    await apply(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "colors" }, data: { color: "blue" } }));
    await apply(
      pod("watcher", {
        volumes: [
          { name: "cfg", configMap: { name: "colors" } },
          { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
        ],
        containers: [
          {
            name: "main",
            image: "busybox",
            volumeMounts: [
              { name: "cfg", mountPath: "/etc/cfg" },
              { name: "cache", mountPath: "/cache" },
            ],
            // Prints the file whenever it changes, and how /cache is mounted.
            command: ["sh", "-c", `grep ' /cache ' /proc/mounts; last=; while true; do v=$(cat /etc/cfg/color); if [ "$v" != "$last" ]; then echo "color=$v"; last=$v; fi; sleep 0.2; done & ${STAY}`],
          },
        ],
      }),
    );
    const p = await waitFor("watcher", "Running", (x) => x.status?.phase === "Running");
    assert.ok(await eventually(async () => /color=blue/.test(logOf(p, "main")), { timeoutMs: 20_000 }), logOf(p, "main"));
    assert.match(logOf(p, "main"), /tmpfs \/cache tmpfs rw.*size=16384k/);
    await cluster.ok(["patch", "configmap", "colors", "--type", "merge", "-p", JSON.stringify({ data: { color: "green" } })], { bin: KUBECTL });
    // The agent refreshes volumes at every pod sync, at least once per 10 s resync.
    assert.ok(await eventually(async () => /color=green/.test(logOf(p, "main")), { timeoutMs: 40_000, intervalMs: 250 }), logOf(p, "main"));
    const after = await getPod("watcher");
    assert.equal(after.status!.containerStatuses![0]!.restartCount, 0, "updated without a restart");
  });

  it("gives the container env from a config map, a secret, the downward API and expands $(VAR) in its command", async () => {
    await apply(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { LEVEL: "debug", MODE: "fast" } }));
    await apply(JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, stringData: { password: "s3cret" } }));
    await apply(
      pod("env-demo", {
        containers: [
          {
            name: "main",
            image: "busybox",
            envFrom: [{ configMapRef: { name: "settings" }, prefix: "CFG_" }],
            env: [
              { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "LEVEL" } } },
              { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
              { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
              { name: "GREETING", value: "$(POD_NAME) at $(LEVEL)" },
            ],
            resources: { limits: { memory: "48Mi" } },
            command: ["sh", "-c", `echo "expanded=$(GREETING) escaped=$$(LEVEL)"; env | sort; ${STAY}`],
          },
        ],
      }),
    );
    const p = await waitFor("env-demo", "Running", (x) => x.status?.phase === "Running");
    assert.ok(await eventually(async () => /POD_NAME=/.test(logOf(p, "main")), { timeoutMs: 20_000 }), logOf(p, "main"));
    const log = logOf(p, "main");
    // "$$(LEVEL)" reaches the shell as "$(LEVEL)": a command substitution of a command that does not exist.
    assert.match(log, /stdout F expanded=env-demo at debug escaped=$/m);
    for (const line of ["LEVEL=debug", "CFG_LEVEL=debug", "CFG_MODE=fast", "PASSWORD=s3cret", "POD_NAME=env-demo", `POD_IP=${p.status!.podIP}`, "APP=env-demo", "MEM=48"])
      assert.match(log, new RegExp(`stdout F ${line.replace(/\./g, "\\.")}$`, "m"), line);
  });

  it("waits in CreateContainerConfigError for a missing config map, then starts once it exists", async () => {
    await apply(
      pod("needs-config", {
        containers: [{ name: "main", image: "busybox", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "late", key: "x" } } }], command: ["sh", "-c", `echo "x=$X"; ${STAY}`] }],
      }),
    );
    const waiting = await waitFor("needs-config", "CreateContainerConfigError", (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError");
    assert.match(waiting.status!.containerStatuses![0]!.state!.waiting!.message ?? "", /configmap "late" not found/);
    const row = await cluster.ok(["get", "pod", "needs-config", "--no-headers"], { bin: KUBECTL });
    assert.match(row, /CreateContainerConfigError/);
    await apply(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "late" }, data: { x: "arrived" } }));
    const p = await waitFor("needs-config", "Running", (x) => x.status?.phase === "Running", 40_000);
    assert.ok(await eventually(async () => /x=arrived/.test(logOf(p, "main")), { timeoutMs: 20_000 }), logOf(p, "main"));
  });

  it("removes the pods' volume directories and tmpfs mounts when the pods are deleted", async () => {
    await cluster.ok(["delete", "pod", "--all", "--wait=true", "--timeout=60s"], { bin: KUBECTL });
    const podsDir = join(node.dir, "pods");
    const volumeDirs = (): string[] => (existsSync(podsDir) ? readdirSync(podsDir).filter((d) => existsSync(join(podsDir, d, "volumes"))) : []);
    assert.ok(await eventually(async () => volumeDirs().length === 0, { timeoutMs: 30_000 }), `left: ${volumeDirs().join(", ")}`);
    assert.deepEqual(mountsUnder(podsDir), []);
  });
});

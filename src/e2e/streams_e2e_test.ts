// Streams end to end: kubectl 1.31 logs, exec, attach, port-forward and cp against pods on a real containerd inside
// a network namespace this test creates. The agent runs in this process with its endpoints on loopback, so the API
// server's pods/log|exec|attach|portforward proxy reaches it, and it reaches containerd's streaming server (bound to
// 127.0.0.1 inside the node namespace) through its netns relay. Pods are bound to the node directly.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { KUBECTL_BIN, eventually, startCluster, type Cluster } from "./kubectl_harness.js";
import { httpGet, podOnNode, startStreamingAgent, type StreamingAgent } from "./streams_testing.js";

const KUBECTL = KUBECTL_BIN(31);
const NODE = "streams-node";
const skip = criTestSkipReason() ?? (existsSync(KUBECTL) ? undefined : `needs ${KUBECTL}`);
/** Waits on SIGTERM-friendly sleep so pod deletion does not wait out the grace period. */
const IDLE = "trap 'exit 0' TERM; sleep 3600 & wait";

const pod = (name: string, spec: Record<string, unknown>): string => podOnNode(NODE, name, spec);

describe("kubectl logs, exec, attach, port-forward and cp on containerd", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let agent: StreamingAgent | undefined;

  const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => cluster.kubectl(args, { bin: KUBECTL, ...opts });
  const ok = (args: string[], input?: string) => cluster.ok(args, { bin: KUBECTL, input });
  const getPod = async (name: string): Promise<Pod> => JSON.parse(await ok(["get", "pod", name, "-o", "json"])) as Pod;
  const waitFor = async (name: string, what: string, cond: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> => {
    let last: Pod | undefined;
    const done = await eventually(async () => cond((last = await getPod(name))), { timeoutMs, intervalMs: 200 });
    assert.ok(done, `pod ${name}: timed out waiting for ${what}; status ${JSON.stringify(last?.status)}`);
    return last!;
  };
  const running = (name: string) => waitFor(name, "Running", (p) => p.status?.phase === "Running" && (p.status.containerStatuses ?? []).every((c) => c.state?.running));

  before(async () => {
    cluster = await startCluster({ controllers: false });
    node = await startTestNode("streams", { podCIDR: "10.88.11.0/24" });
    client = fromKubeconfig(cluster.kubeconfig);
    agent = await startStreamingAgent(client, node, NODE);
    await eventually(async () => (await kubectl(["get", "node", NODE])).code === 0, { timeoutMs: 30_000 });
    await ok(["apply", "-f", "-"], pod("shell", { containers: [{ name: "sh", image: "busybox", command: ["sh", "-c", `echo one; echo two; echo three; until [ -f /tmp/go ]; do sleep 0.2; done; echo after-go; ${IDLE}`] }] }));
    await running("shell");
  });

  after(async () => {
    await agent?.stop();
    await node?.destroy();
    client?.close();
    await cluster?.stop();
  });

  it("prints logs with --tail and --timestamps, and follows new lines with -f", async () => {
    assert.ok(await eventually(async () => (await kubectl(["logs", "shell"])).stdout === "one\ntwo\nthree\n", { timeoutMs: 10_000 }), (await kubectl(["logs", "shell"])).stdout);
    assert.equal(await ok(["logs", "shell", "--tail=2"]), "two\nthree\n");
    assert.equal(await ok(["logs", "shell", "-c", "sh", "--tail=0"]), "");
    assert.equal(await ok(["logs", "shell", "--limit-bytes=6"]), "one\ntw");
    assert.equal(await ok(["logs", "shell", "--since=1h"]), "one\ntwo\nthree\n");
    assert.match(await ok(["logs", "shell", "--tail=1", "--timestamps"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) three\n$/);
    const follow = cluster.background(["logs", "-f", "shell"], { bin: KUBECTL });
    try {
      assert.ok(await eventually(async () => follow.output().includes("three"), { timeoutMs: 20_000 }), follow.output());
      await ok(["exec", "shell", "--", "touch", "/tmp/go"]);
      assert.ok(await eventually(async () => follow.output().includes("after-go"), { timeoutMs: 20_000 }), follow.output());
      assert.equal(follow.output(), "one\ntwo\nthree\nafter-go\n");
      assert.equal(follow.proc.exitCode, null, "logs -f keeps following a running container");
    } finally {
      follow.proc.kill("SIGKILL");
    }
  });

  it("shows the previous container's log after a restart with --previous", async () => {
    // The first run waits for /dev/shm/go (the pod sandbox's shared memory, kept across restarts of its containers):
    // while it waits there is surely no previous container, however long kubectl takes to ask; a run that exits on
    // its own could already have been restarted.
    const command = "echo life-at $(date +%s); until [ -f /dev/shm/go ]; do sleep 0.2; done; sleep 1; exit 1";
    await ok(["apply", "-f", "-"], pod("crasher", { containers: [{ name: "c", image: "busybox", command: ["sh", "-c", command] }] }));
    const before = await kubectl(["logs", "crasher", "--previous"]);
    assert.notEqual(before.code, 0);
    assert.match(before.stderr, /previous terminated container "c" in pod "crasher" not found|waiting to start/);
    await running("crasher");
    await ok(["exec", "crasher", "--", "touch", "/dev/shm/go"]);
    let prev = before;
    const restarted = await eventually(async () => (prev = await kubectl(["logs", "crasher", "--previous"])).code === 0, { timeoutMs: 90_000, intervalMs: 500 });
    assert.ok(restarted, `no previous log: ${prev.stderr}`);
    assert.match(prev.stdout, /^life-at \d+\n$/);
    // Following a container that exits ends with it.
    const followed = await kubectl(["logs", "-f", "crasher"], { timeoutMs: 60_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /^life-at \d+\n$/);
    const p = await getPod("crasher");
    assert.ok((p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, JSON.stringify(p.status));
  });

  it("runs commands with exec: exit codes, stdout and stderr, stdin", async () => {
    const three = await kubectl(["exec", "shell", "--", "sh", "-c", "exit 3"]);
    assert.equal(three.code, 3, three.stderr);
    const both = await kubectl(["exec", "shell", "-c", "sh", "--", "sh", "-c", "echo to-out; echo to-err >&2"]);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.stdout, "to-out\n");
    assert.match(both.stderr, /to-err/);
    const cat = await kubectl(["exec", "-i", "shell", "--", "sh", "-c", "tr a-z A-Z; echo done"], { input: "hello stdin\n" });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, "HELLO STDIN\ndone\n");
    const missing = await kubectl(["exec", "shell", "--", "/no/such/binary"]);
    assert.notEqual(missing.code, 0);
  });

  it("gives exec -it a terminal", { skip: existsSync("/usr/bin/script") ? undefined : "needs script(1) for a pty" }, async () => {
    const { execFile } = await import("node:child_process");
    const out = await new Promise<string>((resolve) => {
      // script gives kubectl a pty, so -t is accepted and the remote side gets a terminal of its own.
      execFile("script", ["-qec", `${KUBECTL} --kubeconfig ${cluster.kubeconfig} exec -it shell -- sh -c 'tty; exit 0'`, "/dev/null"], { timeout: 60_000, env: { PATH: process.env.PATH, HOME: join(cluster.dir, "home") } }, (_err, stdout) => resolve(String(stdout)));
    });
    assert.match(out, /\/dev\/pts\/\d+/);
  });

  it("attaches to a running container's output", async () => {
    await ok(["apply", "-f", "-"], pod("ticker", { containers: [{ name: "t", image: "busybox", command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.3; done"] }] }));
    await running("ticker");
    const attach = cluster.background(["attach", "ticker"], { bin: KUBECTL });
    try {
      // Ticks printed after attaching arrive over the stream, whatever was printed before.
      assert.ok(await eventually(async () => (follow(attach.output()).length >= 2), { timeoutMs: 30_000 }), attach.output());
    } finally {
      attach.proc.kill("SIGKILL");
    }
    function follow(out: string): string[] {
      return out.split("\n").filter((l) => /^tick-\d+$/.test(l));
    }
  });

  it("forwards a local port to busybox httpd in the pod", async () => {
    await ok(
      ["apply", "-f", "-"],
      pod("web", { containers: [{ name: "httpd", image: "busybox", command: ["sh", "-c", "mkdir -p /www && echo hello-through-port-forward > /www/index.html && exec httpd -f -p 80 -h /www"], ports: [{ containerPort: 80 }] }] }),
    );
    await running("web");
    const pf = cluster.background(["port-forward", "pod/web", ":80"], { bin: KUBECTL });
    try {
      let port = 0;
      assert.ok(
        await eventually(async () => (port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(pf.output())?.[1] ?? 0)) > 0, { timeoutMs: 30_000 }),
        pf.output(),
      );
      assert.equal(await httpGet(port, "/index.html"), "hello-through-port-forward\n");
      // A second connection over the same forward.
      assert.equal(await httpGet(port, "/index.html"), "hello-through-port-forward\n");
    } finally {
      pf.proc.kill("SIGKILL");
    }
  });

  it("copies files into and out of a pod with cp", async () => {
    const local = join(cluster.dir, "to-pod.txt");
    const content = "copied by kubectl cp\n" + "x".repeat(100_000) + "\n";
    writeFileSync(local, content);
    await ok(["cp", local, "shell:/tmp/in.txt"]);
    assert.equal(await ok(["exec", "shell", "--", "wc", "-c", "/tmp/in.txt"]), `${Buffer.byteLength(content)} /tmp/in.txt\n`);
    await ok(["exec", "shell", "--", "sh", "-c", "echo made-in-pod > /tmp/out.txt"]);
    const back = join(cluster.dir, "from-pod.txt");
    await ok(["cp", "shell:/tmp/out.txt", back]);
    assert.equal(readFileSync(back, "utf8"), "made-in-pod\n");
    const roundTrip = join(cluster.dir, "round-trip.txt");
    await ok(["cp", "shell:/tmp/in.txt", roundTrip]);
    assert.equal(readFileSync(roundTrip, "utf8"), content);
  });
});

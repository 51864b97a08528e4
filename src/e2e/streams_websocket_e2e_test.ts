// Streams over WebSocket end to end: kubectl 1.33 and 1.31 forced onto the WebSocket protocols
// (KUBECTL_REMOTE_COMMAND_WEBSOCKETS, KUBECTL_PORT_FORWARD_WEBSOCKETS) for exec (with and without a terminal),
// attach -i, run -i --rm, port-forward and cp, against pods on a real containerd in a network namespace this test
// creates; kubectl 1.29 beside them over SPDY. The agent translates v5.channel.k8s.io and port-forward's SPDY tunnel
// to containerd's SPDY streaming server; its kubelet_streaming_sessions_total{kind,protocol} on /metrics shows
// which protocol each client really used (kubectl would silently fall back to SPDY after a refused upgrade).
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../kubelet/runtime/cri/testing.js";
import { createLogger, silentLogger } from "../util/log.js";
import { KUBECTL_BIN, eventually, startCluster, type Cluster } from "./kubectl_harness.js";
import { httpGet, podOnNode, startStreamingAgent, type StreamingAgent } from "./streams_testing.js";

const NODE = "streams-ws-node";
const WS_CLIENTS = [33, 31].map((minor) => ({ minor, bin: KUBECTL_BIN(minor) }));
const SPDY_CLIENT = KUBECTL_BIN(29);
const missing = [...WS_CLIENTS.map((c) => c.bin), SPDY_CLIENT].find((b) => !existsSync(b));
const skip = criTestSkipReason() ?? (missing ? `needs ${missing}` : undefined);
const WS_ENV = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "true", KUBECTL_PORT_FORWARD_WEBSOCKETS: "true" };
const IDLE = "trap 'exit 0' TERM; sleep 3600 & wait";

const pod = (name: string, spec: Record<string, unknown>): string => podOnNode(NODE, name, spec);

describe("kubectl streams over WebSocket (v5.channel.k8s.io, SPDY/3.1+portforward.k8s.io) and SPDY on containerd", { skip }, () => {
  let cluster: Cluster;
  let node: TestNode;
  let client: Client;
  let agent: StreamingAgent | undefined;
  const procs: ChildProcess[] = [];

  const run = (bin: string, args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}) => cluster.kubectl(args, { bin, ...opts });
  const ok = (args: string[], input?: string) => cluster.ok(args, { bin: SPDY_CLIENT, input });
  const getPod = async (name: string): Promise<Pod> => JSON.parse(await ok(["get", "pod", name, "-o", "json"])) as Pod;
  const running = async (name: string): Promise<void> => {
    let last: Pod | undefined;
    const done = await eventually(async () => {
      last = await getPod(name);
      return last.status?.phase === "Running" && (last.status.containerStatuses ?? []).every((c) => c.state?.running);
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(done, `pod ${name} not Running: ${JSON.stringify(last?.status)}`);
  };
  /** Sessions the agent accepted for a kind over a protocol, from its /metrics. */
  const sessions = async (kind: string, protocol: string): Promise<number> => {
    const text = await (await fetch(`${agent!.endpoints.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`kubelet_streaming_sessions_total{kind="${kind}",protocol="${protocol}"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  };
  /** Runs fn and asserts the agent saw at least `n` new sessions of kind over protocol meanwhile. */
  const over = async <T>(kind: string, protocol: string, fn: () => Promise<T>, n = 1): Promise<T> => {
    const before = await sessions(kind, protocol);
    const out = await fn();
    const after = await sessions(kind, protocol);
    assert.ok(after - before >= n, `expected ${n} ${kind} session(s) over ${protocol}, the agent counted ${after - before}`);
    return out;
  };
  const background = (bin: string, args: string[], env: Record<string, string>) => {
    const proc = spawn(bin, ["--kubeconfig", cluster.kubeconfig, ...args], { env: { PATH: process.env.PATH, HOME: join(cluster.dir, "home"), ...env }, stdio: ["pipe", "pipe", "pipe"] });
    procs.push(proc);
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
    return { proc, output: () => out };
  };

  before(async () => {
    cluster = await startCluster({ controllers: false });
    node = await startTestNode("streamsws", { podCIDR: "10.88.11.0/24" });
    client = fromKubeconfig(cluster.kubeconfig);
    agent = await startStreamingAgent(client, node, NODE, process.env.K8TS_TEST_DEBUG ? createLogger({ level: "debug" }) : silentLogger);
    await eventually(async () => (await run(SPDY_CLIENT, ["get", "node", NODE])).code === 0, { timeoutMs: 30_000 });
    await ok(["apply", "-f", "-"], pod("shell", { containers: [{ name: "sh", image: "busybox", command: ["sh", "-c", IDLE] }] }));
    await ok(
      ["apply", "-f", "-"],
      pod("web", { containers: [{ name: "httpd", image: "busybox", command: ["sh", "-c", "mkdir -p /www && echo hello-over-websocket > /www/index.html && exec httpd -f -p 80 -h /www"], ports: [{ containerPort: 80 }] }] }),
    );
    // Reads lines from its stdin (kept open by the runtime: stdin true) and answers each.
    await ok(["apply", "-f", "-"], pod("reader", { containers: [{ name: "r", image: "busybox", stdin: true, command: ["sh", "-c", "while read l; do echo got-$l; done; echo stdin-closed"] }] }));
    await Promise.all(["shell", "web", "reader"].map(running));
  });

  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await agent?.stop();
    await node?.destroy();
    client?.close();
    await cluster?.stop();
  });

  for (const { minor, bin } of WS_CLIENTS) {
    it(`kubectl 1.${minor} exec over v5.channel.k8s.io: exit codes, stdout and stderr apart, stdin to EOF`, async () => {
      const three = await over("exec", "v5.channel.k8s.io", () => run(bin, ["exec", "shell", "--", "sh", "-c", "echo partial; exit 3"], { env: WS_ENV }));
      assert.equal(three.code, 3, three.stderr);
      assert.equal(three.stdout, "partial\n");
      const both = await run(bin, ["exec", "shell", "--", "sh", "-c", "echo to-out; echo to-err >&2"], { env: WS_ENV });
      assert.equal(both.code, 0, both.stderr);
      assert.equal(both.stdout, "to-out\n");
      assert.equal(both.stderr, "to-err\n");
      // The command sees EOF only through the v5 close signal on channel 0.
      const input = "hello stdin\n" + "line\n".repeat(20_000);
      const upper = await over("exec", "v5.channel.k8s.io", () => run(bin, ["exec", "-i", "shell", "--", "sh", "-c", "tr a-z A-Z | tail -n 1; echo done"], { input, env: WS_ENV }));
      assert.equal(upper.code, 0, upper.stderr);
      assert.equal(upper.stdout, "LINE\ndone\n");
      const wc = await run(bin, ["exec", "-i", "shell", "--", "wc", "-c"], { input, env: WS_ENV });
      assert.equal(wc.stdout.trim(), String(input.length));
      const missingBinary = await run(bin, ["exec", "shell", "--", "/no/such/binary"], { env: WS_ENV });
      assert.notEqual(missingBinary.code, 0);
    });

    it(`kubectl 1.${minor} exec -it gets a terminal over v5.channel.k8s.io`, { skip: existsSync("/usr/bin/script") ? undefined : "needs script(1) for a pty" }, async () => {
      const result = await over("exec", "v5.channel.k8s.io", () =>
        new Promise<{ code: number; out: string }>((resolve) => {
          // script gives kubectl a pty; what it reads from its stdin goes to the remote shell's terminal.
          const child = execFile(
            "script",
            // The pty's size reaches the remote terminal over the resize channel (4).
            ["-qec", `stty rows 33 cols 97; ${bin} --kubeconfig ${cluster.kubeconfig} exec -it shell -- sh`, "/dev/null"],
            { timeout: 60_000, env: { PATH: process.env.PATH, HOME: join(cluster.dir, "home"), TERM: "dumb", ...WS_ENV } },
            (err, stdout) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, out: String(stdout) }),
          );
          child.stdin!.write("tty; echo sum-$((40+2)); echo size-$(stty size | tr ' ' x)\n");
          setTimeout(() => child.stdin!.end("exit 7\n"), 1500);
        }),
      );
      assert.match(result.out, /\/dev\/pts\/\d+/);
      assert.match(result.out, /sum-42/);
      assert.match(result.out, /size-33x97/);
      assert.equal(result.code, 7, result.out);
    });

    it(`kubectl 1.${minor} attach -i sends stdin to the container over v5.channel.k8s.io`, async () => {
      const before = await sessions("attach", "v5.channel.k8s.io");
      const attach = background(bin, ["attach", "-i", "reader"], WS_ENV);
      try {
        const counted = await eventually(async () => (await sessions("attach", "v5.channel.k8s.io")) > before || attach.proc.exitCode !== null, { timeoutMs: 30_000 });
        assert.ok(counted && attach.proc.exitCode === null, `attach did not stay connected over v5.channel.k8s.io: ${attach.output()}`);
        const word = `w${minor}`;
        // Lines written before the stream is fully set up may arrive a little later; keep writing until one answers.
        const answered = await eventually(async () => {
          attach.proc.stdin!.write(`${word}\n`);
          return attach.output().includes(`got-${word}`);
        }, { timeoutMs: 30_000, intervalMs: 500 });
        assert.ok(answered, attach.output());
      } finally {
        attach.proc.kill("SIGKILL");
      }
    });

    it(`kubectl 1.${minor} port-forward tunnels SPDY in WebSocket`, async () => {
      const before = await sessions("portForward", "SPDY/3.1+portforward.k8s.io");
      const pf = background(bin, ["port-forward", "pod/web", ":80"], WS_ENV);
      try {
        let port = 0;
        assert.ok(await eventually(async () => (port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(pf.output())?.[1] ?? 0)) > 0, { timeoutMs: 30_000 }), pf.output());
        assert.equal(await httpGet(port, "/index.html"), "hello-over-websocket\n");
        assert.equal(await httpGet(port, "/index.html"), "hello-over-websocket\n");
        assert.ok((await sessions("portForward", "SPDY/3.1+portforward.k8s.io")) > before, "port-forward did not use the WebSocket tunnel");
      } finally {
        pf.proc.kill("SIGKILL");
      }
    });

    it(`kubectl 1.${minor} cp copies into and out of a pod over v5.channel.k8s.io`, async () => {
      const local = join(cluster.dir, `to-pod-${minor}.txt`);
      const content = "copied over websocket\n" + "y".repeat(300_000) + "\n";
      writeFileSync(local, content);
      await over("exec", "v5.channel.k8s.io", async () => {
        const r = await run(bin, ["cp", local, `shell:/tmp/in-${minor}.txt`], { env: WS_ENV });
        assert.equal(r.code, 0, r.stderr);
      });
      const back = join(cluster.dir, `from-pod-${minor}.txt`);
      const r = await run(bin, ["cp", `shell:/tmp/in-${minor}.txt`, back], { env: WS_ENV });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(back, "utf8"), content);
    });
  }

  it("kubectl 1.33 run -i --rm --restart=Never attaches to the new pod's stdin and deletes it", async () => {
    const overrides = JSON.stringify({ apiVersion: "v1", spec: { nodeName: NODE, terminationGracePeriodSeconds: 1 } });
    // kubectl sends stdin the moment it attaches; in one loaded CI run the answer was written before the runtime's
    // attach had hooked stdout and was lost (not investigated further): the pause keeps this test about stdin.
    const r = await run(
      WS_CLIENTS[0]!.bin,
      ["run", "oneshot", "-i", "--rm", "--restart=Never", "--image=busybox", "--image-pull-policy=IfNotPresent", `--overrides=${overrides}`, "--", "sh", "-c", "read x; sleep 1; echo hello-$x"],
      { input: "world\n", env: WS_ENV, timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello-world/);
    const gone = await eventually(async () => (await run(SPDY_CLIENT, ["get", "pod", "oneshot"])).code !== 0, { timeoutMs: 30_000 });
    assert.ok(gone, "run --rm left the pod behind");
  });

  it("kubectl 1.29 still works over SPDY: exec, stdin, attach -i, port-forward, cp", async () => {
    const three = await over("exec", "SPDY/3.1", () => run(SPDY_CLIENT, ["exec", "shell", "--", "sh", "-c", "exit 3"]));
    assert.equal(three.code, 3, three.stderr);
    const upper = await run(SPDY_CLIENT, ["exec", "-i", "shell", "--", "tr", "a-z", "A-Z"], { input: "spdy stdin\n" });
    assert.equal(upper.stdout, "SPDY STDIN\n");
    const attach = background(SPDY_CLIENT, ["attach", "-i", "reader"], {});
    try {
      const answered = await eventually(async () => {
        attach.proc.stdin!.write("spdy\n");
        return attach.output().includes("got-spdy");
      }, { timeoutMs: 30_000, intervalMs: 500 });
      assert.ok(answered, attach.output());
    } finally {
      attach.proc.kill("SIGKILL");
    }
    await over("portForward", "SPDY/3.1", async () => {
      const pf = background(SPDY_CLIENT, ["port-forward", "pod/web", ":80"], {});
      try {
        let port = 0;
        assert.ok(await eventually(async () => (port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(pf.output())?.[1] ?? 0)) > 0, { timeoutMs: 30_000 }), pf.output());
        assert.equal(await httpGet(port, "/index.html"), "hello-over-websocket\n");
      } finally {
        pf.proc.kill("SIGKILL");
      }
    });
    const local = join(cluster.dir, "spdy.txt");
    writeFileSync(local, "over spdy\n");
    await ok(["cp", local, "shell:/tmp/spdy.txt"]);
    assert.equal(await ok(["exec", "shell", "--", "cat", "/tmp/spdy.txt"]), "over spdy\n");
  });
});

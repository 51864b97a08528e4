// Lifecycle hooks on a real node (containerd, the agent, kubectl 1.31): postStart (exec, httpGet) runs before the
// container is reported running and a failing one kills and restarts it; preStop (exec, httpGet, sleep) runs before
// SIGTERM on deletion, within the grace period. Hooks write to a hostPath directory the test reads.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually } from "./kubectl_harness.js";
import { KUBECTL, SLEEPER, criNodeSkip, startCriNode, type CriNode } from "./cri_node_harness.js";

describe("lifecycle hooks on containerd", { skip: criNodeSkip() }, () => {
  let n: CriNode;
  let dir: string;
  const read = (file: string): string => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : "");
  const data = { volumes: [{ name: "data", hostPath: { path: "", type: "Directory" } }] };
  const mount = { volumeMounts: [{ name: "data", mountPath: "/data" }] };
  const deletePod = async (name: string): Promise<number> => {
    const t0 = Date.now();
    await n.cluster.ok(["delete", "pod", name, "--wait=true", "--timeout=90s"], { bin: KUBECTL });
    return Date.now() - t0;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-hooks-"));
    data.volumes[0]!.hostPath.path = dir;
    n = await startCriNode("hooks", { podCIDR: "10.88.22.0/24", nodeIP: "10.88.22.1" });
  });
  after(async () => {
    await n?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the container running only after its postStart hook completed", async () => {
    await n.apply("poststart", {
      ...data,
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", "echo main-started >> /data/poststart; trap 'exit 0' TERM; sleep 3600 & wait"],
          lifecycle: { postStart: { exec: { command: ["sh", "-c", "sleep 3; echo hook-done >> /data/poststart"] } } },
          ...mount,
        },
      ],
    });
    const p = await n.waitFor("poststart", "running", (x) => Boolean(x.status?.containerStatuses?.[0]?.state?.running));
    // The first status that shows it running comes after the hook wrote its line (and after the container started).
    assert.deepEqual(read("poststart").trim().split("\n"), ["main-started", "hook-done"]);
    assert.equal(p.status!.containerStatuses![0]!.restartCount, 0);
    const reasons = (await n.events("poststart")).map((e) => e.reason);
    assert.ok(reasons.includes("Started") && !reasons.includes("FailedPostStartHook"), reasons.join(", "));
  });

  it("kills a container whose postStart hook fails and restarts it per restartPolicy", async () => {
    await n.apply("poststart-fails", {
      restartPolicy: "Always",
      containers: [{ name: "main", image: "busybox", command: SLEEPER, lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo nope >&2; exit 3"] } } } }],
    });
    const p = await n.waitFor("poststart-fails", "a restart", (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && Boolean(x.status?.containerStatuses?.[0]?.lastState?.terminated));
    const s = p.status!.containerStatuses![0]!;
    assert.equal(s.ready, false);
    assert.ok(!s.state?.running, `never reported running: ${JSON.stringify(s.state)}`);
    const events = await n.events("poststart-fails");
    const failed = events.find((e) => e.reason === "FailedPostStartHook");
    assert.ok(failed, events.map((e) => e.reason).join(", "));
    assert.equal(failed.type, "Warning");
    assert.match(failed.message ?? "", /Exec lifecycle hook \(\[sh -c echo nope >&2; exit 3\]\) for Container "main" in Pod "poststart-fails_default\(.+\)" failed - error: command .* exited with 3/);
  });

  it("calls an httpGet postStart hook against the pod, and an httpGet preStop hook on deletion", async () => {
    const cgi = ["#!/bin/sh", 'echo "$QUERY_STRING" >> /data/http-hook', 'echo "Content-Type: text/plain"', "echo", "echo ok"].join("\\n");
    await n.apply("http-hooks", {
      ...data,
      initContainers: [
        {
          // A sidecar web server whose CGI script records each request; the app starts once it listens.
          name: "web",
          image: "busybox",
          restartPolicy: "Always",
          command: ["sh", "-c", `mkdir -p /www/cgi-bin && printf '${cgi}\\n' > /www/cgi-bin/hook && chmod +x /www/cgi-bin/hook && exec httpd -f -p 8080 -h /www`],
          startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          ...mount,
        },
      ],
      containers: [
        {
          name: "main",
          image: "busybox",
          command: SLEEPER,
          lifecycle: { postStart: { httpGet: { path: "/cgi-bin/hook?poststart", port: 8080 } }, preStop: { httpGet: { path: "/cgi-bin/hook?prestop", port: 8080 } } },
        },
      ],
    });
    await n.waitFor("http-hooks", "running", (x) => Boolean(x.status?.containerStatuses?.[0]?.state?.running));
    assert.equal(read("http-hook").trim(), "poststart");
    await deletePod("http-hooks");
    assert.deepEqual(read("http-hook").trim().split("\n"), ["poststart", "prestop"]);
  });

  it("runs preStop before SIGTERM on deletion", async () => {
    await n.apply("prestop", {
      ...data,
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", "trap 'echo sigterm >> /data/prestop; exit 0' TERM; echo started >> /data/prestop; sleep 3600 & wait"],
          lifecycle: { preStop: { exec: { command: ["sh", "-c", "echo prestop-hook >> /data/prestop"] } } },
          ...mount,
        },
      ],
    });
    await n.waitFor("prestop", "running", (x) => Boolean(x.status?.containerStatuses?.[0]?.state?.running));
    await eventually(async () => read("prestop").includes("started"), { timeoutMs: 10_000 });
    await deletePod("prestop");
    assert.deepEqual(read("prestop").trim().split("\n"), ["started", "prestop-hook", "sigterm"]);
  });

  it("counts a preStop hook within the grace period and reports a failing one", async (t) => {
    await n.apply("prestop-slow", {
      ...data,
      terminationGracePeriodSeconds: 4,
      containers: [
        {
          name: "slow",
          image: "busybox",
          command: ["sh", "-c", "trap 'echo sigterm >> /data/prestop-slow; exit 0' TERM; sleep 3600 & wait"],
          // Far longer than the grace period: abandoned when it runs out, then SIGTERM still comes.
          lifecycle: { preStop: { sleep: { seconds: 300 } } },
          ...mount,
        },
        { name: "failing", image: "busybox", command: SLEEPER, lifecycle: { preStop: { exec: { command: ["sh", "-c", "exit 2"] } } } },
      ],
    });
    await n.waitFor("prestop-slow", "running", (x) => (x.status?.containerStatuses ?? []).filter((c) => c.state?.running).length === 2);
    const ms = await deletePod("prestop-slow");
    t.diagnostic(`deletion with a 300 s preStop sleep and a 4 s grace period took ${ms} ms (machine shared)`);
    assert.equal(read("prestop-slow").trim(), "sigterm");
    const events = await n.events("prestop-slow");
    const failed = events.find((e) => e.reason === "FailedPreStopHook");
    assert.ok(failed, events.map((e) => e.reason).join(", "));
    assert.match(failed.message ?? "", /Exec lifecycle hook \(\[sh -c exit 2\]\) for Container "failing" .* exited with 2/);
  });
});

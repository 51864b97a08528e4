import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../../../client/clock.js";
import { runtimeConformance } from "../conformance.js";
import type { PodSandboxConfig } from "../types.js";
import { SimulatedRuntime } from "./simulated_runtime.js";

runtimeConformance("simulated", async () => {
  const clock = new FakeClock();
  const runtime = new SimulatedRuntime({ clock });
  return {
    runtime,
    longRunning: () => ({ config: { image: "busybox" } }),
    exitingWith: (name, code) => ({
      config: { image: "busybox" },
      sandboxAnnotations: { [`sim.k8ts.io/exit-after-${name}`]: "2s", [`sim.k8ts.io/exit-code-${name}`]: String(code) },
    }),
    oomKilled: (name) => ({
      config: { image: "busybox", linux: { resources: { memoryLimitInBytes: 32 * 1024 * 1024 } } },
      sandboxAnnotations: { [`sim.k8ts.io/memory-${name}`]: "64Mi" },
    }),
    missingImage: "example.com/invalid/nothing:1",
    podCIDR: "10.244.7.0/24",
    elapse: async (ms) => clock.advance(ms),
    close: async () => {},
  };
});

function sandbox(annotations: Record<string, string> = {}, name = "p"): PodSandboxConfig {
  return { metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 }, labels: {}, annotations };
}

async function start(rt: SimulatedRuntime, cfg: PodSandboxConfig, name: string, extra: { memoryLimitInBytes?: number } = {}): Promise<string> {
  const sb = await rt.runPodSandbox(cfg);
  await rt.pullImage("busybox", cfg);
  const id = await rt.createContainer(sb, { metadata: { name, attempt: 0 }, image: "busybox", labels: {}, annotations: {}, linux: { resources: extra } }, cfg);
  await rt.startContainer(id);
  return id;
}

describe("simulated runtime scripts", () => {
  it("exits after the scripted time with the scripted code", async () => {
    const clock = new FakeClock();
    const rt = new SimulatedRuntime({ clock });
    const id = await start(rt, sandbox({ "sim.k8ts.io/exit-after-app": "5s", "sim.k8ts.io/exit-code-app": "2" }), "app");
    clock.advance(4999);
    assert.equal((await rt.containerStatus(id)).state, "running");
    clock.advance(1);
    const st = await rt.containerStatus(id);
    assert.equal(st.state, "exited");
    assert.equal(st.exitCode, 2);
    assert.equal(st.reason, "Error");
    assert.equal(st.finishedAt! - st.startedAt!, 5000);
  });

  it("reports scripted cpu and memory usage", async () => {
    const clock = new FakeClock();
    const rt = new SimulatedRuntime({ clock });
    const id = await start(rt, sandbox({ "sim.k8ts.io/cpu-app": "250m", "sim.k8ts.io/memory-app": "64Mi" }), "app");
    clock.advance(2000);
    const s = await rt.containerStats(id);
    assert.equal(s.cpu.usageNanoCores, 250_000_000);
    assert.equal(s.cpu.usageCoreNanoSeconds, 500_000_000);
    assert.equal(s.memory.workingSetBytes, 64 * 1024 * 1024);
  });

  it("OOM-kills a container whose scripted memory exceeds its limit", async () => {
    const clock = new FakeClock();
    const rt = new SimulatedRuntime({ clock });
    const id = await start(rt, sandbox({ "sim.k8ts.io/memory-app": "128Mi" }), "app", { memoryLimitInBytes: 64 * 1024 * 1024 });
    clock.advance(0);
    const st = await rt.containerStatus(id);
    assert.deepEqual([st.state, st.exitCode, st.reason], ["exited", 137, "OOMKilled"]);
  });

  it("kills a container that ignores SIGTERM once the stop timeout passes", async () => {
    const clock = new FakeClock();
    const rt = new SimulatedRuntime({ clock });
    const id = await start(rt, sandbox({ "sim.k8ts.io/stop-delay-app": "1h" }), "app");
    let stopped = false;
    const p = rt.stopContainer(id, 30).then(() => (stopped = true));
    clock.advance(29_000);
    await Promise.resolve();
    assert.equal(stopped, false);
    clock.advance(1000);
    await p;
    const st = await rt.containerStatus(id);
    assert.deepEqual([st.exitCode, st.reason], [137, "Error"]);
  });

  it("a second stop with a shorter timeout brings the kill forward", async () => {
    const clock = new FakeClock();
    const rt = new SimulatedRuntime({ clock });
    const id = await start(rt, sandbox({ "sim.k8ts.io/stop-delay-app": "1h" }), "app");
    const first = rt.stopContainer(id, 600);
    clock.advance(5000);
    await rt.stopContainer(id, 0);
    await first;
    const st = await rt.containerStatus(id);
    assert.deepEqual([st.exitCode, st.finishedAt! - st.startedAt!], [137, 5000]);
  });

  it("fails pulls named by the pull-fail annotation", async () => {
    const rt = new SimulatedRuntime();
    await assert.rejects(rt.pullImage("nginx:1.27", sandbox({ "sim.k8ts.io/pull-fail": "nginx:1.27" })), /simulated failure/);
    assert.ok(await rt.pullImage("nginx:1.27", sandbox()));
    assert.equal((await rt.imageStatus("docker.io/library/nginx:1.27"))?.repoTags[0], "docker.io/library/nginx:1.27");
  });

  it("a crashed sandbox is notready and its containers exited", async () => {
    const rt = new SimulatedRuntime();
    const cfg = sandbox();
    const id = await start(rt, cfg, "app");
    const [sb] = await rt.listPodSandbox();
    rt.crashSandbox(sb!.id);
    assert.equal((await rt.podSandboxStatus(sb!.id)).state, "notready");
    assert.equal((await rt.containerStatus(id)).exitCode, 137);
  });
});

// The runtime conformance suite: the contract of runtime/types.ts as tests, run unchanged against every
// implementation (the simulated runtime now, the CRI client for containerd later). An implementation supplies a
// harness: how to make containers that run until stopped or exit with a given code, and how to let time pass.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRuntimeError, type ContainerConfig, type ContainerRuntime, type PodSandboxConfig } from "./types.js";

/** A container recipe: the container config plus any pod annotations it needs (the simulated runtime's script). */
export interface ContainerRecipe {
  config: Pick<ContainerConfig, "image" | "command" | "args"> & Partial<ContainerConfig>;
  sandboxAnnotations?: Record<string, string>;
}

export interface RuntimeHarness {
  runtime: ContainerRuntime;
  /** A recipe for a container that runs until it is stopped. */
  longRunning(name: string): ContainerRecipe;
  /** A recipe for a container that exits on its own soon with this code. */
  exitingWith(name: string, code: number): ContainerRecipe;
  /** Optional: a recipe (with its memory limit in config.linux) for a container killed for exceeding its limit. */
  oomKilled?(name: string): ContainerRecipe;
  /** An image reference whose pull fails. */
  missingImage: string;
  /** When set, updateRuntimeConfig with this CIDR must give sandboxes addresses inside it. */
  podCIDR?: string;
  /** Lets ms of runtime time pass (a fake clock advances; a real runtime sleeps). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

function sandboxConfig(annotations: Record<string, string> = {}): PodSandboxConfig {
  const n = ++seq;
  return {
    metadata: { name: `conf-${n}`, namespace: "conformance", uid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, attempt: 0 },
    hostname: `conf-${n}`,
    labels: { "io.kubernetes.pod.uid": `uid-${n}`, suite: "conformance" },
    annotations,
  };
}

function containerConfig(name: string, recipe: ContainerRecipe): ContainerConfig {
  return { metadata: { name, attempt: 0 }, labels: { "io.kubernetes.container.name": name }, annotations: {}, ...recipe.config };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => isRuntimeError(err) && err.code === code);
}

async function until(h: RuntimeHarness, what: string, cond: () => Promise<boolean>, stepMs = 100, steps = 600): Promise<void> {
  for (let i = 0; i < steps; i++) {
    if (await cond()) return;
    await h.elapse(stepMs);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Registers the suite under describe(name); makeHarness is called once per test. */
export function runtimeConformance(name: string, makeHarness: () => Promise<RuntimeHarness>): void {
  describe(`runtime conformance: ${name}`, () => {
    const withHarness = (title: string, fn: (h: RuntimeHarness, rt: ContainerRuntime) => Promise<void>): void => {
      it(title, async () => {
        const h = await makeHarness();
        try {
          await fn(h, h.runtime);
        } finally {
          await h.close();
        }
      });
    };

    /** A ready sandbox with one container created from the recipe (image pulled first). */
    const setUp = async (h: RuntimeHarness, cname: string, recipe: ContainerRecipe): Promise<{ sb: string; cfg: PodSandboxConfig; id: string }> => {
      const cfg = sandboxConfig(recipe.sandboxAnnotations);
      const sb = await h.runtime.runPodSandbox(cfg);
      await h.runtime.pullImage(recipe.config.image, cfg);
      const id = await h.runtime.createContainer(sb, containerConfig(cname, recipe), cfg);
      return { sb, cfg, id };
    };

    withHarness("answers its version and a ready status", async (_h, rt) => {
      const v = await rt.version();
      assert.equal(v.runtimeApiVersion, "v1");
      assert.ok(v.runtimeName && v.runtimeVersion);
      const st = await rt.status();
      for (const type of ["RuntimeReady", "NetworkReady"] as const) assert.equal(st.conditions.find((c) => c.type === type)?.status, true, type);
    });

    withHarness("runs, lists, stops and removes pod sandboxes idempotently", async (_h, rt) => {
      const a = sandboxConfig();
      const b = sandboxConfig();
      const ida = await rt.runPodSandbox(a);
      const idb = await rt.runPodSandbox(b);
      const sa = await rt.podSandboxStatus(ida);
      assert.equal(sa.state, "ready");
      assert.deepEqual(sa.metadata, a.metadata);
      assert.match(sa.network.ip, /^\d+\.\d+\.\d+\.\d+$/);
      assert.notEqual(sa.network.ip, (await rt.podSandboxStatus(idb)).network.ip, "sandboxes get distinct IPs");
      const mine = await rt.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": a.labels["io.kubernetes.pod.uid"]! } });
      assert.deepEqual(mine.map((s) => s.id), [ida]);
      await rt.stopPodSandbox(ida);
      await rt.stopPodSandbox(ida);
      assert.equal((await rt.podSandboxStatus(ida)).state, "notready");
      assert.deepEqual((await rt.listPodSandbox({ state: "ready", labelSelector: { suite: "conformance" } })).map((s) => s.id), [idb]);
      await rt.removePodSandbox(ida);
      await rt.removePodSandbox(ida);
      await rejectsWith(rt.podSandboxStatus(ida), "NotFound");
      await rt.removePodSandbox(idb);
    });

    withHarness("gives sandboxes addresses from the pod CIDR it is configured with", async (h, rt) => {
      if (!h.podCIDR) return;
      await rt.updateRuntimeConfig({ podCIDR: h.podCIDR });
      const id = await rt.runPodSandbox(sandboxConfig());
      const ip = (await rt.podSandboxStatus(id)).network.ip;
      const prefix = h.podCIDR.split(".").slice(0, 3).join(".") + ".";
      assert.ok(ip.startsWith(prefix), `${ip} in ${h.podCIDR}`);
      await rt.removePodSandbox(id);
    });

    withHarness("pulls, lists and removes images; a missing image fails to pull", async (h, rt) => {
      const recipe = h.longRunning("c");
      const ref = await rt.pullImage(recipe.config.image);
      assert.ok(ref);
      const st = await rt.imageStatus(recipe.config.image);
      assert.equal(st?.id, ref);
      assert.ok((await rt.listImages()).some((i) => i.id === ref));
      await assert.rejects(rt.pullImage(h.missingImage), (err: unknown) => isRuntimeError(err));
      assert.equal(await rt.imageStatus(h.missingImage), undefined);
    });

    withHarness("creates, starts, stops and removes a container", async (h, rt) => {
      const { sb, id } = await setUp(h, "main", h.longRunning("main"));
      let st = await rt.containerStatus(id);
      assert.equal(st.state, "created");
      assert.equal(st.podSandboxId, sb);
      assert.deepEqual(st.metadata, { name: "main", attempt: 0 });
      await rt.startContainer(id);
      st = await rt.containerStatus(id);
      assert.equal(st.state, "running");
      assert.ok(st.startedAt! >= st.createdAt);
      await rejectsWith(rt.startContainer(id), "FailedPrecondition");
      assert.deepEqual((await rt.listContainers({ podSandboxId: sb, state: "running" })).map((c) => c.id), [id]);
      assert.deepEqual((await rt.listContainers({ labelSelector: { "io.kubernetes.container.name": "main" }, podSandboxId: sb })).map((c) => c.id), [id]);
      await rt.stopContainer(id, 2);
      st = await rt.containerStatus(id);
      assert.equal(st.state, "exited");
      assert.ok(st.finishedAt! >= st.startedAt!);
      await rt.stopContainer(id, 2);
      await rt.removeContainer(id);
      await rt.removeContainer(id);
      await rejectsWith(rt.containerStatus(id), "NotFound");
      await rt.removePodSandbox(sb);
    });

    withHarness("reports exit codes and reasons of containers that exit on their own", async (h, rt) => {
      const ok = h.exitingWith("ok", 0);
      const bad = h.exitingWith("bad", 3);
      const cfg = sandboxConfig({ ...ok.sandboxAnnotations, ...bad.sandboxAnnotations });
      const sb = await rt.runPodSandbox(cfg);
      await rt.pullImage(ok.config.image, cfg);
      await rt.pullImage(bad.config.image, cfg);
      const idOk = await rt.createContainer(sb, containerConfig("ok", ok), cfg);
      const idBad = await rt.createContainer(sb, containerConfig("bad", bad), cfg);
      await rt.startContainer(idOk);
      await rt.startContainer(idBad);
      await until(h, "both containers to exit", async () => (await rt.listContainers({ podSandboxId: sb, state: "exited" })).length === 2);
      const sOk = await rt.containerStatus(idOk);
      const sBad = await rt.containerStatus(idBad);
      assert.equal(sOk.exitCode, 0);
      assert.equal(sOk.reason, "Completed");
      assert.equal(sBad.exitCode, 3);
      assert.equal(sBad.reason, "Error");
      await rt.removePodSandbox(sb);
    });

    withHarness("reports OOMKilled with exit 137 for a container over its memory limit", async (h, rt) => {
      if (!h.oomKilled) return;
      const { sb, id } = await setUp(h, "hog", h.oomKilled("hog"));
      await rt.startContainer(id);
      await until(h, "the container to be killed", async () => (await rt.containerStatus(id)).state === "exited");
      const st = await rt.containerStatus(id);
      assert.equal(st.reason, "OOMKilled");
      assert.equal(st.exitCode, 137);
      await rt.removePodSandbox(sb);
    });

    withHarness("stopping a sandbox stops its containers; removing it removes them", async (h, rt) => {
      const { sb, id } = await setUp(h, "main", h.longRunning("main"));
      await rt.startContainer(id);
      await rt.stopPodSandbox(sb);
      assert.equal((await rt.containerStatus(id)).state, "exited");
      const recipe = h.longRunning("late");
      await rejectsWith(rt.createContainer(sb, containerConfig("late", recipe), sandboxConfig()), "FailedPrecondition");
      await rt.removePodSandbox(sb);
      assert.deepEqual(await rt.listContainers({ podSandboxId: sb }), []);
      await rejectsWith(rt.containerStatus(id), "NotFound");
    });

    withHarness("execs commands synchronously in a running container", async (h, rt) => {
      const { sb, id } = await setUp(h, "main", h.longRunning("main"));
      await rt.startContainer(id);
      const res = await rt.execSync(id, ["echo", "hello"], 5);
      assert.equal(res.exitCode, 0);
      assert.equal(res.stdout, "hello\n");
      assert.equal((await rt.execSync(id, ["false"], 5)).exitCode, 1);
      await rejectsWith(rt.execSync("no-such-container", ["true"], 5), "NotFound");
      await rt.removePodSandbox(sb);
    });

    withHarness("reports container stats with cumulative cpu that never decreases", async (h, rt) => {
      const { sb, id } = await setUp(h, "main", h.longRunning("main"));
      await rt.startContainer(id);
      const first = await rt.containerStats(id);
      await h.elapse(1000);
      const second = await rt.containerStats(id);
      assert.equal(first.containerId, id);
      assert.ok(second.timestamp >= first.timestamp);
      assert.ok(second.cpu.usageCoreNanoSeconds >= first.cpu.usageCoreNanoSeconds);
      assert.ok(second.memory.workingSetBytes >= 0);
      assert.ok((await rt.listContainerStats({ podSandboxId: sb })).some((s) => s.containerId === id));
      await rt.removePodSandbox(sb);
    });

    withHarness("tells event subscribers about container state changes", async (h, rt) => {
      if (!rt.subscribeContainerEvents) return;
      const seen: string[] = [];
      const uids = new Set<string>();
      const off = rt.subscribeContainerEvents((ev) => {
        seen.push(ev.type);
        uids.add(ev.podUid);
      });
      const { sb, id, cfg } = await setUp(h, "main", h.longRunning("main"));
      await rt.startContainer(id);
      await rt.stopContainer(id, 1);
      await rt.removeContainer(id);
      off();
      assert.deepEqual(seen, ["created", "started", "stopped", "deleted"]);
      assert.deepEqual([...uids], [cfg.metadata.uid]);
      await rt.removePodSandbox(sb);
    });
  });
}

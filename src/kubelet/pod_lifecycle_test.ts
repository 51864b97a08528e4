import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Container, ContainerStatus, Pod } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { startAgentHarness, type AgentHarness } from "./testing.js";

function pod(name: string, o: { annotations?: Record<string, string>; init?: Partial<Container>[]; containers?: Partial<Container>[]; restartPolicy?: string; extra?: Record<string, unknown> } = {}): Pod {
  const c = (x: Partial<Container>, i: number, prefix: string): Container => ({ name: `${prefix}${i}`, image: "busybox:1.36", ...x });
  return {
    metadata: { name, namespace: "default", annotations: o.annotations },
    spec: {
      nodeName: "node-1",
      restartPolicy: o.restartPolicy ?? "Always",
      ...(o.init ? { initContainers: o.init.map((x, i) => c(x, i, "init")) } : {}),
      containers: (o.containers ?? [{ name: "app" }]).map((x, i) => c(x, i, "c")),
      ...o.extra,
    },
  };
}

const cond = (p: Pod | undefined, type: string): string | undefined => p?.status?.conditions?.find((c) => c.type === type)?.status;
const cs = (p: Pod | undefined, name: string): ContainerStatus | undefined =>
  [...(p?.status?.containerStatuses ?? []), ...(p?.status?.initContainerStatuses ?? [])].find((c) => c.name === name);

/** Container starts seen by the runtime, by container name, in fake-clock milliseconds since the test began. */
function recordStarts(h: AgentHarness): Map<string, number[]> {
  const starts = new Map<string, number[]>();
  const t0 = h.clock.now();
  h.runtime.subscribeContainerEvents((ev) => {
    if (ev.type !== "started") return;
    void h.runtime.containerStatus(ev.containerId).then((s) => {
      const arr = starts.get(s.metadata.name) ?? [];
      arr.push(ev.at - t0);
      starts.set(s.metadata.name, arr);
    });
  });
  return starts;
}

describe("pod lifecycle on a simulated node", () => {
  let h: AgentHarness;
  afterEach(async () => h?.close());

  it("runs a pod: sandbox IP from the fallback range, container running, Ready", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("web"));
    await h.until("web Running and Ready", () => h.pod("web")?.status?.phase === "Running" && cond(h.pod("web"), "Ready") === "True");
    const p = h.pod("web")!;
    assert.match(p.status!.podIP!, /^10\.244\.1\.\d+$/);
    assert.deepEqual(p.status!.podIPs, [{ ip: p.status!.podIP }]);
    assert.equal(p.status!.hostIP, "10.0.0.1");
    assert.ok(p.status!.startTime);
    for (const t of ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]) assert.equal(cond(p, t), "True", t);
    const s = cs(p, "app")!;
    assert.ok(s.state?.running?.startedAt);
    assert.equal(s.ready, true);
    assert.equal(s.started, true);
    assert.equal(s.restartCount, 0);
    assert.match(s.containerID!, /^simulated:\/\/[0-9a-f]{64}$/);
    assert.equal(p.status!.qosClass, "BestEffort");
    const reasons = (h.server.store.list(resources.events, "default") as Array<{ reason?: string; involvedObject?: { name?: string }; source?: { host?: string } }>)
      .filter((e) => e.involvedObject?.name === "web")
      .map((e) => e.reason);
    assert.deepEqual(reasons.sort(), ["Created", "Pulled", "Pulling", "Started"]);
  });

  it("runs init containers one at a time, each after the previous exited 0, then the app containers", async () => {
    h = await startAgentHarness();
    const starts = recordStarts(h);
    h.start();
    await h.createPod(
      pod("init", {
        annotations: { "sim.k8ts.io/exit-after-init0": "3s", "sim.k8ts.io/exit-after-init1": "5s" },
        init: [{}, {}],
        containers: [{ name: "a" }, { name: "b" }],
      }),
    );
    await h.until("init0 running", () => cs(h.pod("init"), "init0")?.state?.running !== undefined);
    const early = h.pod("init")!;
    assert.equal(early.status!.phase, "Pending");
    assert.equal(cond(early, "Initialized"), "False");
    assert.match(early.status!.conditions!.find((c) => c.type === "Initialized")!.message!, /containers with incomplete status: \[init0 init1\]/);
    assert.equal(cs(early, "init1")?.state?.waiting?.reason, "PodInitializing");
    assert.equal(cs(early, "a")?.state?.waiting?.reason, "PodInitializing");
    await h.until("Running", () => h.pod("init")?.status?.phase === "Running");
    const p = h.pod("init")!;
    assert.equal(cond(p, "Initialized"), "True");
    assert.equal(cs(p, "init0")?.state?.terminated?.reason, "Completed");
    assert.equal(cs(p, "init1")?.state?.terminated?.exitCode, 0);
    const [i0] = starts.get("init0")!;
    const [i1] = starts.get("init1")!;
    assert.equal(i1! - i0!, 3000, "init1 starts when init0 exits");
    assert.equal(starts.get("a")![0]! - i1!, 5000, "app containers start when the last init container exits");
    assert.equal(starts.get("b")![0], starts.get("a")![0], "app containers start together");
  });

  it("runs sidecars (restartable init containers) next to the app and stops them when the app completes", async () => {
    h = await startAgentHarness();
    const starts = recordStarts(h);
    h.start();
    await h.createPod(
      pod("side", {
        restartPolicy: "Never",
        annotations: { "sim.k8ts.io/exit-after-init1": "2s", "sim.k8ts.io/exit-after-c0": "10s", "sim.k8ts.io/exit-after-init0": "4s" },
        init: [{ restartPolicy: "Always" }, {}],
        containers: [{}],
      }),
    );
    await h.until("app running", () => cs(h.pod("side"), "c0")?.state?.running !== undefined);
    const p = h.pod("side")!;
    assert.equal(p.status!.phase, "Running");
    assert.equal(cond(p, "Initialized"), "True");
    assert.ok(starts.get("init0")![0]! <= starts.get("init1")![0]!, "the sidecar starts first");
    assert.equal(starts.get("c0")![0]! - starts.get("init1")![0]!, 2000, "the app waits for the regular init container");
    await h.until("Succeeded", () => h.pod("side")?.status?.phase === "Succeeded");
    assert.ok(starts.get("init0")!.length >= 2, "the sidecar restarted after exiting although the pod's policy is Never");
    assert.equal(cs(h.pod("side"), "c0")!.state!.terminated!.reason, "Completed");
    assert.equal((await h.runtime.listContainers({ state: "running" })).length, 0, "the sidecar is stopped with the pod");
  });

  it("rejects pods that do not fit the node (OutOfpods, OutOfcpu) and admits the ones that do", async () => {
    h = await startAgentHarness({ node: { address: "10.0.0.1", capacity: { cpu: "1", pods: "2" } } });
    h.start();
    await h.createPod(pod("big", { containers: [{ resources: { requests: { cpu: "1500m" } } }] }));
    await h.until("big rejected", () => h.pod("big")?.status?.phase === "Failed");
    assert.equal(h.pod("big")!.status!.reason, "OutOfcpu");
    assert.equal(h.pod("big")!.status!.message, "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 0, capacity: 1000");
    await h.createPod(pod("a1"));
    await h.until("a1 running", () => h.pod("a1")?.status?.phase === "Running");
    await h.createPod(pod("a2"));
    await h.until("a2 running", () => h.pod("a2")?.status?.phase === "Running");
    await h.createPod(pod("a3"));
    await h.until("a3 rejected", () => h.pod("a3")?.status?.phase === "Failed");
    assert.equal(h.pod("a3")!.status!.reason, "OutOfpods");
    assert.equal((await h.runtime.listPodSandbox()).length, 2, "rejected pods get no sandbox");
  });

  it("fails the pod when an init container fails and restartPolicy is Never", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("bad-init", { restartPolicy: "Never", annotations: { "sim.k8ts.io/exit-after-init0": "1s", "sim.k8ts.io/exit-code-init0": "2" }, init: [{}] }));
    await h.until("Failed", () => h.pod("bad-init")?.status?.phase === "Failed");
    const p = h.pod("bad-init")!;
    assert.equal(cs(p, "init0")?.state?.terminated?.exitCode, 2);
    assert.equal(cs(p, "init0")?.state?.terminated?.reason, "Error");
    assert.equal(cond(p, "Initialized"), "False");
    assert.equal(cs(p, "app")?.state?.waiting?.reason, "PodInitializing");
    assert.equal((await h.runtime.listContainers()).filter((c) => c.metadata.name === "app").length, 0, "app never created");
  });

  it("retries a failing init container with backoff when restartPolicy is Always", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("retry-init", { annotations: { "sim.k8ts.io/exit-after-init0": "1s", "sim.k8ts.io/exit-code-init0": "1" }, init: [{}] }));
    await h.until("init CrashLoopBackOff", () => cs(h.pod("retry-init"), "init0")?.state?.waiting?.reason === "CrashLoopBackOff");
    const p = h.pod("retry-init")!;
    assert.equal(p.status!.phase, "Pending");
    assert.ok(cs(p, "init0")!.restartCount >= 1);
    assert.equal(cs(p, "init0")!.lastState?.terminated?.exitCode, 1);
  });

  it("backs off crash-looping containers: immediate, then 10s doubling to 5m", async () => {
    h = await startAgentHarness();
    const starts = recordStarts(h);
    h.start();
    await h.createPod(pod("crash", { annotations: { "sim.k8ts.io/exit-after-c0": "1s", "sim.k8ts.io/exit-code-c0": "1" }, containers: [{}] }));
    await h.until("9 starts", () => (starts.get("c0")?.length ?? 0) >= 9, { maxMs: 1_500_000 });
    const t = starts.get("c0")!;
    const gaps = t.slice(1).map((x, i) => x - t[i]! - 1000);
    assert.deepEqual(gaps.slice(0, 8), [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    await h.until("CrashLoopBackOff", () => cs(h.pod("crash"), "c0")?.state?.waiting?.reason === "CrashLoopBackOff");
    const s = cs(h.pod("crash"), "c0")!;
    assert.match(s.state!.waiting!.message!, /^back-off 5m0s restarting failed container=c0 pod=crash_default\(/);
    assert.equal(s.lastState?.terminated?.reason, "Error");
    assert.equal(h.pod("crash")!.status!.phase, "Running");
    assert.ok(s.restartCount >= 8);
    const backoffs = (h.server.store.list(resources.events, "default") as Array<{ reason?: string; count?: number; type?: string }>).filter((e) => e.reason === "BackOff");
    assert.equal(backoffs.length, 1, "repeats fold into one Event");
    assert.equal(backoffs[0]!.type, "Warning");
    assert.ok(backoffs[0]!.count! > 1);
  });

  it("ends in Succeeded (Completed) or Failed (Error) by the scripted exit code with restartPolicy Never", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("ok", { restartPolicy: "Never", annotations: { "sim.k8ts.io/exit-after-c0": "2s" }, containers: [{}] }));
    await h.createPod(pod("ko", { restartPolicy: "Never", annotations: { "sim.k8ts.io/exit-after-c0": "2s", "sim.k8ts.io/exit-code-c0": "3" }, containers: [{}] }));
    await h.until("both finished", () => h.pod("ok")?.status?.phase === "Succeeded" && h.pod("ko")?.status?.phase === "Failed");
    assert.equal(cs(h.pod("ok"), "c0")?.state?.terminated?.reason, "Completed");
    assert.equal(cs(h.pod("ko"), "c0")?.state?.terminated?.reason, "Error");
    assert.equal(cs(h.pod("ko"), "c0")?.state?.terminated?.exitCode, 3);
    assert.equal(cond(h.pod("ok"), "Ready"), "False");
    assert.equal(h.pod("ok")!.status!.conditions!.find((c) => c.type === "Ready")!.reason, "PodCompleted");
    // OnFailure restarts only failures.
    await h.createPod(pod("onf", { restartPolicy: "OnFailure", annotations: { "sim.k8ts.io/exit-after-c0": "1s" }, containers: [{}] }));
    await h.until("OnFailure with exit 0 Succeeded", () => h.pod("onf")?.status?.phase === "Succeeded");
  });

  it("reports OOMKilled when scripted usage exceeds the memory limit", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("oom", { restartPolicy: "Never", annotations: { "sim.k8ts.io/memory-c0": "256Mi" }, containers: [{ resources: { limits: { memory: "128Mi" } } }] }));
    await h.until("Failed", () => h.pod("oom")?.status?.phase === "Failed");
    const t = cs(h.pod("oom"), "c0")!.state!.terminated!;
    assert.deepEqual([t.reason, t.exitCode], ["OOMKilled", 137]);
  });

  it("keeps a pod unready while its readiness probe fails", async () => {
    h = await startAgentHarness();
    h.start();
    const probe = { exec: { command: ["true"] }, periodSeconds: 5 };
    await h.createPod(pod("unready", { annotations: { "sim.k8ts.io/ready-c0": "false" }, containers: [{ readinessProbe: probe }] }));
    await h.createPod(pod("slow", { annotations: { "sim.k8ts.io/ready-after-c0": "20s" }, containers: [{ readinessProbe: probe }] }));
    await h.until("slow Ready", () => cond(h.pod("slow"), "Ready") === "True", { maxMs: 60_000 });
    const p = h.pod("unready")!;
    assert.equal(p.status!.phase, "Running");
    assert.equal(cond(p, "Ready"), "False");
    assert.equal(cond(p, "ContainersReady"), "False");
    assert.equal(p.status!.conditions!.find((c) => c.type === "Ready")!.message, "containers with unready status: [c0]");
    assert.equal(cs(p, "c0")!.ready, false);
    assert.ok(cs(p, "c0")!.state?.running);
  });

  it("restarts a container whose liveness probe fails", async () => {
    h = await startAgentHarness();
    h.start();
    const probe = { exec: { command: ["true"] }, periodSeconds: 2, failureThreshold: 2 };
    await h.createPod(pod("dead", { annotations: { "sim.k8ts.io/live-c0": "false" }, containers: [{ livenessProbe: probe }] }));
    await h.until("restarted", () => (cs(h.pod("dead"), "c0")?.restartCount ?? 0) >= 1);
    assert.equal(cs(h.pod("dead"), "c0")!.lastState?.terminated?.exitCode, 0);
  });

  it("fails pods past activeDeadlineSeconds with reason DeadlineExceeded", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("deadline", { extra: { activeDeadlineSeconds: 30 } }));
    await h.until("Running", () => h.pod("deadline")?.status?.phase === "Running");
    await h.until("Failed", () => h.pod("deadline")?.status?.phase === "Failed", { maxMs: 40_000 });
    const p = h.pod("deadline")!;
    assert.equal(p.status!.reason, "DeadlineExceeded");
    assert.match(p.status!.message!, /longer than the specified deadline/);
    assert.ok(cs(p, "app")!.state?.terminated);
    assert.equal(Date.parse(p.status!.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime!) - Date.parse(p.status!.startTime!), 30_000);
  });

  it("reports ErrImagePull, then ImagePullBackOff, for an image that cannot be pulled", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("img", { containers: [{ image: "registry.example/invalid:1" }] }));
    await h.until("ErrImagePull", () => cs(h.pod("img"), "c0")?.state?.waiting?.reason === "ErrImagePull", { stepMs: 100 });
    await h.until("ImagePullBackOff", () => cs(h.pod("img"), "c0")?.state?.waiting?.reason === "ImagePullBackOff", { stepMs: 100 });
    assert.equal(h.pod("img")!.status!.phase, "Pending");
  });

  it("terminates gracefully: SIGTERM, kill at the grace period, then DELETE with grace 0 and the uid", async () => {
    h = await startAgentHarness();
    h.start();
    const created = await h.createPod({ ...pod("graceful", { annotations: { "sim.k8ts.io/stop-delay-app": "1h" } }), metadata: { name: "graceful", namespace: "default", finalizers: ["test.k8ts.io/hold"], annotations: { "sim.k8ts.io/stop-delay-app": "1h" } } });
    await h.until("Running", () => h.pod("graceful")?.status?.phase === "Running");
    // The fake API server deletes with no grace period; set the one the real server would (30 s) and let the
    // status write that follows carry it to the agent's watch.
    const stored = (h.server.store as unknown as { objects: Map<string, StoredObject> }).objects.get("/pods/default/graceful")!;
    Object.assign(stored.metadata, { deletionTimestamp: new Date(h.clock.now()).toISOString(), deletionGracePeriodSeconds: 30 });
    h.server.store.update(resources.pods, "default", "graceful", { ...h.pod("graceful")!, status: { ...h.pod("graceful")!.status, message: "deleting" } } as StoredObject, "status");
    const [c] = await h.runtime.listContainers();
    await h.until("29 s into the grace period", async () => h.clock.now() - Date.parse(stored.metadata.deletionTimestamp!) >= 29_000);
    assert.equal((await h.runtime.containerStatus(c!.id)).state, "running", "still running inside the grace period");
    assert.ok(!h.server.requests.some((r) => r.method === "DELETE"));
    await h.until("DELETE sent", () => h.server.requests.some((r) => r.method === "DELETE" && r.path === "/api/v1/namespaces/default/pods/graceful"));
    const st = await h.runtime.containerStatus(c!.id).catch(() => undefined);
    if (st) assert.equal(st.exitCode, 137);
    const p = h.pod("graceful")!;
    assert.equal(p.metadata!.uid, created.metadata!.uid);
    assert.equal(p.status!.phase, "Failed");
    assert.equal(cs(p, "app")!.state!.terminated!.exitCode, 137);
    h.server.store.update(resources.pods, "default", "graceful", { ...p, metadata: { ...p.metadata, finalizers: [] } } as StoredObject);
    await h.until("sandbox removed", () => h.runtime.counts().sandboxes === 0);
  });

  it("a forced removal during a long grace period kills at once", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("stubborn", { annotations: { "sim.k8ts.io/stop-delay-app": "1h" }, extra: { terminationGracePeriodSeconds: 600 } }));
    await h.until("Running", () => h.pod("stubborn")?.status?.phase === "Running");
    const [c] = await h.runtime.listContainers();
    // The fake API server removes a pod without finalizers at once: for the agent this is a forced deletion.
    h.server.store.delete(resources.pods, "default", "stubborn", { gracePeriodSeconds: 0 });
    await h.until("sandbox gone", () => h.runtime.counts().sandboxes === 0, { maxMs: 5000 });
    assert.equal(h.runtime.counts().containers, 0);
    void c;
  });

  it("adopts running sandboxes after an agent restart without restarting them", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("keep", { containers: [{ name: "app", readinessProbe: { exec: { command: ["true"] }, periodSeconds: 60 } }] }));
    await h.until("Running", () => cond(h.pod("keep"), "Ready") === "True");
    const before = cs(h.pod("keep"), "app")!.containerID;
    const [sb] = await h.runtime.listPodSandbox();
    await h.stop();
    h.clock.advance(60_000);
    h.start();
    await h.until("agent resynced", () => h.kubelet.podCount() === 1);
    await h.settle();
    assert.equal(cond(h.pod("keep"), "Ready"), "True", "readiness survives the restart without waiting for a probe");
    h.clock.advance(30_000);
    await h.settle();
    const after = h.pod("keep")!;
    assert.equal(cond(after, "Ready"), "True");
    assert.equal(cs(after, "app")!.containerID, before);
    assert.equal(cs(after, "app")!.restartCount, 0);
    assert.deepEqual((await h.runtime.listPodSandbox()).map((s) => s.id), [sb!.id]);
    assert.equal(after.status!.phase, "Running");
  });

  it("runs every init container again when the pod sandbox is recreated", async () => {
    h = await startAgentHarness();
    const starts = recordStarts(h);
    h.start();
    await h.createPod(pod("reinit", { annotations: { "sim.k8ts.io/exit-after-init0": "1s" }, init: [{}] }));
    await h.until("Running", () => h.pod("reinit")?.status?.phase === "Running");
    const [sb] = await h.runtime.listPodSandbox();
    h.runtime.crashSandbox(sb!.id);
    await h.until("init ran twice and Running again", () => starts.get("init0")?.length === 2 && starts.get("app")?.length === 2 && h.pod("reinit")?.status?.phase === "Running");
    const sandboxes = await h.runtime.listPodSandbox({ state: "ready" });
    assert.equal(sandboxes.length, 1);
    assert.equal(sandboxes[0]!.metadata.attempt, 1);
    assert.ok(starts.get("init0")![1]! < starts.get("app")![1]!, "init runs before the app again");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerStatus as ApiStatus, Pod } from "kubernetes-types/core/v1.js";
import { computePodStatus, podPhase, qosClass, type PodStatusInput } from "./pod_status.js";
import type { ContainerStatus } from "./runtime/types.js";

const running: ApiStatus = { name: "a", image: "i", imageID: "", ready: true, restartCount: 0, state: { running: {} } };
const exited = (code: number): ApiStatus => ({ name: "a", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: code } } });
const waitingNew: ApiStatus = { name: "a", image: "i", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } };
const crashLooping = (code: number): ApiStatus => ({ ...waitingNew, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: code } } });
const withPolicy = (restartPolicy: string): Pod => ({ spec: { restartPolicy, containers: [] } });

describe("podPhase", () => {
  it("follows the kubelet's rules", () => {
    assert.equal(podPhase(withPolicy("Always"), [running], false, false), "Pending", "init not done");
    assert.equal(podPhase(withPolicy("Always"), [running, waitingNew], true, false), "Pending", "a container never started");
    assert.equal(podPhase(withPolicy("Always"), [running, crashLooping(1)], true, false), "Running");
    assert.equal(podPhase(withPolicy("Always"), [exited(0)], true, false), "Running", "Always restarts even successes");
    assert.equal(podPhase(withPolicy("OnFailure"), [exited(0), exited(0)], true, false), "Succeeded");
    assert.equal(podPhase(withPolicy("OnFailure"), [exited(0), crashLooping(2)], true, false), "Running");
    assert.equal(podPhase(withPolicy("Never"), [exited(0), exited(1)], true, false), "Failed");
    assert.equal(podPhase(withPolicy("Never"), [exited(0)], true, false), "Succeeded");
    assert.equal(podPhase(withPolicy("Always"), [exited(0), exited(143)], true, true), "Failed", "terminating pods end by exit codes");
  });
});

describe("qosClass", () => {
  it("classifies by requests and limits", () => {
    assert.equal(qosClass({ spec: { containers: [{ name: "a" }] } }), "BestEffort");
    assert.equal(qosClass({ spec: { containers: [{ name: "a", resources: { limits: { cpu: "1", memory: "1Gi" } } }] } }), "Guaranteed");
    assert.equal(qosClass({ spec: { containers: [{ name: "a", resources: { requests: { cpu: "1" } } }] } }), "Burstable");
  });
});

describe("computePodStatus", () => {
  const inst = (name: string, attempt: number, o: Partial<ContainerStatus>): ContainerStatus => ({
    id: `${name}-${attempt}`,
    podSandboxId: "sb",
    metadata: { name, attempt },
    image: "docker.io/library/busybox:1.36",
    imageRef: "sha256:x",
    state: "running",
    createdAt: 0,
    labels: {},
    annotations: {},
    ...o,
  });
  const base = (over: Partial<PodStatusInput>): PodStatusInput => ({
    pod: { metadata: { name: "p", uid: "u" }, spec: { containers: [{ name: "a", image: "busybox:1.36" }] }, status: { conditions: [{ type: "PodScheduled", status: "True" }] } },
    instances: new Map(),
    waiting: new Map(),
    sandboxReady: true,
    podIP: "10.244.0.5",
    hostIP: "10.0.0.1",
    runtimeName: "simulated",
    startTime: Date.UTC(2026, 0, 1),
    ready: () => undefined,
    started: () => true,
    now: Date.UTC(2026, 0, 1, 0, 1),
    ...over,
  });

  it("shows the newest instance as state and the one before as lastState, with restartCount from attempts", () => {
    const instances = new Map([["a", [inst("a", 2, { state: "running", startedAt: 5000 }), inst("a", 1, { state: "exited", exitCode: 1, reason: "Error", startedAt: 1000, finishedAt: 2000 })]]]);
    const s = computePodStatus(base({ instances }));
    const a = s.containerStatuses![0]!;
    assert.equal(a.restartCount, 2);
    assert.ok(a.state!.running);
    assert.deepEqual(a.lastState!.terminated, { exitCode: 1, reason: "Error", startedAt: "1970-01-01T00:00:01Z", finishedAt: "1970-01-01T00:00:02Z", containerID: "simulated://a-1" });
    assert.equal(s.phase, "Running");
    assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
      ["PodReadyToStartContainers", "True"],
      ["Initialized", "True"],
      ["Ready", "True"],
      ["ContainersReady", "True"],
      ["PodScheduled", "True"],
    ]);
  });

  it("keeps a condition's transition time while its status holds, and honours readiness gates", () => {
    const instances = new Map([["a", [inst("a", 0, {})]]]);
    const pod: Pod = { metadata: { name: "p" }, spec: { containers: [{ name: "a" }], readinessGates: [{ conditionType: "example.com/gate" }] }, status: {} };
    const s = computePodStatus(base({ pod, instances, previousConditions: [{ type: "ContainersReady", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z" }] }));
    const by = Object.fromEntries(s.conditions!.map((c) => [c.type, c]));
    assert.equal(by.ContainersReady!.lastTransitionTime, "2025-01-01T00:00:00Z");
    assert.equal(by.Ready!.status, "False");
    assert.equal(by.Ready!.reason, "ReadinessGatesNotReady");
  });
});

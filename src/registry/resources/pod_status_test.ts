import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod, ContainerStatus } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import { pods } from "./pods.js";
import { summarizePod } from "./pod_status.js";
import { NOW } from "./testing.js";

const cs = (name: string, state: ContainerStatus["state"], extra: Partial<ContainerStatus> = {}): ContainerStatus =>
  ({ name, image: "x", imageID: "", ready: false, restartCount: 0, state, ...extra });

function pod(status: Pod["status"], extra: Partial<Pod> = {}): Pod {
  return { metadata: { name: "p", creationTimestamp: "2026-01-01T11:00:00Z" }, spec: { containers: [{ name: "a" }] }, status, ...extra };
}

function deleting(p: Pod): Pod {
  return { ...p, metadata: { ...p.metadata, deletionTimestamp: "2026-01-01T11:59:00Z" } };
}

test("running and ready", () => {
  const s = summarizePod(pod({ phase: "Running", containerStatuses: [cs("a", { running: {} }, { ready: true })] }), NOW);
  assert.deepEqual(s, { ready: "1/1", status: "Running", restarts: "0" });
});

test("pending pods show the waiting reason", () => {
  assert.equal(summarizePod(pod({ phase: "Pending" }), NOW).status, "Pending");
  assert.equal(summarizePod(pod({ phase: "Pending", containerStatuses: [cs("a", { waiting: { reason: "ContainerCreating" } })] }), NOW).status, "ContainerCreating");
  assert.equal(summarizePod(pod({ phase: "Pending", containerStatuses: [cs("a", { waiting: { reason: "ErrImagePull" } })] }), NOW).status, "ErrImagePull");
});

test("crash loops count restarts with the time of the last one", () => {
  const s = summarizePod(pod({
    phase: "Running",
    containerStatuses: [cs("a", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: "2026-01-01T11:58:00Z" } } })],
  }), NOW);
  assert.deepEqual(s, { ready: "0/1", status: "CrashLoopBackOff", restarts: "4 (2m ago)" });
});

test("completed, error and exit code", () => {
  assert.equal(summarizePod(pod({ phase: "Succeeded", containerStatuses: [cs("a", { terminated: { exitCode: 0, reason: "Completed" } })] }), NOW).status, "Completed");
  assert.equal(summarizePod(pod({ phase: "Failed", containerStatuses: [cs("a", { terminated: { exitCode: 1, reason: "Error" } })] }), NOW).status, "Error");
  assert.equal(summarizePod(pod({ phase: "Failed", containerStatuses: [cs("a", { terminated: { exitCode: 137 } })] }), NOW).status, "ExitCode:137");
  assert.equal(summarizePod(pod({ phase: "Failed", containerStatuses: [cs("a", { terminated: { exitCode: 0, signal: 9 } })] }), NOW).status, "Signal:9");
});

test("init containers: Init:N/M, Init:<reason>, PodInitializing", () => {
  const spec = { initContainers: [{ name: "i1" }, { name: "i2" }], containers: [{ name: "a" }] };
  const first = pod({ phase: "Pending", initContainerStatuses: [cs("i1", { running: {} }), cs("i2", { waiting: { reason: "PodInitializing" } })] }, { spec });
  assert.equal(summarizePod(first, NOW).status, "Init:0/2");
  const second = pod({ phase: "Pending", initContainerStatuses: [cs("i1", { terminated: { exitCode: 0, reason: "Completed" } }), cs("i2", { running: {} })] }, { spec });
  assert.equal(summarizePod(second, NOW).status, "Init:1/2");
  const crash = pod({ phase: "Pending", initContainerStatuses: [cs("i1", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 2 })] }, { spec });
  assert.deepEqual(summarizePod(crash, NOW), { ready: "0/1", status: "Init:CrashLoopBackOff", restarts: "2" });
  const failed = pod({ phase: "Pending", initContainerStatuses: [cs("i1", { terminated: { exitCode: 3 } })] }, { spec });
  assert.equal(summarizePod(failed, NOW).status, "Init:ExitCode:3");
  const done = pod({
    phase: "Pending",
    initContainerStatuses: [cs("i1", { terminated: { exitCode: 0, reason: "Completed" } }), cs("i2", { terminated: { exitCode: 0, reason: "Completed" } })],
    containerStatuses: [cs("a", { waiting: { reason: "PodInitializing" } })],
  }, { spec });
  assert.equal(summarizePod(done, NOW).status, "PodInitializing");
});

test("sidecars count in READY and do not block initialization", () => {
  const spec = { initContainers: [{ name: "s", restartPolicy: "Always" }], containers: [{ name: "a" }] };
  const p = pod({
    phase: "Running",
    conditions: [{ type: "Initialized", status: "True" }],
    initContainerStatuses: [cs("s", { running: {} }, { started: true, ready: true })],
    containerStatuses: [cs("a", { running: {} }, { ready: true })],
  }, { spec });
  assert.deepEqual(summarizePod(p, NOW), { ready: "2/2", status: "Running", restarts: "0" });
});

test("terminating pods, and a deleted pod on a lost node is Unknown", () => {
  const t = deleting(pod({ phase: "Running", containerStatuses: [cs("a", { running: {} }, { ready: true })] }));
  assert.equal(summarizePod(t, NOW).status, "Terminating");
  const lost = deleting(pod({ phase: "Running", reason: "NodeLost" }));
  assert.equal(summarizePod(lost, NOW).status, "Unknown");
  const done = deleting(pod({ phase: "Succeeded", containerStatuses: [cs("a", { terminated: { exitCode: 0, reason: "Completed" } })] }));
  assert.equal(summarizePod(done, NOW).status, "Completed");
});

test("pod table row, wide columns included", () => {
  const p = pod({ phase: "Running", podIP: "10.244.1.5", podIPs: [{ ip: "10.244.1.5" }], containerStatuses: [cs("a", { running: {} }, { ready: true })] }, { spec: { nodeName: "n1", containers: [{ name: "a" }] } });
  const cells = pods.table!.cells(p as StoredObject, NOW);
  assert.deepEqual(cells, ["p", "1/1", "Running", "0", "60m", "10.244.1.5", "n1", "<none>", "<none>"]);
  assert.deepEqual(pods.table!.columns.map((c) => c.name), ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]);
  assert.deepEqual(pods.table!.columns.map((c) => c.priority), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
});

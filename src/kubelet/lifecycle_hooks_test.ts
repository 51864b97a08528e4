// Lifecycle hooks in the agent on a fake clock (simulated runtime, fake API server): postStart holds the running
// status, a failing one restarts the container, preStop time counts against the grace period. The same behaviour on
// containerd is src/e2e/cri_lifecycle_e2e_test.ts.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { startAgentHarness, type AgentHarness } from "./testing.js";

function pod(name: string, c: Partial<Container>, o: { annotations?: Record<string, string>; grace?: number } = {}): Pod {
  return {
    metadata: { name, namespace: "default", annotations: o.annotations, finalizers: ["test.k8ts.io/hold"] },
    spec: { nodeName: "node-1", terminationGracePeriodSeconds: o.grace ?? 30, containers: [{ name: "app", image: "busybox:1.36", ...c }] },
  };
}

const status = (p: Pod | undefined) => p?.status?.containerStatuses?.[0];
const events = (h: AgentHarness): Array<{ reason?: string; message?: string; type?: string }> => h.server.store.list(resources.events, "default") as Array<{ reason?: string; message?: string }>;

/** Marks the pod deleted with a grace period, as the real API server would (the fake one deletes at once). */
function markDeleted(h: AgentHarness, name: string, graceS: number): void {
  const stored = (h.server.store as unknown as { objects: Map<string, StoredObject> }).objects.get(`/pods/default/${name}`)!;
  Object.assign(stored.metadata, { deletionTimestamp: new Date(h.clock.now()).toISOString(), deletionGracePeriodSeconds: graceS });
  h.server.store.update(resources.pods, "default", name, { ...h.pod(name)!, status: { ...h.pod(name)!.status, message: "deleting" } } as StoredObject, "status");
}

describe("lifecycle hooks", () => {
  let h: AgentHarness;
  afterEach(async () => {
    await h?.close();
  });

  it("reports the container running only once its postStart hook completed", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("slow-hook", { lifecycle: { postStart: { sleep: { seconds: 5 } } } }));
    // The agent is busy in the hook (never idle), so the clock is moved by hand rather than with h.until.
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 500 && (await h.runtime.listContainers({ state: "running" })).length === 0; i++) await pause();
    const t0 = h.clock.now();
    for (let i = 0; i < 200 && !status(h.pod("slow-hook"))?.state?.running; i++) {
      await pause();
      if (i % 5 === 4) h.clock.advance(500);
    }
    assert.ok(status(h.pod("slow-hook"))?.state?.running, "reported running in the end");
    assert.ok(h.clock.now() - t0 >= 5000, `reported running ${h.clock.now() - t0} ms after the start, before the 5 s hook ended`);
    assert.equal(status(h.pod("slow-hook"))!.restartCount, 0);
  });

  it("kills a container whose postStart hook fails and restarts it", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("bad-hook", { lifecycle: { postStart: { exec: { command: ["check-config"] } } } }, { annotations: { "sim.k8ts.io/exec-exit-code-app": "3" }, grace: 1 }));
    await h.until("restarted", () => (status(h.pod("bad-hook"))?.restartCount ?? 0) >= 1);
    const failed = events(h).find((e) => e.reason === "FailedPostStartHook");
    assert.ok(failed, JSON.stringify(events(h).map((e) => e.reason)));
    assert.equal(failed.type, "Warning");
    assert.match(failed.message ?? "", /^Exec lifecycle hook \(\[check-config\]\) for Container "app" in Pod "bad-hook_default\(.+\)" failed - error: command 'check-config' exited with 3/);
    assert.ok(!status(h.pod("bad-hook"))?.state?.running, "never reported running");
  });

  it("runs preStop before stopping the container and gives SIGTERM what is left of the grace period", async () => {
    h = await startAgentHarness();
    h.start();
    // The container takes an hour to exit after SIGTERM: it is killed when the grace period is up.
    await h.createPod(pod("pre", { lifecycle: { preStop: { sleep: { seconds: 8 } } } }, { annotations: { "sim.k8ts.io/stop-delay-app": "1h" }, grace: 10 }));
    await h.until("Running", () => h.pod("pre")?.status?.phase === "Running");
    const [c] = await h.runtime.listContainers();
    let exitedAt = 0;
    h.runtime.subscribeContainerEvents((ev) => {
      if (ev.type === "stopped" && ev.containerId === c!.id) exitedAt = ev.at;
    });
    const t0 = h.clock.now();
    markDeleted(h, "pre", 10);
    await h.until("7 s into the preStop hook", async () => h.clock.now() - t0 >= 7000);
    assert.equal((await h.runtime.containerStatus(c!.id)).state, "running", "preStop still running");
    await h.until("killed", () => exitedAt > 0);
    // 8 s of hook, then the 2 s left of the period: killed at 10 s, not 18 s.
    assert.ok(exitedAt - t0 >= 9000 && exitedAt - t0 <= 11_000, `killed ${exitedAt - t0} ms after deletion`);
  });

  it("runs preStop when a failed liveness probe kills the container, within the probe's grace period", async () => {
    h = await startAgentHarness();
    h.start();
    const livenessProbe = { exec: { command: ["true"] }, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 4 };
    let stoppedAt = 0;
    let startedAt = 0;
    h.runtime.subscribeContainerEvents((ev) => {
      if (ev.type === "started" && !startedAt) startedAt = ev.at;
      if (ev.type === "stopped" && !stoppedAt) stoppedAt = ev.at;
    });
    await h.createPod(pod("unhealthy", { livenessProbe, lifecycle: { preStop: { exec: { command: ["echo", "bye"] } } } }, { annotations: { "sim.k8ts.io/live-app": "false", "sim.k8ts.io/stop-delay-app": "1h" }, grace: 600 }));
    await h.until("killed for its liveness probe", () => stoppedAt > 0, { maxMs: 60_000 });
    // Probed after 1 s, failed, killed with the probe's 4 s (not the pod's 600 s) as the container ignores SIGTERM.
    assert.ok(stoppedAt - startedAt <= 10_000, `killed ${stoppedAt - startedAt} ms after its start`);
    assert.ok(!events(h).some((e) => e.reason === "FailedPreStopHook"), "the preStop exec succeeded");
    await h.until("restarted", () => (status(h.pod("unhealthy"))?.restartCount ?? 0) >= 1);
  });

  it("abandons a preStop hook at the grace period, and reports one that fails", async () => {
    h = await startAgentHarness();
    h.start();
    await h.createPod(pod("stuck", { lifecycle: { preStop: { sleep: { seconds: 300 } } } }, { grace: 5 }));
    await h.createPod({ ...pod("failing", { lifecycle: { preStop: { exec: { command: ["flush"] } } } }, { annotations: { "sim.k8ts.io/exec-exit-code-app": "2" } }) });
    await h.until("Running", () => h.pod("stuck")?.status?.phase === "Running" && h.pod("failing")?.status?.phase === "Running");
    const t0 = h.clock.now();
    markDeleted(h, "stuck", 5);
    markDeleted(h, "failing", 30);
    await h.until("both DELETEs sent", () => ["stuck", "failing"].every((n) => h.server.requests.some((r) => r.method === "DELETE" && r.path === `/api/v1/namespaces/default/pods/${n}`)), { maxMs: 60_000 });
    assert.ok(h.clock.now() - t0 <= 10_000, `the 300 s hook held deletion ${h.clock.now() - t0} ms`);
    const preStop = events(h).filter((e) => e.reason === "FailedPreStopHook");
    assert.equal(preStop.length, 1, "only the failing hook, not the abandoned one");
    assert.match(preStop[0]!.message ?? "", /Exec lifecycle hook \(\[flush\]\) for Container "app" in Pod "failing_default/);
  });
});
